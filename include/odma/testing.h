/* SPDX-License-Identifier: MIT */
/*
 * odma/testing.h - trace recorder, ordering checker and cmocka helpers for
 * unit-testing device models. Not included by odma.h.
 *
 * A device model's missing barrier only bites on Arm, POWER or RISC-V. This
 * header lets a unit test on any host prove the ordering right: record
 * every access and barrier odma makes on this thread, then check that every
 * pair of accesses the bus orders is separated by barriers that order it.
 *
 * Use, in exactly one file of a test program:
 *
 *     #define ODMA_TESTING_IMPLEMENTATION
 *     #include <odma/testing.h>
 *
 * Other files of the same program include it without the macro. It
 * defines ODMA_TRACE itself and includes odma.h (it must come before any
 * other include of odma.h in the file, or ODMA_TRACE must already be set).
 * Include cmocka.h first (or this header again after it) to get
 * assert_dma_trace() and assert_dma_ordered().
 *
 *     odma_mb();                                      // nothing pending
 *     dma_trace_reset();                              // record this thread
 *     dma_write(&ctx, 0x8000, data, 512);             // the data
 *     dma_write_publish(&ctx, 0x1000, cqe, 16, 14, 2);   // then the record
 *     assert_dma_trace("W@0x8000+512 wmb W@0x1000+14 wmb W@0x100e+2");
 *     assert_dma_ordered(DMA_POLICY_PCIE);            // all pairs ordered
 *
 * With dma_write_relaxed(&ctx, 0x1000, cqe, 16) for the record instead,
 * assert_dma_ordered() fails, printing the trace and the report:
 *
 *     dma_trace_check: 1 of 1 pairs not ordered as policy "pcie" requires
 *     (2 accesses, 2 events):                       [one line in the report]
 *       1. W@0x8000+512 then W@0x1000+16 (events 0 and 1): "pcie" wants wmb
 *       between a write and a later write; there is no barrier between them
 *          trace: [W@0x8000+512] [W@0x1000+16]
 *
 * (odma_mb() first because the first access's own barrier depends on what
 * this thread did before the reset.)
 *
 * Configuration, defined before the implementation's include:
 *   ODMA_TESTING_MAX_EVENTS    events recorded per thread (default 4096)
 *   ODMA_TESTING_REPORT_PAIRS  unordered pairs explained (default 4)
 *   ODMA_TESTING_REPORT_SIZE   report buffer of assert_dma_ordered (8192)
 *
 * RECORDER. Per thread and bounded (ODMA_TESTING_MAX_EVENTS, default 4096
 * events). Events past the bound are counted, never silently lost: the
 * string then ends with "overflow+N", and the checker fails.
 *
 *   dma_trace_reset()        clear this thread's trace and start recording
 *   dma_trace_stop()         stop recording (the trace is kept)
 *   dma_trace_events(&n)     the recorded events (struct dma_trace_event)
 *   dma_trace_dropped()      events that did not fit
 *   dma_trace_string()       the compact form, tokens separated by a space:
 *     R@0x1000+4  W@0x2000+16        accesses (lowercase hex, length decimal)
 *     rmb  wmb  mb                   barriers
 *     map:R@0x1000+4096              a successful dma_map (mapped length)
 *     unmap:W@0x1000+512             dma_unmap (access length)
 *     notify                         dma_notify_barrier (its barrier follows)
 *   Acquire loads appear as the read then rmb; release stores as wmb then
 *   the write.
 *
 * CHECKER.
 *
 *   int dma_trace_check(const struct dma_policy *policy, char *report,
 *                       size_t size);
 *
 * Returns how many pairs of accesses in this thread's trace are not ordered
 * as `policy` (NULL: STRICT) requires, and writes a readable explanation of
 * the first few (ODMA_TESTING_REPORT_PAIRS) into report: a summary line,
 * then per pair - in trace order of the earlier access, then of the later
 * one - the two accesses (their closest pieces, for multi-piece ones) with
 * their event indices in dma_trace_events(), the barrier the policy wants,
 * the barriers that are between them, and the trace tokens around the two,
 * marked [like this]. With nothing wrong it says so in one line. The
 * report is always NUL-terminated and cut (ending in "...") to fit; report
 * may be NULL or size 0. Semantics:
 *
 * - A pair is an earlier access a and a later access b. It needs ordering
 *   iff policy->order[a's direction][b's direction] is not none, and it is
 *   ordered iff barriers between them order a before b:
 *       mb   orders everything before it before everything after it;
 *       wmb  (release fence) earlier reads and writes before later writes;
 *       rmb  (acquire fence) earlier reads before later reads and writes;
 *   and ordering is transitive: a is ordered before b if a is ordered
 *   before some access c and c before b. The checker judges ordering, not
 *   barrier names: a policy entry of mb for R->W is met by a wmb.
 *   An rmb followed by a wmb is not an mb: neither orders a write before a
 *   later read.
 * - Pairs are counted between logical accesses. An ACCESS event flagged
 *   DMA_TRACE_CONTINUED belongs to the same logical access as the previous
 *   ACCESS event (the body halves of a record around its flag, the pieces
 *   of a device-region access); pairs inside one logical access are never
 *   violations, and a logical access is ordered before b only if all of its
 *   pieces are.
 * - A map..unmap window counts as accesses of the map's direction at both
 *   ends: the accesses made through the host pointer may happen anywhere
 *   between the MAP and the UNMAP event, so both events are checked as
 *   accesses. dma_map's own barrier precedes its MAP event and so counts;
 *   the unmap has none. The UNMAP pairs with the most recent still-open MAP
 *   of the same context, direction and bus address; the two ends of one
 *   window are never a violation against each other. An UNMAP with no
 *   matching MAP is an access at that point; a MAP never unmapped is an
 *   access at its MAP event only (the report notes it).
 * - Only this thread's trace since dma_trace_reset() is judged, across all
 *   contexts, like odma's own per-thread ordering. NOTIFY events order
 *   nothing themselves; the notify barrier's fence, which follows, does.
 * - A pair is counted once however many pieces of it are unordered; the
 *   two ends of one window against an access inside it are two pairs
 *   (window then access, access then window).
 * - The checker sees accesses, not bytes: a flag hidden inside a larger
 *   access (a 16-byte CQE written with one dma_write, phase bit included)
 *   is invisible to it. Publish such records with dma_write_publish().
 * - Recorder overflow is never a pass: the missing events count as one
 *   violation (so the result is at least 1), and the report says so first.
 *   dma_trace_dropped() tells overflow apart from a real violation.
 * - The result is -1 only if the checker could not allocate its work
 *   arrays (the report says so).
 *
 * CMOCKA HELPERS, defined when cmocka.h was included before this header:
 *   assert_dma_trace(expected)   dma_trace_string() must equal expected
 *   assert_dma_ordered(policy)   dma_trace_check(policy) must return 0
 *   assert_dma_rules(rules)      dma_trace_check_rules(rules) must return 0
 *                                (protocol rules: odma/testing_rules.h)
 * On failure each prints the expected string or the checker's report and
 * the trace, and fails the test at the caller's line.
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
#ifndef ODMA_TESTING_REPORT_PAIRS
#define ODMA_TESTING_REPORT_PAIRS 4
#endif
#if ODMA_TESTING_REPORT_PAIRS < 1
#error "ODMA_TESTING_REPORT_PAIRS must be at least 1"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Clear this thread's trace and start recording it. */
void odma_trace_reset(void);
/* Stop recording this thread (the trace is kept). */
void odma_trace_stop(void);
/* The recorded events; *n gets their count. */
const struct dma_trace_event *odma_trace_events(size_t *n);
/* Events that did not fit. */
size_t odma_trace_dropped(void);
/* The compact form; valid until the next call on this thread. */
const char *odma_trace_string(void);
/* Pairs of this thread's accesses not ordered as policy requires (above). */
int odma_trace_check(const struct dma_policy *policy, char *report, size_t size);

