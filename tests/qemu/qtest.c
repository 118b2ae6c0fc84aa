/* SPDX-License-Identifier: MIT */
/* qtest.c - the qtest protocol client described in qtest.h. */
#define _GNU_SOURCE
#include "qtest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QT_TIMEOUT_MS 20000
#define QT_CHUNK 32768 /* bytes per read/write command */

void qt_fail(struct qt *qt, const char *fmt, ...)
{
    va_list ap;

    if (qt->failed)
        return; /* keep the first reason */
    qt->failed = 1;
    va_start(ap, fmt);
    vsnprintf(qt->why, sizeof(qt->why), fmt, ap);
    va_end(ap);
}

int qt_start(struct qt *qt, const char *qemu, const char *dir, const char *tag,
             const char *const *extra)
{
    struct sockaddr_un sa;
    char qarg[160], qlog[600], bios[600];
    const char *argv[64];
    int lfd, n = 0, i;
    struct pollfd p;

    memset(qt, 0, sizeof(*qt));
    qt->fd = -1;
    qt->pid = -1;
    snprintf(qt->sock, sizeof(qt->sock), "/tmp/odma-qtest-%d-%s.sock", (int)getpid(), tag);
    snprintf(qt->log, sizeof(qt->log), "%s/%s.log", dir, tag);
    snprintf(qlog, sizeof(qlog), "%s/%s.qtest", dir, tag);
    snprintf(bios, sizeof(bios), "%s/zero-bios.bin", dir);
    snprintf(qarg, sizeof(qarg), "unix:%s", qt->sock);
    unlink(qt->sock);

    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        qt_fail(qt, "socket: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", qt->sock);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
        qt_fail(qt, "bind/listen %s: %s", qt->sock, strerror(errno));
        close(lfd);
        return -1;
    }

    argv[n++] = qemu;
    argv[n++] = "-machine";
    argv[n++] = "pc";
    argv[n++] = "-accel";
    argv[n++] = "qtest";
    argv[n++] = "-qtest";
    argv[n++] = qarg;
    argv[n++] = "-qtest-log";
    argv[n++] = qlog;
    argv[n++] = "-display";
    argv[n++] = "none";
    argv[n++] = "-nodefaults";
    argv[n++] = "-m";
    argv[n++] = "256M";
    argv[n++] = "-bios";
    argv[n++] = bios;
    for (i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    qt->pid = fork();
    if (qt->pid < 0) {
        qt_fail(qt, "fork: %s", strerror(errno));
        close(lfd);
        return -1;
    }
    if (qt->pid == 0) {
        int lf = open(qt->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
        }
        execv(qemu, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", qemu, strerror(errno));
        _exit(127);
    }
    p.fd = lfd;
    p.events = POLLIN;
    if (poll(&p, 1, QT_TIMEOUT_MS) != 1) {
        qt_fail(qt, "QEMU did not connect within %d ms (see %s)", QT_TIMEOUT_MS, qt->log);
        close(lfd);
        return -1;
    }
    qt->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    close(lfd);
    unlink(qt->sock);
    if (qt->fd < 0) {
        qt_fail(qt, "accept: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int qt_stop(struct qt *qt)
{
    int st = 0, i;

    if (qt->fd >= 0)
        close(qt->fd);
    qt->fd = -1;
    if (qt->pid > 0) {
        /* QEMU shuts down cleanly on SIGTERM (exit status 0), as libqtest
         * asks it to; SIGKILL only if it hangs. */
        kill(qt->pid, SIGTERM);
        for (i = 0; i < 500; i++) {
            if (waitpid(qt->pid, &st, WNOHANG) == qt->pid)
                break;
            usleep(10000);
        }
        if (i == 500) {
            kill(qt->pid, SIGKILL);
            waitpid(qt->pid, &st, 0);
        }
        qt->pid = -1;
    }
    free(qt->buf);
    qt->buf = NULL;
    unlink(qt->sock);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One line from QEMU into qt->buf (NUL-terminated, without '\n'); the
 * bytes after it stay in the buffer. Returns the line or NULL. */
static char *qt_line(struct qt *qt, size_t *consumed)
{
    for (;;) {
        char *nl = qt->len ? memchr(qt->buf, '\n', qt->len) : NULL;
        struct pollfd p = { .fd = qt->fd, .events = POLLIN };
        ssize_t got;

        if (nl) {
            *nl = 0;
            *consumed = (size_t)(nl - qt->buf) + 1;
            return qt->buf;
        }
        if (qt->cap - qt->len < 65536) {
            qt->cap = qt->cap ? qt->cap * 2 : 131072;
            qt->buf = realloc(qt->buf, qt->cap);
            if (!qt->buf) {
                qt_fail(qt, "out of memory");
                return NULL;
            }
        }
        if (poll(&p, 1, QT_TIMEOUT_MS) != 1) {
            qt_fail(qt, "no answer from QEMU within %d ms", QT_TIMEOUT_MS);
            return NULL;
        }
        got = read(qt->fd, qt->buf + qt->len, qt->cap - qt->len);
        if (got <= 0) {
            qt_fail(qt, "QEMU closed the connection (see %s)", qt->log);
            return NULL;
        }
        qt->len += (size_t)got;
    }
}

/* Send a command; return what follows "OK" in the reply (valid until the
 * next command), or NULL on failure. */
static const char *qt_cmd(struct qt *qt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char qt_reply[1 << 20];
static const char *qt_cmd(struct qt *qt, const char *fmt, ...)
{
    static char *line;
    static size_t linecap;
    va_list ap;
    int n;

    if (qt->failed)
        return NULL;
    va_start(ap, fmt);
    n = vsnprintf(line, linecap, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n + 2 > linecap) {
        linecap = (size_t)n + 2;
        line = realloc(line, linecap);
        if (!line) {
            qt_fail(qt, "out of memory");
            return NULL;
        }
        va_start(ap, fmt);
        vsnprintf(line, linecap, fmt, ap);
        va_end(ap);
    }
    line[n] = '\n';
    for (size_t off = 0; off < (size_t)n + 1;) {
        ssize_t w = write(qt->fd, line + off, (size_t)n + 1 - off);
        if (w <= 0) {
            qt_fail(qt, "writing to QEMU: %s", strerror(errno));
            return NULL;
        }
        off += (size_t)w;
    }
    line[n] = 0;
    for (;;) {
        size_t used;
        char *l = qt_line(qt, &used);
        if (!l)
            return NULL;
        if (strncmp(l, "IRQ", 3) == 0) {
            memmove(qt->buf, qt->buf + used, qt->len - used);
            qt->len -= used;
            continue;
        }
        if (strncmp(l, "OK", 2) != 0) {
            qt_fail(qt, "'%.60s' answered '%.200s'", line, l);
            return NULL;
        }
        snprintf(qt_reply, sizeof(qt_reply), "%s", l + 2 + (l[2] == ' '));
        memmove(qt->buf, qt->buf + used, qt->len - used);
        qt->len -= used;
        return qt_reply;
    }
}

static uint64_t qt_num(struct qt *qt, const char *r)
{
    char *end;
    uint64_t v;

    if (!r)
        return ~(uint64_t)0;
    errno = 0;
    v = strtoull(r, &end, 0);
    if (errno || end == r) {
        qt_fail(qt, "not a number: '%.40s'", r);
        return ~(uint64_t)0;
    }
    return v;
}

uint64_t qt_readq(struct qt *qt, uint64_t addr)
{
    return qt_num(qt, qt_cmd(qt, "readq 0x%" PRIx64, addr));
}

uint32_t qt_readl(struct qt *qt, uint64_t addr)
{
    return (uint32_t)qt_num(qt, qt_cmd(qt, "readl 0x%" PRIx64, addr));
}

void qt_writel(struct qt *qt, uint64_t addr, uint32_t val)
{
    qt_cmd(qt, "writel 0x%" PRIx64 " 0x%" PRIx32, addr, val);
}

void qt_writeq(struct qt *qt, uint64_t addr, uint64_t val)
{
    qt_cmd(qt, "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, val);
}

static char qt_w(int width)
{
    return width == 1 ? 'b' : width == 2 ? 'w' : 'l';
}

uint32_t qt_in(struct qt *qt, int width, uint16_t port)
{
    return (uint32_t)qt_num(qt, qt_cmd(qt, "in%c 0x%x", qt_w(width), port));
}

void qt_out(struct qt *qt, int width, uint16_t port, uint32_t val)
{
    qt_cmd(qt, "out%c 0x%x 0x%" PRIx32, qt_w(width), port, val);
}

static int qt_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void qt_memread(struct qt *qt, uint64_t addr, void *buf, size_t len)
{
    unsigned char *out = buf;

    memset(buf, 0xff, len);
    while (len > 0 && !qt->failed) {
        size_t n = len < QT_CHUNK ? len : QT_CHUNK, i;
        const char *r = qt_cmd(qt, "read 0x%" PRIx64 " 0x%zx", addr, n);

        if (!r)
            return;
        if (strncmp(r, "0x", 2) != 0 || strlen(r) != 2 + 2 * n) {
            qt_fail(qt, "read of %zu bytes answered %zu characters", n, strlen(r));
            return;
        }
        for (i = 0; i < n; i++) {
            int hi = qt_hex(r[2 + 2 * i]), lo = qt_hex(r[3 + 2 * i]);
            if (hi < 0 || lo < 0) {
                qt_fail(qt, "read: bad hex digit");
                return;
            }
            out[i] = (unsigned char)(hi << 4 | lo);
        }
        addr += n;
        out += n;
        len -= n;
    }
}

void qt_memwrite(struct qt *qt, uint64_t addr, const void *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *in = buf;
    char *hex = malloc(2 * QT_CHUNK + 1);

    if (!hex) {
        qt_fail(qt, "out of memory");
        return;
    }
    while (len > 0 && !qt->failed) {
        size_t n = len < QT_CHUNK ? len : QT_CHUNK, i;

        for (i = 0; i < n; i++) {
            hex[2 * i] = digits[in[i] >> 4];
            hex[2 * i + 1] = digits[in[i] & 15];
        }
        hex[2 * n] = 0;
        qt_cmd(qt, "write 0x%" PRIx64 " 0x%zx 0x%s", addr, n, hex);
        addr += n;
        in += n;
        len -= n;
    }
    free(hex);
}

void qt_memset(struct qt *qt, uint64_t addr, int byte, size_t len)
{
    qt_cmd(qt, "memset 0x%" PRIx64 " 0x%zx 0x%02x", addr, len, byte & 0xff);
}

static uint32_t qt_cfg_addr(int dev, int fn, int off)
{
    return 0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)(off & 0xfc);
}

uint32_t qt_cfg_read(struct qt *qt, int dev, int fn, int off, int width)
{
    qt_out(qt, 4, 0xcf8, qt_cfg_addr(dev, fn, off));
    return qt_in(qt, width, (uint16_t)(0xcfc + (off & 3)));
}

void qt_cfg_write(struct qt *qt, int dev, int fn, int off, int width, uint32_t val)
{
    qt_out(qt, 4, 0xcf8, qt_cfg_addr(dev, fn, off));
    qt_out(qt, width, (uint16_t)(0xcfc + (off & 3)), val);
}
