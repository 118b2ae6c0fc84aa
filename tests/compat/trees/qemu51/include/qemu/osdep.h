/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for qemu/osdep.h of an older QEMU tree (5.x), written for
 * odma's compat test: it comes first, defines _GNU_SOURCE, pulls in
 * <unistd.h> and the usual system headers, and then the tree's atomics.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))

#include "qemu/atomic.h"

#endif
