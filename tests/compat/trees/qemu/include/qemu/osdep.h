/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for a QEMU tree's qemu/osdep.h, written for odma's compat
 * test: what matters to odma is that it comes first in every file, asks
 * for _GNU_SOURCE itself, and pulls in <unistd.h> (which then declares
 * syscall()) and a wide set of system headers before anything else.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The kind of helpers a tree defines for itself, with their usual names. */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define container_of(ptr, type, member)                                       \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
#define QEMU_IS_ALIGNED(n, m) (((n) % (m)) == 0)
#define QEMU_PACKED __attribute__((packed))
#define QEMU_ALWAYS_INLINE __attribute__((always_inline))
#define G_GNUC_UNUSED __attribute__((unused))

#endif
