// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/loop.c - listeners, connections and the one epoll
 * loop that serves them.
 *
 * Kicks: each started queue's kick eventfd is in the epoll set; a kick
 * drains the eventfd and serves the queue until it is empty (the device
 * model re-enables notifications before it goes to sleep) or until its
 * budget of VU_BUDGET chains is spent, in which case the loop comes back
 * to it without sleeping. With --poll nothing sleeps: every started queue
 * is served on every turn and notifications stay disabled.
 * Calls: an 8-byte write of 1 to the queue's call fd (an eventfd, or the
 * pipe user-mode-linux passes; both take the same write).
 */
#define _GNU_SOURCE
#include "vu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { EV_LISTEN = 0, EV_SOCK = 1, EV_KICK0 = 2 }; /* low bits of epoll data */

static int ep = -1;
static struct vu_conn *conns, *dead;
static bool work_pending;
static volatile sig_atomic_t stop_requested;

struct vu_conn *vu_conns(void)
{
    return conns;
}

void vu_wake_later(void)
{
    work_pending = true;
}

void vu_log(const struct vu_conn *c, const char *fmt, ...)
{
    va_list ap;
    if (c)
        fprintf(stderr, "vhost_user[%s %u]: ", c->l->ops->name, c->id);
    else
        fprintf(stderr, "vhost_user: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static uint64_t tag(void *p, unsigned kind)
{
    return (uint64_t)(uintptr_t)p | kind;
}

void vu_queue_started(struct vu_conn *c, unsigned q)
{
    struct vu_queue *vq = &c->q[q];
    if (vu_opt.poll) {
        dma_vq_disable_notify(&vq->vq);
        return;
    }
    if (vq->kick_fd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag(c, EV_KICK0 + q)};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, vq->kick_fd, &ev) < 0)
            vu_log(c, "queue %u: epoll add kick: %s", q, strerror(errno));
    }
    vq->pending = true; /* look once: buffers may be there already */
    work_pending = true;
}

void vu_queue_stopping(struct vu_conn *c, unsigned q)
{
    if (!vu_opt.poll && c->q[q].kick_fd >= 0)
        epoll_ctl(ep, EPOLL_CTL_DEL, c->q[q].kick_fd, NULL);
}

void vu_call(struct vu_conn *c, unsigned q)
{
    uint64_t one = 1;
    int fd = c->q[q].call_fd;
    if (fd < 0)
        return;
    c->q[q].calls++;
    /* EAGAIN: the counter or pipe is full, an interrupt is pending anyway */
    if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN && errno != EINTR)
        vu_log(c, "queue %u: call: %s", q, strerror(errno));
}

int vu_listen(struct vu_listener *l);
int vu_listen(struct vu_listener *l)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(l->path) >= sizeof(sa.sun_path)) {
        vu_log(NULL, "%s: socket path too long", l->path);
        return -1;
    }
    strcpy(sa.sun_path, l->path);
    unlink(l->path);
    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(l->fd, 8) < 0) {
        vu_log(NULL, "%s: %s", l->path, strerror(errno));
        return -1;
    }
    if (ep < 0)
        ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag(l, EV_LISTEN)};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
        vu_log(NULL, "epoll: %s", strerror(errno));
        return -1;
    }
    vu_log(NULL, "%s device on %s", l->ops->name, l->path);
    return 0;
}

static void accept_conn(struct vu_listener *l)
{
    int s = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0) {
        vu_log(NULL, "%s: accept: %s", l->path, strerror(errno));
        return;
    }
    struct vu_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(s);
        return;
    }
    c->l = l;
    c->sock = s;
    c->id = l->next_id++;
    c->backend_req_fd = -1;
    dma_ctx_init(&c->ctx, vu_opt.policy);
    for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
        c->q[q].kick_fd = c->q[q].call_fd = c->q[q].err_fd = -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag(c, EV_SOCK)};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) {
        close(s);
        free(c);
        return;
    }
    if (l->ops->open)
        l->ops->open(c);
    c->next = conns;
    conns = c;
    vu_log(c, "connected");
}

static void drop_conn(struct vu_conn *c)
{
    for (struct vu_conn **pp = &conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (c->l->ops->close)
        c->l->ops->close(c);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->sock, NULL);
    vu_conn_reset(c);
    close(c->sock);
    c->sock = -1;
    vu_log(c, "disconnected");
    c->next = dead; /* freed after this batch of events */
    dead = c;
}

static void on_kick(struct vu_conn *c, unsigned q)
{
    uint64_t n;
    if (q >= VU_MAX_QUEUES || c->q[q].kick_fd < 0)
        return;
    while (read(c->q[q].kick_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
        ;
    if (vu_queue_ready(c, q))
        c->q[q].pending = c->l->ops->serve(c, q);
    if (c->q[q].pending)
        work_pending = true;
}

/* After a second with no event, look at every queue once more. Buffers
 * found there were published without a kick reaching us: a lost wake-up
 * (the driver's bug or ours). Logged, so tests can insist on none, and
 * served, so the device does not hang on it. */
static void check_lost_kicks(void)
{
    for (struct vu_conn *c = conns; c; c = c->next)
        for (unsigned q = 0; q < c->l->ops->nqueues; q++) {
            if (!vu_queue_ready(c, q))
                continue;
            uint64_t before = c->q[q].chains;
            c->q[q].pending = c->l->ops->serve(c, q);
            if (c->q[q].chains != before)
                vu_log(c, "queue %u: %llu chains found without a kick (lost wake-up)", q,
                       (unsigned long long)(c->q[q].chains - before));
        }
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Serve until SIGINT/SIGTERM; then drop every connection (printing its
 * counters) and return. */
void vu_run(void);
void vu_run(void)
{
    struct epoll_event evs[64];
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned spin = 0;
    while (!stop_requested) {
        int timeout = (work_pending || vu_opt.poll) ? 0 : 1000;
        int n = 0;
        work_pending = false;
        /* Polling: look at the sockets and kicks every 64th turn only. */
        if (!vu_opt.poll || (spin++ & 63) == 0)
            n = epoll_wait(ep, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            vu_log(NULL, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t d = evs[i].data.u64;
            unsigned kind = (unsigned)(d & 7);
            void *p = (void *)(uintptr_t)(d & ~(uint64_t)7);
            if (kind == EV_LISTEN) {
                accept_conn(p);
                continue;
            }
            struct vu_conn *c = p;
            if (c->sock < 0)
                continue; /* dropped earlier in this batch */
            if (kind == EV_SOCK) {
                if (vu_handle_message(c) < 0)
                    drop_conn(c);
            } else {
                on_kick(c, kind - EV_KICK0);
            }
        }
        while (dead) {
            struct vu_conn *c = dead;
            dead = c->next;
            free(c);
        }
        if (n == 0 && timeout > 0)
            check_lost_kicks();
        for (struct vu_conn *c = conns; c; c = c->next) {
            for (unsigned q = 0; q < c->l->ops->nqueues; q++) {
                if (!vu_queue_ready(c, q) || !(vu_opt.poll || c->q[q].pending))
                    continue;
                c->q[q].pending = c->l->ops->serve(c, q);
                if (c->q[q].pending)
                    work_pending = true;
            }
            if (c->l->ops->idle && c->l->ops->idle(c))
                work_pending = true;
        }
    }
    while (conns)
        drop_conn(conns);
    while (dead) {
        struct vu_conn *c = dead;
        dead = c->next;
        free(c);
    }
}
