/*
 * loadgen.c — the benchmarks' closed-loop load generator, in C, so that one
 * client drives every server of a comparison (deltastored, Redis, the C echo
 * server, the SwiftNIO echo server) in the same way and costs as little as a
 * client can.
 *
 *   loadgen --socket PATH [--request FILE | --resp 'WORD ...'] [--connections C]
 *           [--in-flight P] [--threads T] [--duration S] [--warmup S]
 *           [--op NAME] [--label LABEL]
 *
 * C connections to a Unix socket, spread over T threads (one epoll each); every
 * connection keeps P requests outstanding and sends the next one on a slot as
 * soon as that slot's reply arrives (the replies of one read are answered with
 * one write). Requests are copies of one template:
 *   - deltastore framing (default): a BSON request whose first element is the
 *     int64 `id` (byte 8); --request FILE reads it from a file, the default is
 *     {id, op: "ping"}. Slot s of a connection uses ids s, s + P, s + 2P, …, and
 *     replies (which may come in any order) are matched by id.
 *   - RESP (--resp 'PING', --resp 'GET key'): the words as a RESP array;
 *     replies come in order.
 * Replies are not decoded beyond their framing, the BSON `id` and `ok`, and the
 * RESP type byte. Latency is measured from the write of a request to the read
 * of its reply, for replies read within the measured window (after --warmup
 * seconds, for --duration seconds).
 *
 * Prints a summary on stderr and one JSON line on stdout (the fields of
 * `deltastore-bench load`); exits 1 when any reply was an error or a
 * connection failed, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "latency_histogram.h"
#include "wire_buffer.h"

enum protocol { PROTOCOL_BSON, PROTOCOL_RESP };

static struct {
    const char *socket_path;
    enum protocol protocol;
    uint8_t *request;
    size_t request_length;
    int connections, in_flight, threads;
    double duration, warmup;
    const char *op, *label;
} options = {.connections = 1, .in_flight = 1, .threads = 1, .duration = 5, .warmup = 1, .op = "ping"};

static uint64_t measure_start, measure_end, hard_end;
static pthread_barrier_t start_barrier;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(2);
}

static void *checked_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) die("out of memory");
    return p;
}

#define read_le32 wire_le32
static uint64_t read_le64(const uint8_t *p) { return (uint64_t)read_le32(p) | (uint64_t)read_le32(p + 4) << 32; }
static void write_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

struct connection {
    int fd;
    struct wire_buffer in, out;
    int writable_wait; /* EPOLLOUT armed */
    uint64_t *sent_at;  /* per slot (BSON) or a FIFO ring (RESP) */
    int64_t *next_id;   /* BSON: the id the slot's next request gets */
    size_t fifo_head, fifo_count;
    int outstanding;
    int dead;
};

struct worker {
    pthread_t thread;
    int epoll_fd;
    struct connection *connections;
    int count;
    latency_histogram latency;
    uint64_t completed, errors;
    char first_error[160];
};

static void note_error(struct worker *w, const char *format, ...) {
    w->errors++;
    if (w->first_error[0]) return;
    va_list args;
    va_start(args, format);
    vsnprintf(w->first_error, sizeof w->first_error, format, args);
    va_end(args);
}

/* ---- requests ---- */

static void send_request(struct connection *c, int slot) {
    if (!wire_reserve(&c->out, c->out.length + options.request_length)) die("out of memory");
    uint8_t *at = c->out.bytes + c->out.length;
    memcpy(at, options.request, options.request_length);
    c->out.length += options.request_length;
    uint64_t t = now_ns();
    if (options.protocol == PROTOCOL_BSON) {
        write_le64(at + 8, (uint64_t)c->next_id[slot]);
        c->next_id[slot] += options.in_flight;
        c->sent_at[slot] = t;
    } else {
        c->sent_at[(c->fifo_head + c->fifo_count) % (size_t)options.in_flight] = t;
        c->fifo_count++;
    }
    c->outstanding++;
}