/*
 * The checker on any event array. orders[b][k] is the set of later kinds
 * (bit 0 reads, bit 1 writes) that a barrier of kind b orders an earlier
 * access of kind k (0 read, 1 write) before; odma__barrier_orders is the
 * real one. Internal: tests of the checker pass other tables.
 */
int odma__trace_check_events(const struct dma_trace_event *ev, size_t n, size_t dropped,
                             const struct dma_policy *policy,
                             const unsigned char orders[4][2], char *report, size_t size);

#ifdef __cplusplus
}
#endif

/* The dma_X twins (odma/names.h), unless ODMA_NO_SHORT_NAMES. */
ODMA__SHORT_NAME(void dma_trace_reset(void) { odma_trace_reset(); })
ODMA__SHORT_NAME(void dma_trace_stop(void) { odma_trace_stop(); })
ODMA__SHORT_NAME(const struct dma_trace_event *dma_trace_events(size_t *n)
                 { return odma_trace_events(n); })
ODMA__SHORT_NAME(size_t dma_trace_dropped(void) { return odma_trace_dropped(); })
ODMA__SHORT_NAME(const char *dma_trace_string(void) { return odma_trace_string(); })
ODMA__SHORT_NAME(int dma_trace_check(const struct dma_policy *policy, char *report,
                                     size_t size)
                 { return odma_trace_check(policy, report, size); })

