/* SPDX-License-Identifier: MIT */
/*
 * qtest.h - a small client of QEMU's qtest text protocol, our own.
 *
 * The client listens on a Unix socket, starts QEMU with
 * "-accel qtest -qtest unix:PATH" (QEMU connects to us), then sends one
 * command per line ("readl 0x...", "outl 0xcf8 0x...", "write ADDR LEN
 * 0xHEX", ...) and reads one "OK ..." or "FAIL ..." line back for each.
 * Asynchronous "IRQ raise N" / "IRQ lower N" lines are skipped.
 *
 * Errors (QEMU gone, timeout, FAIL reply) set qt->failed with a message;
 * later calls then do nothing and return all-ones, so a scenario checks
 * qt->failed once at its end (or on the way, for a clearer message).
 */
#ifndef ODMA_QTEST_H
#define ODMA_QTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qt {
    int fd;            /* the connection to QEMU */
    pid_t pid;         /* QEMU */
    char sock[108];
    char log[512];     /* QEMU's stderr and the qtest log go here */
    int failed;
    char why[512];
    char *buf;         /* receive buffer */
    size_t len, cap;
};

/* Start `qemu` with the standard arguments plus `extra` (NULL-terminated).
 * `dir` holds the socket and the logs, `tag` names them. 0 on success. */
int qt_start(struct qt *qt, const char *qemu, const char *dir, const char *tag,
             const char *const *extra);
/* Ask QEMU to quit, reap it; returns its exit status (-1: killed). */
int qt_stop(struct qt *qt);

void qt_fail(struct qt *qt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint64_t qt_readq(struct qt *qt, uint64_t addr);
uint32_t qt_readl(struct qt *qt, uint64_t addr);
void qt_writel(struct qt *qt, uint64_t addr, uint32_t val);
void qt_writeq(struct qt *qt, uint64_t addr, uint64_t val);
uint32_t qt_in(struct qt *qt, int width, uint16_t port);
void qt_out(struct qt *qt, int width, uint16_t port, uint32_t val);
void qt_memread(struct qt *qt, uint64_t addr, void *buf, size_t len);
void qt_memwrite(struct qt *qt, uint64_t addr, const void *buf, size_t len);
void qt_memset(struct qt *qt, uint64_t addr, int byte, size_t len);

/* PCI configuration space on bus 0 through ports 0xcf8/0xcfc. */
uint32_t qt_cfg_read(struct qt *qt, int dev, int fn, int off, int width);
void qt_cfg_write(struct qt *qt, int dev, int fn, int off, int width, uint32_t val);

#endif /* ODMA_QTEST_H */
