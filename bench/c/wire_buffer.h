/*
 * wire_buffer.h — the byte buffers the C load generator and the C echo server
 * share: growing a buffer, writing out what is pending on a non-blocking
 * socket, reading a little-endian length prefix.
 */
#ifndef DELTASTORE_WIRE_BUFFER_H
#define DELTASTORE_WIRE_BUFFER_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wire_buffer {
    uint8_t *bytes;
    size_t length, capacity;
    size_t offset; /* bytes already written out (outgoing buffers) */
};

static inline uint32_t wire_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Makes room for `needed` bytes in all; 0 when memory ran out. */
static inline int wire_reserve(struct wire_buffer *b, size_t needed) {
    if (needed <= b->capacity) return 1;
    size_t size = b->capacity ? b->capacity : 16384;
    while (size < needed) size *= 2;
    uint8_t *grown = realloc(b->bytes, size);
    if (!grown) return 0;
    b->bytes = grown;
    b->capacity = size;
    return 1;
}

/* Drops the first `count` bytes. */
static inline void wire_consume(struct wire_buffer *b, size_t count) {
    memmove(b->bytes, b->bytes + count, b->length - count);
    b->length -= count;
}

enum wire_flush { WIRE_FLUSHED, WIRE_WOULD_BLOCK, WIRE_FAILED };

/* Writes what is pending; an emptied buffer starts over at its beginning. */
static inline enum wire_flush wire_flush(int fd, struct wire_buffer *b) {
    while (b->offset < b->length) {
        ssize_t n = write(fd, b->bytes + b->offset, b->length - b->offset);
        if (n > 0) { b->offset += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return WIRE_WOULD_BLOCK;
        return WIRE_FAILED;
    }
    b->offset = b->length = 0;
    return WIRE_FLUSHED;
}

#endif
