/*
 * latency_histogram.h — a fixed-size log-linear histogram of nanoseconds for
 * the C load generator: 256 exact buckets below 256 ns, then 128 buckets per
 * power of two (every recorded value is within 0.8 % of its bucket's value),
 * up to 2^40 ns (about 18 minutes). Recording is an index computation and an
 * increment; histograms of several threads add up bucket by bucket.
 */
#ifndef DELTASTORE_LATENCY_HISTOGRAM_H
#define DELTASTORE_LATENCY_HISTOGRAM_H

#include <stdint.h>
#include <string.h>

#define LH_SUB_BITS 7
#define LH_SUB (1u << LH_SUB_BITS)
#define LH_MAX_MSB 40
#define LH_BUCKETS (2 * LH_SUB + (LH_MAX_MSB - LH_SUB_BITS) * LH_SUB)

typedef struct {
    uint64_t counts[LH_BUCKETS];
    uint64_t total;
    uint64_t max;
} latency_histogram;

static inline void lh_init(latency_histogram *h) { memset(h, 0, sizeof *h); }

static inline unsigned lh_index(uint64_t v) {
    if (v < 2 * LH_SUB) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    if (msb > LH_MAX_MSB) { msb = LH_MAX_MSB; v = (2ull << LH_MAX_MSB) - 1; }
    unsigned shift = msb - LH_SUB_BITS;
    unsigned mantissa = (unsigned)(v >> shift); /* in [LH_SUB, 2 * LH_SUB) */
    return 2 * LH_SUB + (shift - 1) * LH_SUB + (mantissa - LH_SUB);
}

/* The middle of bucket `i`'s range of values. */
static inline double lh_value(unsigned i) {
    if (i < 2 * LH_SUB) return (double)i;
    unsigned shift = (i - 2 * LH_SUB) / LH_SUB + 1;
    uint64_t mantissa = LH_SUB + (i - 2 * LH_SUB) % LH_SUB;
    uint64_t low = mantissa << shift;
    return (double)low + (double)((1ull << shift) - 1) / 2.0;
}

static inline void lh_record(latency_histogram *h, uint64_t v) {
    h->counts[lh_index(v)]++;
    h->total++;
    if (v > h->max) h->max = v;
}

static inline void lh_add(latency_histogram *into, const latency_histogram *from) {
    for (unsigned i = 0; i < LH_BUCKETS; i++) into->counts[i] += from->counts[i];
    into->total += from->total;
    if (from->max > into->max) into->max = from->max;
}

/* The value at a percentile (0–100), in nanoseconds; 0 when empty. */
static inline double lh_percentile(const latency_histogram *h, double percentile) {
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)((percentile / 100.0) * (double)h->total + 0.5);
    if (rank < 1) rank = 1;
    if (rank > h->total) rank = h->total;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LH_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            double value = lh_value(i);
            return value > (double)h->max ? (double)h->max : value;
        }
    }
    return (double)h->max;
}

#endif