static void flush_connection(struct worker *w, struct connection *c) {
    enum wire_flush state = wire_flush(c->fd, &c->out);
    if (state == WIRE_FAILED) {
        note_error(w, "write: %s", strerror(errno));
        c->dead = 1;
        return;
    }
    int wait = state == WIRE_WOULD_BLOCK;
    if (wait != c->writable_wait) {
        struct epoll_event event = {.events = wait ? EPOLLIN | EPOLLOUT : EPOLLIN, .data.ptr = c};
        epoll_ctl(w->epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
        c->writable_wait = wait;
    }
}

/* ---- replies ---- */

/* Bytes of the value of a BSON element of `type` at v (end: the document's end), or -1. */
static long bson_value_size(uint8_t type, const uint8_t *v, const uint8_t *end) {
    long left = end - v;
    switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return 8;
    case 0x02: case 0x0D: case 0x0E: return left >= 4 ? 4 + (long)read_le32(v) : -1;
    case 0x03: case 0x04: case 0x0F: return left >= 4 ? (long)read_le32(v) : -1;
    case 0x05: return left >= 4 ? 5 + (long)read_le32(v) : -1;
    case 0x06: case 0x0A: case 0x7F: case 0xFF: return 0;
    case 0x07: return 12;
    case 0x08: return 1;
    case 0x0B: {
        const uint8_t *p = memchr(v, 0, (size_t)left);
        if (!p) return -1;
        const uint8_t *q = memchr(p + 1, 0, (size_t)(end - p - 1));
        return q ? q + 1 - v : -1;
    }
    case 0x0C: return left >= 4 ? 4 + (long)read_le32(v) + 12 : -1;
    case 0x10: return 4;
    case 0x13: return 16;
    default: return -1;
    }
}

/* Finds the element `key` of the document at doc (length len); its type and value. */
static const uint8_t *bson_find(const uint8_t *doc, size_t len, const char *key, uint8_t *type) {
    const uint8_t *p = doc + 4, *end = doc + len - 1;
    while (p < end) {
        uint8_t t = *p++;
        const uint8_t *name = p;
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        if (!nul) return NULL;
        const uint8_t *value = nul + 1;
        long size = bson_value_size(t, value, end);
        if (size < 0 || value + size > end) return NULL;
        if (strcmp((const char *)name, key) == 0) { *type = t; return value; }
        p = value + size;
    }
    return NULL;
}

static void reply_arrived(struct worker *w, struct connection *c, uint64_t sent, int ok, uint64_t t) {
    c->outstanding--;
    if (ok && t >= measure_start && t < measure_end) {
        w->completed++;
        lh_record(&w->latency, t > sent ? t - sent : 1);
    }
}

static void error_code_of(const uint8_t *frame, size_t len, char *code, size_t size) {
    uint8_t type;
    snprintf(code, size, "ok: false");
    const uint8_t *error = bson_find(frame, len, "error", &type);
    if (!error || type != 0x03) return;
    const uint8_t *value = bson_find(error, read_le32(error), "code", &type);
    if (value && type == 0x02) snprintf(code, size, "%.*s", (int)read_le32(value) - 1, (const char *)value + 4);
}

/* Handles one BSON reply; returns the slot it freed or -1. */
static int bson_reply(struct worker *w, struct connection *c, const uint8_t *frame, size_t len, uint64_t t) {
    int64_t id;
    int ok;
    if (len >= 21 && frame[4] == 0x12 && memcmp(frame + 5, "id", 3) == 0 && frame[16] == 0x08 && memcmp(frame + 17, "ok", 3) == 0) {
        id = (int64_t)read_le64(frame + 8);
        ok = frame[20] != 0;
    } else {
        uint8_t type;
        const uint8_t *value = bson_find(frame, len, "id", &type);
        if (!value || type != 0x12) { note_error(w, "a reply without an int64 id"); c->dead = 1; return -1; }
        id = (int64_t)read_le64(value);
        value = bson_find(frame, len, "ok", &type);
        ok = value && type == 0x08 && *value;
    }
    if (id < 0) { note_error(w, "a reply with id %lld", (long long)id); c->dead = 1; return -1; }
    int slot = (int)(id % options.in_flight);
    if (c->next_id[slot] != id + options.in_flight) { note_error(w, "a reply to id %lld, which is not outstanding", (long long)id); c->dead = 1; return -1; }
    if (!ok) {
        char code[64];
        error_code_of(frame, len, code, sizeof code);
        note_error(w, "error reply: %s", code);
    }
    reply_arrived(w, c, c->sent_at[slot], ok, t);
    return slot;
}

