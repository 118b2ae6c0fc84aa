/* SPDX-License-Identifier: MIT */
/*
 * odma/testing.h - trace recorder for unit-testing device models.
 * Not included by odma.h.
 *
 * In exactly one file of a test program:
 *
 *     #define ODMA_TESTING_IMPLEMENTATION
 *     #include <odma/testing.h>
 *
 * Other files of the same program include it without the macro. It
 * defines ODMA_TRACE itself and includes odma.h (it must come before any
 * other include of odma.h in the file, or ODMA_TRACE must already be set).
 *
 *     dma_trace_reset();                    // start recording this thread
 *     dma_write_publish(&ctx, 0x1000, &cqe, 16, 14, 2);
 *     // dma_trace_string() == "rmb W@0x1000+14 wmb W@0x100e+2" (after a read)
 *
 * The recorder is per thread and bounded (ODMA_TESTING_MAX_EVENTS, default
 * 4096 events). Events past the bound are counted, never silently lost:
 * the string then ends with "overflow+N".
 *
 * Compact form, tokens separated by one space:
 *   R@0x1000+4  W@0x2000+16        accesses (lowercase hex, length decimal)
 *   rmb  wmb  mb                   barriers
 *   map:R@0x1000+4096              a successful dma_map (mapped length)
 *   unmap:W@0x1000+512             dma_unmap (access length)
 *   notify                         dma_notify_barrier (its barrier follows)
 */
#ifndef ODMA_TESTING_H
#define ODMA_TESTING_H

#ifndef ODMA_TRACE
#define ODMA_TRACE
#endif
#include "../odma.h"

#ifndef ODMA_TESTING_MAX_EVENTS
#define ODMA_TESTING_MAX_EVENTS 4096
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Clear this thread's trace and start recording it. */
void dma_trace_reset(void);
/* Stop recording this thread (the trace is kept). */
void dma_trace_stop(void);
/* The recorded events; *n gets their count. */
const struct dma_trace_event *dma_trace_events(size_t *n);
/* Events that did not fit. */
size_t dma_trace_dropped(void);
/* The compact form; valid until the next call on this thread. */
const char *dma_trace_string(void);

#ifdef __cplusplus
}
#endif

#ifdef ODMA_TESTING_IMPLEMENTATION
#include <stdio.h>

/* Longest token: "unmap:W@0x" + 16 hex digits + "+" + 20 digits, + space. */
#define ODMA__TOKEN_MAX 56

static ODMA__THREAD_LOCAL struct odma__trace_log {
    bool recording;
    size_t n, dropped;
    struct dma_trace_event ev[ODMA_TESTING_MAX_EVENTS];
    char str[ODMA_TESTING_MAX_EVENTS * ODMA__TOKEN_MAX + 32];
} odma__log;

#ifdef __cplusplus
extern "C" {
#endif

void odma_trace(const struct dma_trace_event *ev)
{
    if (!odma__log.recording)
        return;
    if (odma__log.n < ODMA_TESTING_MAX_EVENTS)
        odma__log.ev[odma__log.n++] = *ev;
    else
        odma__log.dropped++;
}

void dma_trace_reset(void)
{
    odma__log.n = 0;
    odma__log.dropped = 0;
    odma__log.recording = true;
}

void dma_trace_stop(void)
{
    odma__log.recording = false;
}

const struct dma_trace_event *dma_trace_events(size_t *n)
{
    if (n)
        *n = odma__log.n;
    return odma__log.ev;
}

size_t dma_trace_dropped(void)
{
    return odma__log.dropped;
}

static int odma__token(char *out, size_t size, const struct dma_trace_event *e)
{
    static const char *const barrier_name[4] = { "none", "rmb", "wmb", "mb" };
    const char *rw = e->dir == DMA_DIR_WRITE ? "W" : "R";
    unsigned long long a = (unsigned long long)e->addr, l = (unsigned long long)e->len;
    switch (e->type) {
    case DMA_TRACE_ACCESS: return snprintf(out, size, "%s@0x%llx+%llu", rw, a, l);
    case DMA_TRACE_BARRIER: return snprintf(out, size, "%s", barrier_name[e->barrier & 3]);
    case DMA_TRACE_MAP: return snprintf(out, size, "map:%s@0x%llx+%llu", rw, a, l);
    case DMA_TRACE_UNMAP: return snprintf(out, size, "unmap:%s@0x%llx+%llu", rw, a, l);
    case DMA_TRACE_NOTIFY: return snprintf(out, size, "notify");
    }
    return snprintf(out, size, "?");
}

const char *dma_trace_string(void)
{
    char *p = odma__log.str;
    size_t left = sizeof odma__log.str, i;
    for (i = 0; i < odma__log.n; i++) {
        int k = odma__token(p, left, &odma__log.ev[i]);
        if (k < 0 || (size_t)k + 1 >= left)
            break;
        p += k;
        left -= (size_t)k;
        *p++ = ' ';
        left--;
    }
    if (odma__log.dropped)
        snprintf(p, left, "overflow+%llu ", (unsigned long long)odma__log.dropped);
    else
        *p = '\0';
    p = odma__log.str + strlen(odma__log.str);
    if (p > odma__log.str && p[-1] == ' ')
        p[-1] = '\0';
    return odma__log.str;
}

#ifdef __cplusplus
}
#endif
#endif /* ODMA_TESTING_IMPLEMENTATION */

#endif /* ODMA_TESTING_H */