#ifdef ODMA_TESTING_IMPLEMENTATION
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

void odma_trace_reset(void)
{
    odma__log.n = 0;
    odma__log.dropped = 0;
    odma__log.recording = true;
}

void odma_trace_stop(void)
{
    odma__log.recording = false;
}

const struct dma_trace_event *odma_trace_events(size_t *n)
{
    if (n)
        *n = odma__log.n;
    return odma__log.ev;
}

size_t odma_trace_dropped(void)
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

const char *odma_trace_string(void)
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

/* ---- the ordering checker ---- */

/* [barrier][earlier kind: read, write] -> later kinds ordered (bit 0 R, bit 1 W). */
static const unsigned char odma__barrier_orders[4][2] = {
    { 0, 0 }, /* none */
    { 3, 0 }, /* rmb: earlier reads before later reads and writes */
    { 2, 2 }, /* wmb: earlier reads and writes before later writes */
    { 3, 3 }, /* mb: everything */
};

/* A report being written: never past size, always NUL-terminated. */
struct odma__out {
    char *buf;
    size_t size, len;
    bool cut;
};

static void odma__put(struct odma__out *o, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
static void odma__put(struct odma__out *o, const char *fmt, ...)
{
    va_list ap;
    int k;
    if (!o->buf || o->size == 0 || o->cut)
        return;
    va_start(ap, fmt);
    k = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= o->size - o->len) {
        o->len = o->size - 1;
        o->cut = true;
        if (o->size >= 4)
            memcpy(o->buf + o->size - 4, "...", 4);
        return;
    }
    o->len += (size_t)k;
}

static void odma__put_token(struct odma__out *o, const struct dma_trace_event *e)
{
    char tok[ODMA__TOKEN_MAX];
    odma__token(tok, sizeof tok, e);
    odma__put(o, "%s", tok);
}

/* Trace tokens lo..hi (inclusive), with events a and b marked [..]. */
static void odma__put_span(struct odma__out *o, const struct dma_trace_event *ev, size_t lo,
                           size_t hi, size_t a, size_t b)
{
    size_t i;
    for (i = lo; i <= hi; i++) {
        bool mark = i == a || i == b;
        odma__put(o, " %s", mark ? "[" : "");
        odma__put_token(o, &ev[i]);
        if (mark)
            odma__put(o, "]");
    }
}

/* The tokens around events a < b: two either side, the middle elided. */
static void odma__put_context(struct odma__out *o, const struct dma_trace_event *ev, size_t n,
                              size_t a, size_t b)
{
    size_t lo = a >= 2 ? a - 2 : 0, hi = b + 2 < n ? b + 2 : n - 1;
    odma__put(o, "     trace:%s", lo ? " ..." : "");
    if (b - a <= 6) {
        odma__put_span(o, ev, lo, hi, a, b);
    } else {
        odma__put_span(o, ev, lo, a + 2, a, b);
        odma__put(o, " ...");
        odma__put_span(o, ev, b - 2, hi, a, b);
    }
    odma__put(o, "%s\n", hi + 1 < n ? " ..." : "");
}

static const char *odma__kind_word(unsigned k)
{
    return k ? "write" : "read";
}

static const char *odma__barrier_word(unsigned b)
{
    static const char *const names[4] = { "no barrier", "rmb", "wmb", "mb" };
    return names[b & 3];
}

/* One logical access: an event that orders like an access. */
struct odma__node {
    size_t ev;      /* index in the trace */
    unsigned kind;  /* 0 read, 1 write */
    size_t group;   /* logical access (continuations, window ends share one) */
    size_t next;    /* next node of the same group, or SIZE_MAX */
};

struct odma__violation {
    size_t a, b;   /* event indices */
    size_t ga, gy; /* the two logical accesses */
    unsigned need; /* the policy's barrier */
};