/* Length of the RESP reply at p (of avail bytes), 0 if incomplete, -1 if not understood. */
static long resp_length(const uint8_t *p, size_t avail) {
    if (avail < 3) return 0;
    const uint8_t *crlf = memmem(p, avail, "\r\n", 2);
    if (!crlf) return 0;
    long line = crlf + 2 - p;
    switch (p[0]) {
    case '+': case '-': case ':': return line;
    case '$': {
        long n = strtol((const char *)p + 1, NULL, 10);
        if (n < 0) return line;
        return (size_t)(line + n + 2) <= avail ? line + n + 2 : 0;
    }
    default: return -1;
    }
}

static void read_connection(struct worker *w, struct connection *c) {
    if (!wire_reserve(&c->in, c->in.length + 65536)) die("out of memory");
    ssize_t n = read(c->fd, c->in.bytes + c->in.length, c->in.capacity - c->in.length);
    if (n == 0) {
        if (now_ns() < measure_end || c->outstanding) note_error(w, "connection closed by the server");
        c->dead = 1;
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        note_error(w, "read: %s", strerror(errno));
        c->dead = 1;
        return;
    }
    c->in.length += (size_t)n;
    uint64_t t = now_ns();
    int resend = t < measure_end;
    size_t at = 0;
    while (!c->dead && at < c->in.length) {
        size_t avail = c->in.length - at;
        const uint8_t *p = c->in.bytes + at;
        if (options.protocol == PROTOCOL_BSON) {
            if (avail < 4) break;
            uint32_t len = read_le32(p);
            if (len < 5 || len > (1u << 26)) { note_error(w, "a reply frame of length %u", len); c->dead = 1; break; }
            if (avail < len) break;
            int slot = bson_reply(w, c, p, len, t);
            if (slot >= 0 && resend) send_request(c, slot);
            at += len;
        } else {
            long len = resp_length(p, avail);
            if (len == 0) break;
            if (len < 0 || c->fifo_count == 0) { note_error(w, "an unexpected RESP reply"); c->dead = 1; break; }
            if (p[0] == '-') note_error(w, "error reply: %.*s", (int)(len - 2), (const char *)p);
            uint64_t sent = c->sent_at[c->fifo_head];
            c->fifo_head = (c->fifo_head + 1) % (size_t)options.in_flight;
            c->fifo_count--;
            reply_arrived(w, c, sent, p[0] != '-', t);
            if (resend) send_request(c, 0);
            at += (size_t)len;
        }
    }
    wire_consume(&c->in, at);
    if (!c->dead) flush_connection(w, c);
}

/* ---- threads ---- */

