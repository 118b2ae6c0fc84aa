/* SPDX-License-Identifier: MIT */
/* A stand-in for kvmtool's kvm/util.h (written for this test): helpers the
 * tree declares once for all its files, with the names it uses. */
#ifndef KVM_UTIL_H
#define KVM_UTIL_H

#include <linux/compiler.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int pr_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ALIGN(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#define min(x, y) ((x) < (y) ? (x) : (y))
#define max(x, y) ((x) > (y) ? (x) : (y))

#endif