static void odma__explain(struct odma__out *o, const struct dma_trace_event *ev, size_t n,
                          const struct dma_policy *policy, const struct odma__violation *v,
                          unsigned ka, unsigned kb, int number)
{
    size_t i, nb = 0;
    odma__put(o, "  %d. ", number);
    odma__put_token(o, &ev[v->a]);
    odma__put(o, " then ");
    odma__put_token(o, &ev[v->b]);
    odma__put(o, " (events %zu and %zu): \"%s\" wants %s between a %s and a later %s; ", v->a,
              v->b, policy->name ? policy->name : "policy", odma__barrier_word(v->need),
              odma__kind_word(ka), odma__kind_word(kb));
    for (i = v->a + 1; i < v->b; i++) {
        if (ev[i].type != DMA_TRACE_BARRIER)
            continue;
        if (nb == 0)
            odma__put(o, "between them only");
        if (nb < 6)
            odma__put(o, " %s", odma__barrier_word((unsigned)ev[i].barrier));
        else if (nb == 6)
            odma__put(o, " ...");
        nb++;
    }
    if (nb == 0)
        odma__put(o, "there is no barrier between them\n");
    else
        odma__put(o, ", which %s not order a %s before a later %s\n", nb == 1 ? "does" : "do",
                  odma__kind_word(ka), odma__kind_word(kb));
    odma__put_context(o, ev, n, v->a, v->b);
}