static void *run_worker(void *argument) {
    struct worker *w = argument;
    pthread_barrier_wait(&start_barrier);
    for (int i = 0; i < w->count; i++) {
        struct connection *c = &w->connections[i];
        for (int slot = 0; slot < options.in_flight; slot++) send_request(c, slot);
        flush_connection(w, c);
    }
    struct epoll_event events[256];
    for (;;) {
        uint64_t t = now_ns();
        if (t >= hard_end) break;
        if (t >= measure_end) {
            int waiting = 0;
            for (int i = 0; i < w->count; i++) waiting += !w->connections[i].dead && w->connections[i].outstanding > 0;
            if (!waiting) break;
        }
        int n = epoll_wait(w->epoll_fd, events, 256, 10);
        for (int i = 0; i < n; i++) {
            struct connection *c = events[i].data.ptr;
            if (c->dead) continue;
            if (events[i].events & EPOLLOUT) flush_connection(w, c);
            if (!c->dead && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_connection(w, c);
            if (c->dead) epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        }
    }
    return NULL;
}

static int connect_socket(void) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(options.socket_path) >= sizeof address.sun_path) die("socket path too long: %s", options.socket_path);
    strcpy(address.sun_path, options.socket_path);
    for (int attempt = 0;; attempt++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            return fd;
        }
        int error = errno;
        close(fd);
        /* A full listen backlog answers EAGAIN on a Unix socket: retry for a while. */
        if (error != EAGAIN || attempt >= 400) {
            fprintf(stderr, "loadgen: connect %s: %s\n", options.socket_path, strerror(error));
            exit(1);
        }
        usleep(5000);
    }
}

/* ---- request templates ---- */

static void set_bson_ping(void) {
    static const uint8_t ping[] = {
        30, 0, 0, 0,
        0x12, 'i', 'd', 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x02, 'o', 'p', 0, 5, 0, 0, 0, 'p', 'i', 'n', 'g', 0,
        0,
    };
    options.request_length = sizeof ping;
    options.request = checked_malloc(sizeof ping);
    memcpy(options.request, ping, sizeof ping);
}

static void read_request_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("%s: %s", path, strerror(errno));
    uint8_t header[4];
    if (fread(header, 1, 4, f) != 4) die("%s: not a BSON document", path);
    uint32_t len = read_le32(header);
    if (len < 21 || len > (1u << 24)) die("%s: a BSON document of %u bytes", path, len);
    options.request = checked_malloc(len);
    memcpy(options.request, header, 4);
    if (fread(options.request + 4, 1, len - 4, f) != len - 4) die("%s: shorter than its length prefix", path);
    fclose(f);
    if (options.request[4] != 0x12 || memcmp(options.request + 5, "id", 3) != 0) die("%s: the first element must be the int64 `id`", path);
    options.request_length = len;
}

static void set_resp(const char *words) {
    char *copy = strdup(words), *save = NULL;
    char *parts[16];
    int count = 0;
    for (char *word = strtok_r(copy, " ", &save); word && count < 16; word = strtok_r(NULL, " ", &save)) parts[count++] = word;
    if (count == 0) die("--resp needs a command");
    size_t capacity = 64 + strlen(words) * 2;
    char *out = checked_malloc(capacity);
    int length = snprintf(out, capacity, "*%d\r\n", count);
    for (int i = 0; i < count; i++) length += snprintf(out + length, capacity - (size_t)length, "$%zu\r\n%s\r\n", strlen(parts[i]), parts[i]);
    options.request = (uint8_t *)out;
    options.request_length = (size_t)length;
    options.protocol = PROTOCOL_RESP;
    free(copy);
}

static double positive_number(const char *name, const char *text) {
    char *end;
    double value = strtod(text, &end);
    if (*end || !(value >= 0)) die("%s takes a number, not '%s'", name, text);
    return value;
}

