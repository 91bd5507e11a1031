/*
 * alloc_count.c — counts the heap allocations of a process, for the
 * benchmark's allocation case: bench/run builds it as a shared library and
 * starts one deltastored with LD_PRELOAD pointing at it.
 *
 * Every malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign,
 * valloc and pvalloc of the process is counted (one relaxed atomic add) and
 * passed on to glibc's own allocator (its __libc_* entry points, so nothing
 * is looked up at run time and nothing here allocates). When the environment
 * names a file in ALLOC_COUNT_FILE, a thread of this library rewrites the
 * count there every 20 ms, as one fixed-width decimal line: a reader takes
 * the count before and after a run of requests (waiting 100 ms each time);
 * bench/run divides the allocations of a 3 s run less those of a 1 s run by
 * the requests of the one less those of the other, so that what opening and
 * closing the connections allocates cancels out.
 * That thread allocates nothing after it started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

static atomic_uint_fast64_t allocations;

static inline void counted(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

void *malloc(size_t size) {
    counted();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    counted();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    counted();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    counted();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    counted();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    counted();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer && size) return ENOMEM;
    *out = pointer;
    return 0;
}

void *valloc(size_t size) {
    counted();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    counted();
    return __libc_pvalloc(size);
}

static int report_fd = -1;

static void *report(void *unused) {
    (void)unused;
    char line[24];
    for (;;) {
        uint64_t value = atomic_load_explicit(&allocations, memory_order_relaxed);
        /* Twenty digits, right-aligned, then a newline: always 21 bytes. */
        memset(line, ' ', 20);
        line[20] = '\n';
        int at = 19;
        do {
            line[at--] = (char)('0' + value % 10);
            value /= 10;
        } while (value && at >= 0);
        if (pwrite(report_fd, line, 21, 0) != 21) return NULL;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

__attribute__((constructor)) static void start_reporting(void) {
    const char *path = getenv("ALLOC_COUNT_FILE");
    if (!path || !*path) return;
    report_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (report_fd < 0) return;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attributes, report, NULL);
    pthread_attr_destroy(&attributes);
}
