/*
 * echo.c — the transport's limit: the least a server can do for deltastore's
 * framing on this machine's Unix sockets. It reads each frame by its BSON
 * length prefix (refusing one outside 5 ... 16 MiB), and answers it with
 * `{id, ok: true, result: {pong: true}}` carrying the request's int64 `id`;
 * every reply of one read leaves in one write. One epoll loop per thread
 * (level-triggered), connections handed out round-robin by the accepting
 * thread. No validation, no dispatch: what deltastored cannot avoid.
 *
 *   echo --socket PATH [--threads N]     (default: one per core)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wire_buffer.h"

#define MAX_FRAME (16u << 20)

/* {id: int64 0, ok: true, result: {pong: true}} */
static const uint8_t reply_template[] = {
    42, 0, 0, 0,
    0x12, 'i', 'd', 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x08, 'o', 'k', 0, 1,
    0x03, 'r', 'e', 's', 'u', 'l', 't', 0,
    12, 0, 0, 0, 0x08, 'p', 'o', 'n', 'g', 0, 1, 0,
    0,
};

struct connection {
    int fd;
    struct wire_buffer in, out;
    int writable_wait;
};

struct loop {
    pthread_t thread;
    int epoll_fd;
};

static void drop(struct loop *loop, struct connection *c) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in.bytes);
    free(c->out.bytes);
    free(c);
}

/* Returns 0 when the connection must close. */
static int flush_out(struct loop *loop, struct connection *c) {
    enum wire_flush state = wire_flush(c->fd, &c->out);
    if (state == WIRE_FAILED) return 0;
    int wait = state == WIRE_WOULD_BLOCK;
    if (wait != c->writable_wait) {
        /* While replies wait for the client, stop reading its requests. */
        struct epoll_event event = {.events = wait ? EPOLLOUT : EPOLLIN, .data.ptr = c};
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
        c->writable_wait = wait;
    }
    return 1;
}

/* Returns 0 when the connection must close. */
static int serve(struct loop *loop, struct connection *c) {
    if (!wire_reserve(&c->in, c->in.length + 16384)) return 0;
    ssize_t n = read(c->fd, c->in.bytes + c->in.length, c->in.capacity - c->in.length);
    if (n == 0) return 0;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c->in.length += (size_t)n;
    size_t at = 0;
    while (c->in.length - at >= 4) {
        uint32_t len = wire_le32(c->in.bytes + at);
        if (len < 5 || len > MAX_FRAME) return 0;
        if (c->in.length - at < len) {
            if (!wire_reserve(&c->in, at + len)) return 0;
            break;
        }
        const uint8_t *frame = c->in.bytes + at;
        if (len < 16 || frame[4] != 0x12 || memcmp(frame + 5, "id", 3) != 0) return 0;
        if (!wire_reserve(&c->out, c->out.length + sizeof reply_template)) return 0;
        memcpy(c->out.bytes + c->out.length, reply_template, sizeof reply_template);
        memcpy(c->out.bytes + c->out.length + 8, frame + 8, 8);
        c->out.length += sizeof reply_template;
        at += len;
    }
    wire_consume(&c->in, at);
    return flush_out(loop, c);
}

static void *run_loop(void *argument) {
    struct loop *loop = argument;
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(loop->epoll_fd, events, 256, -1);
        for (int i = 0; i < n; i++) {
            struct connection *c = events[i].data.ptr;
            int keep = 1;
            if (events[i].events & EPOLLOUT) keep = flush_out(loop, c);
            if (keep && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->writable_wait) keep = serve(loop, c);
            if (!keep) drop(loop, c);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--socket")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = strtol(argv[i + 1], NULL, 10);
        else { fprintf(stderr, "echo: unknown option %s\n", argv[i]); return 2; }
    }
    if (!path || threads < 1) { fprintf(stderr, "usage: echo --socket PATH [--threads N]\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) { fprintf(stderr, "echo: socket path too long\n"); return 2; }
    strcpy(address.sun_path, path);
    unlink(path);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 256) != 0) {
        perror("echo: listen");
        return 1;
    }
    struct loop *loops = calloc((size_t)threads, sizeof *loops);
    if (!loops) return 1;
    for (long t = 0; t < threads; t++) {
        loops[t].epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        pthread_create(&loops[t].thread, NULL, run_loop, &loops[t]);
    }
    fprintf(stderr, "echo listening on %s with %ld epoll loops\n", path, threads);
    for (unsigned long next = 0;; next++) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            perror("echo: accept");
            return 1;
        }
        struct connection *c = calloc(1, sizeof *c);
        if (!c) { close(fd); continue; }
        c->fd = fd;
        struct loop *loop = &loops[next % (unsigned long)threads];
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}