int main(int argc, char **argv) {
    const char *request_file = NULL, *resp = NULL;
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (i + 1 >= argc) die("%s needs a value", name);
        const char *value = argv[++i];
        if (!strcmp(name, "--socket")) options.socket_path = value;
        else if (!strcmp(name, "--request")) request_file = value;
        else if (!strcmp(name, "--resp")) resp = value;
        else if (!strcmp(name, "--connections")) options.connections = (int)positive_number(name, value);
        else if (!strcmp(name, "--in-flight")) options.in_flight = (int)positive_number(name, value);
        else if (!strcmp(name, "--threads")) options.threads = (int)positive_number(name, value);
        else if (!strcmp(name, "--duration")) options.duration = positive_number(name, value);
        else if (!strcmp(name, "--warmup")) options.warmup = positive_number(name, value);
        else if (!strcmp(name, "--op")) options.op = value;
        else if (!strcmp(name, "--label")) options.label = value;
        else die("unknown option %s", name);
    }
    if (!options.socket_path) die("--socket is required");
    if (options.connections < 1 || options.in_flight < 1 || options.threads < 1 || options.duration <= 0) die("counts and the duration must be positive");
    if (request_file && resp) die("--request and --resp exclude each other");
    if (resp) set_resp(resp);
    else if (request_file) read_request_file(request_file);
    else set_bson_ping();
    if (options.threads > options.connections) options.threads = options.connections;

    struct worker *workers = calloc((size_t)options.threads, sizeof *workers);
    if (!workers) die("out of memory");
    for (int t = 0; t < options.threads; t++) {
        workers[t].epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        workers[t].connections = calloc((size_t)(options.connections / options.threads + 1), sizeof(struct connection));
        lh_init(&workers[t].latency);
    }
    for (int i = 0; i < options.connections; i++) {
        struct worker *w = &workers[i % options.threads];
        struct connection *c = &w->connections[w->count++];
        c->fd = connect_socket();
        c->sent_at = calloc((size_t)options.in_flight, sizeof *c->sent_at);
        c->next_id = calloc((size_t)options.in_flight, sizeof *c->next_id);
        if (!c->sent_at || !c->next_id) die("out of memory");
        for (int s = 0; s < options.in_flight; s++) c->next_id[s] = s;
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, c->fd, &event);
    }

    pthread_barrier_init(&start_barrier, NULL, (unsigned)options.threads + 1);
    for (int t = 0; t < options.threads; t++) pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);
    uint64_t start = now_ns();
    measure_start = start + (uint64_t)(options.warmup * 1e9);
    measure_end = measure_start + (uint64_t)(options.duration * 1e9);
    hard_end = measure_end + 10ull * 1000000000ull;
    pthread_barrier_wait(&start_barrier);

    latency_histogram latency;
    lh_init(&latency);
    uint64_t completed = 0, errors = 0;
    const char *first_error = NULL;
    for (int t = 0; t < options.threads; t++) {
        pthread_join(workers[t].thread, NULL);
        lh_add(&latency, &workers[t].latency);
        completed += workers[t].completed;
        errors += workers[t].errors;
        if (!first_error && workers[t].first_error[0]) first_error = workers[t].first_error;
        for (int i = 0; i < workers[t].count; i++) {
            struct connection *c = &workers[t].connections[i];
            if (!c->dead && c->outstanding > 0) {
                errors++;
                if (!first_error) first_error = "replies still missing 10 s after the window";
            }
        }
    }

    double rate = (double)completed / options.duration;
    double p50 = lh_percentile(&latency, 50) / 1000, p99 = lh_percentile(&latency, 99) / 1000;
    double p999 = lh_percentile(&latency, 99.9) / 1000, max = (double)latency.max / 1000;
    fprintf(stderr, "%s C=%d P=%d: %.0f requests/s; latency p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs; %llu requests in %g s",
            options.op, options.connections, options.in_flight, rate, p50, p99, p999, (unsigned long long)completed, options.duration);
    if (errors) fprintf(stderr, "; %llu ERRORS (first: %s)", (unsigned long long)errors, first_error ? first_error : "?");
    fputc('\n', stderr);
    printf("{\"bench\": \"load\", \"label\": \"%s\", \"generator\": \"c\", \"op\": \"%s\", \"connections\": %d, \"in_flight\": %d, \"batch\": 0, "
           "\"rate\": 0.000, \"seconds\": %.3f, \"requests\": %llu, \"requests_per_s\": %.3f, \"rows_per_s\": 0.000, "
           "\"p50_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, \"max_us\": %.3f, \"errors\": %llu, \"duplicates\": 0}\n",
           options.label ? options.label : options.op, options.op, options.connections, options.in_flight, options.duration,
           (unsigned long long)completed, rate, p50, p99, p999, max, (unsigned long long)errors);
    return errors ? 1 : 0;
}