int odma__trace_check_events(const struct dma_trace_event *ev, size_t n, size_t dropped,
                             const struct dma_policy *policy,
                             const unsigned char orders[4][2], char *report, size_t size)
{
    struct odma__out out;
    struct odma__node *node;
    size_t *ev_node, *group_head, *group_tail, *open, *mark_req, *mark_bad, *mark_piece;
    struct odma__violation shown[ODMA_TESTING_REPORT_PAIRS];
    size_t nn = 0, ng = 0, nopen = 0, i, g, last_access = SIZE_MAX;
    unsigned long long required = 0, bad = 0;
    int nshown = 0, result;

    out.buf = report;
    out.size = report ? size : 0;
    out.len = 0;
    out.cut = false;
    if (out.size)
        report[0] = '\0';
    if (!policy)
        policy = DMA_POLICY_STRICT;
    if (!ev)
        n = 0;

    node = (struct odma__node *)malloc((n + 1) * sizeof *node);
    ev_node = (size_t *)malloc((n + 1) * sizeof *ev_node);
    group_head = (size_t *)malloc((n + 1) * sizeof *group_head);
    group_tail = (size_t *)malloc((n + 1) * sizeof *group_tail);
    open = (size_t *)malloc((n + 1) * sizeof *open);
    mark_req = (size_t *)calloc(n + 1, sizeof *mark_req);
    mark_bad = (size_t *)calloc(n + 1, sizeof *mark_bad);
    mark_piece = (size_t *)calloc(n + 1, sizeof *mark_piece);
    if (!node || !ev_node || !group_head || !group_tail || !open || !mark_req || !mark_bad ||
        !mark_piece) {
        odma__put(&out, "dma_trace_check: out of memory, trace not checked\n");
        result = -1;
        goto done;
    }

    /* Logical accesses: continuation pieces and window ends share a group. */
    for (i = 0; i < n; i++) {
        const struct dma_trace_event *e = &ev[i];
        size_t grp = SIZE_MAX, k;
        ev_node[i] = SIZE_MAX;
        if (e->type != DMA_TRACE_ACCESS && e->type != DMA_TRACE_MAP &&
            e->type != DMA_TRACE_UNMAP)
            continue;
        if (e->type == DMA_TRACE_ACCESS && (e->flags & DMA_TRACE_CONTINUED) &&
            last_access != SIZE_MAX)
            grp = node[last_access].group;
        if (e->type == DMA_TRACE_UNMAP) {
            for (k = nopen; k-- > 0;) {
                const struct dma_trace_event *m = &ev[node[open[k]].ev];
                if (m->ctx == e->ctx && m->dir == e->dir && m->addr == e->addr) {
                    grp = node[open[k]].group;
                    memmove(&open[k], &open[k + 1], (nopen - k - 1) * sizeof *open);
                    nopen--;
                    break;
                }
            }
        }
        if (grp == SIZE_MAX) {
            grp = ng++;
            group_head[grp] = nn;
        } else {
            node[group_tail[grp]].next = nn;
        }
        group_tail[grp] = nn;
        node[nn].ev = i;
        node[nn].kind = e->dir == DMA_DIR_WRITE ? 1u : 0u;
        node[nn].group = grp;
        node[nn].next = SIZE_MAX;
        ev_node[i] = nn;
        if (e->type == DMA_TRACE_ACCESS)
            last_access = nn;
        if (e->type == DMA_TRACE_MAP)
            open[nopen++] = nn;
        nn++;
    }

    /*
     * For each logical access x and each of its pieces p, walk forward:
     * `reached` holds the kinds of accesses known ordered after p (p's own
     * kind to start), `later` the kinds a barrier seen so far orders some
     * reached access before. A later access q is ordered after p iff its
     * kind is in `later`, and then it is reached too: transitivity.
     */
    for (g = 0; g < ng; g++) {
        size_t p;
        for (p = group_head[g]; p != SIZE_MAX; p = node[p].next) {
            unsigned reached = 1u << node[p].kind, later = 0, k;
            for (i = node[p].ev + 1; i < n; i++) {
                size_t q = ev_node[i], gy;
                unsigned need;
                bool ordered;
                if (ev[i].type == DMA_TRACE_BARRIER) {
                    for (k = 0; k < 2; k++)
                        if (reached & (1u << k))
                            later |= orders[ev[i].barrier & 3][k];
                    continue;
                }
                if (q == SIZE_MAX)
                    continue;
                ordered = (later >> node[q].kind) & 1u;
                if (ordered)
                    reached |= 1u << node[q].kind;
                gy = node[q].group;
                need = (unsigned)policy->order[node[p].kind][node[q].kind] & 3u;
                if (gy == g || need == DMA_BARRIER_NONE)
                    continue;
                if (mark_req[gy] != g + 1) {
                    mark_req[gy] = g + 1;
                    required++;
                }
                if (ordered || mark_piece[gy] == p + 1)
                    continue;
                mark_piece[gy] = p + 1; /* p's first unordered piece of gy */
                if (mark_bad[gy] != g + 1) {
                    mark_bad[gy] = g + 1;
                    bad++;
                    if (nshown < ODMA_TESTING_REPORT_PAIRS) {
                        shown[nshown].ga = g;
                        shown[nshown++].gy = gy;
                    }
                }
                /* Show the closest pieces: x's latest, then gy's first after it. */
                for (k = 0; k < (unsigned)nshown; k++) {
                    if (shown[k].ga == g && shown[k].gy == gy) {
                        shown[k].a = node[p].ev;
                        shown[k].b = i;
                        shown[k].need = need;
                    }
                }
            }
        }
    }

    if (dropped)
        bad++;
    result = bad > (unsigned long long)INT_MAX ? INT_MAX : (int)bad;

    /* The report. */
    if (dropped)
        odma__put(&out,
                  "dma_trace_check: the trace overflowed: %zu events past "
                  "ODMA_TESTING_MAX_EVENTS (%d) were not recorded, so it cannot be judged "
                  "(counted as one violation); raise ODMA_TESTING_MAX_EVENTS or reset the "
                  "trace more often\n",
                  dropped, (int)ODMA_TESTING_MAX_EVENTS);
    if (nshown == 0 && !dropped)
        odma__put(&out,
                  "dma_trace_check: ordered: all %llu pairs that policy \"%s\" orders are ordered "
                  "(%zu accesses, %zu events)\n",
                  required, policy->name ? policy->name : "?", ng, n);
    else if (nshown)
        odma__put(&out,
                  "dma_trace_check: %llu of %llu pairs not ordered as policy \"%s\" requires "
                  "(%zu accesses, %zu events):\n",
                  bad - (dropped ? 1 : 0), required, policy->name ? policy->name : "?", ng,
                  n);
    for (i = 0; i < (size_t)nshown; i++)
        odma__explain(&out, ev, n, policy, &shown[i], node[ev_node[shown[i].a]].kind,
                      node[ev_node[shown[i].b]].kind, (int)i + 1);
    if (bad - (dropped ? 1 : 0) > (unsigned long long)nshown)
        odma__put(&out, "  ... and %llu more\n",
                  bad - (dropped ? 1 : 0) - (unsigned long long)nshown);
    for (i = 0; i < nopen; i++) {
        odma__put(&out, "  note: ");
        odma__put_token(&out, &ev[node[open[i]].ev]);
        odma__put(&out, " (event %zu) is never unmapped in this trace\n", node[open[i]].ev);
    }

done:
    free(node);
    free(ev_node);
    free(group_head);
    free(group_tail);
    free(open);
    free(mark_req);
    free(mark_bad);
    free(mark_piece);
    return result;
}

int odma_trace_check(const struct dma_policy *policy, char *report, size_t size)
{
    return odma__trace_check_events(odma__log.ev, odma__log.n, odma__log.dropped, policy,
                                    odma__barrier_orders, report, size);
}

