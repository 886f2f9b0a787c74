/*
 * lio_bench: the C side of bench/compare.sh. Random 4 KiB reads of FILE through glibc's POSIX AIO,
 * in lists of DEPTH, for SECONDS; prints one line "IOPS=<reads per second> ..." that compare.sh
 * parses. What jaio's posix engine does, without the JVM: its ceiling.
 *
 *   lio_bench FILE wait DEPTH SECONDS   lio_listio(LIO_WAIT, DEPTH reads), aio_return each, repeat
 *   lio_bench FILE last DEPTH SECONDS   lio_listio(LIO_NOWAIT, DEPTH reads), aio_suspend on the
 *                                       last one, then on each in list order (a wait returns at
 *                                       once for a read already done), aio_return each, repeat
 *
 * Build: gcc -O2 -Wall -o lio_bench bench/lio_bench.c -lrt
 *
 * Every read must return 4096 bytes: anything else (an error, a short read) ends the program
 * with exit status 1 and the reason, so a broken run never prints a number. Offsets come from a
 * fixed-seed xorshift generator, 4 KiB-aligned, anywhere in the file.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static void fail(const char *what, int err) {
    fprintf(stderr, "lio_bench: %s: %s\n", what, strerror(err));
    exit(1);
}

static double now(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
        fail("clock_gettime", errno);
    }
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t next_random(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Waits until cb is no longer in progress; aio_suspend may return early (EINTR), so ask again. */
static void await_one(struct aiocb *cb) {
    const struct aiocb *list[1] = {cb};
    while (aio_error(cb) == EINPROGRESS) {
        if (aio_suspend(list, 1, NULL) != 0 && errno != EINTR) {
            fail("aio_suspend", errno);
        }
    }
}

/* aio_return of a finished read, which must have read a whole block. */
static void reap(struct aiocb *cb) {
    int err = aio_error(cb);
    if (err != 0) {
        fail("a read failed", err < 0 ? errno : err);
    }
    ssize_t n = aio_return(cb);
    if (n != BLOCK) {
        fprintf(stderr, "lio_bench: a read returned %zd bytes, not %d (is the file shorter than 4 KiB?)\n", n, BLOCK);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[2], "wait") != 0 && strcmp(argv[2], "last") != 0)) {
        fprintf(stderr, "usage: lio_bench FILE wait|last DEPTH SECONDS\n");
        return 2;
    }
    const char *path = argv[1];
    int wait_mode = strcmp(argv[2], "wait") == 0;
    int depth = atoi(argv[3]);
    double seconds = atof(argv[4]);
    if (depth < 1 || depth > 1024 || seconds <= 0) {
        fprintf(stderr, "lio_bench: DEPTH must be 1..1024 and SECONDS > 0\n");
        return 2;
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(path, errno);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail("fstat", errno);
    }
    uint64_t blocks = (uint64_t)st.st_size / BLOCK;
    if (blocks == 0) {
        fprintf(stderr, "lio_bench: %s is shorter than one 4 KiB block\n", path);
        return 1;
    }

    struct aiocb *cbs = calloc((size_t)depth, sizeof *cbs);
    struct aiocb **list = calloc((size_t)depth, sizeof *list);
    char *buffers = aligned_alloc(BLOCK, (size_t)depth * BLOCK);
    if (cbs == NULL || list == NULL || buffers == NULL) {
        fail("allocating the lists", ENOMEM);
    }
    for (int i = 0; i < depth; i++) {
        cbs[i].aio_fildes = fd;
        cbs[i].aio_buf = buffers + (size_t)i * BLOCK;
        cbs[i].aio_nbytes = BLOCK;
        cbs[i].aio_lio_opcode = LIO_READ;
        cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
        list[i] = &cbs[i];
    }

    uint64_t seed = 0x9e3779b97f4a7c15u, reads = 0;
    double start = now(), end = start + seconds, finished;
    do {
        for (int i = 0; i < depth; i++) {
            cbs[i].aio_offset = (off_t)((next_random(&seed) % blocks) * BLOCK);
        }
        if (lio_listio(wait_mode ? LIO_WAIT : LIO_NOWAIT, list, depth, NULL) != 0) {
            fail("lio_listio", errno);
        }
        if (!wait_mode) {
            await_one(&cbs[depth - 1]);
            for (int i = 0; i < depth; i++) {
                await_one(&cbs[i]);
            }
        }
        for (int i = 0; i < depth; i++) {
            reap(&cbs[i]);
        }
        reads += (uint64_t)depth;
        finished = now();
    } while (finished < end);

    double elapsed = finished - start;
    printf("IOPS=%.0f mode=%s depth=%d reads=%llu seconds=%.2f file=%s\n", (double)reads / elapsed,
           argv[2], depth, (unsigned long long)reads, elapsed, path);
    free(buffers);
    free(list);
    free(cbs);
    if (close(fd) != 0) {
        fail("close", errno);
    }
    return 0;
}