#ifdef __cplusplus
}
#endif
#endif /* ODMA_TESTING_IMPLEMENTATION */

/*
 * ---- protocol rules ----
 * The rules engine, the text trace parser and the rule generators live in
 * odma/testing_rules.h (documented there); only the entry point that reads
 * this thread's recorded trace is here:
 *
 *   int dma_trace_check_rules(const char *rules, char *report, size_t size);
 *
 * Violations of `rules` in this thread's trace since dma_trace_reset(), -1
 * for unreadable rules; see testing_rules.h for the format and semantics.
 */
#include "testing_rules.h"

#ifdef __cplusplus
extern "C" {
#endif
int odma_trace_check_rules(const char *rules, char *report, size_t size);
#ifdef __cplusplus
}
#endif
ODMA__SHORT_NAME(int dma_trace_check_rules(const char *rules, char *report, size_t size)
                 { return odma_trace_check_rules(rules, report, size); })
#ifdef ODMA_TESTING_IMPLEMENTATION
#ifdef __cplusplus
extern "C" {
#endif
int odma_trace_check_rules(const char *rules, char *report, size_t size)
{
    return odma__rules_check_events(odma__log.ev, odma__log.n, odma__log.dropped, rules, report,
                                    size);
}
#ifdef __cplusplus
}
#endif
#endif /* ODMA_TESTING_IMPLEMENTATION */

#endif /* ODMA_TESTING_H */

/*
 * cmocka helpers, outside the include guard: including this header again
 * after cmocka.h adds them. CMOCKA_H_ is cmocka.h's own include guard.
 */
#if defined(CMOCKA_H_) && !defined(ODMA_TESTING_CMOCKA_H)
#define ODMA_TESTING_CMOCKA_H
#include <stdio.h>

#ifndef ODMA_TESTING_REPORT_SIZE
#define ODMA_TESTING_REPORT_SIZE 8192
#endif

#define assert_dma_trace(expected) odma__assert_trace((expected), __FILE__, __LINE__)
#define assert_dma_ordered(policy) odma__assert_ordered((policy), #policy, __FILE__, __LINE__)

/* cmocka's print_error() keeps 1023 bytes per call: print long text in pieces. */
static inline void odma__print_long(const char *s)
{
    size_t len = strlen(s), i;
    for (i = 0; i < len; i += 768)
        print_error("%.*s", (int)(len - i < 768 ? len - i : 768), s + i);
}

/* The trace, shortened in the middle when very long. */
static inline void odma__print_trace(const char *label)
{
    const char *t = odma_trace_string();
    size_t len = strlen(t);
    print_error("%s", label);
    if (len <= 6144) {
        odma__print_long(t);
    } else {
        char head[4097];
        memcpy(head, t, 4096);
        head[4096] = '\0';
        odma__print_long(head);
        print_error(" ... (%zu characters left out) ... ", len - 6144);
        odma__print_long(t + len - 2048);
    }
    print_error("\n");
}

static inline void odma__assert_trace(const char *expected, const char *file, int line)
{
    if (expected && strcmp(odma_trace_string(), expected) == 0)
        return;
    print_error("assert_dma_trace: the trace differs\n  expected: ");
    odma__print_long(expected ? expected : "(null)");
    odma__print_trace("\n  actual:   ");
    _fail(file, line);
}

static inline void odma__assert_ordered(const struct dma_policy *policy, const char *what,
                                        const char *file, int line)
{
    char report[ODMA_TESTING_REPORT_SIZE];
    int bad = odma_trace_check(policy, report, sizeof report);
    if (bad == 0)
        return;
    print_error("assert_dma_ordered(%s): %d violation%s\n", what, bad, bad == 1 ? "" : "s");
    odma__print_long(report);
    odma__print_trace("  trace: ");
    _fail(file, line);
}

/* assert_dma_rules(rules): dma_trace_check_rules(rules) must return 0. */
#define assert_dma_rules(rules) odma__assert_rules((rules), __FILE__, __LINE__)

static inline void odma__assert_rules(const char *rules, const char *file, int line)
{
    char report[ODMA_TESTING_REPORT_SIZE];
    int bad = odma_trace_check_rules(rules, report, sizeof report);
    if (bad == 0)
        return;
    print_error("assert_dma_rules: %d violation%s\n", bad, bad == 1 ? "" : "s");
    odma__print_long(report);
    odma__print_trace("  trace: ");
    _fail(file, line);
}
#endif /* CMOCKA_H_ && !ODMA_TESTING_CMOCKA_H */
