/* SPDX-License-Identifier: MIT */
/*
 * odma/testing_rules.h - protocol rules for the trace checker. Included by
 * odma/testing.h (include that, not this); not included by odma.h.
 *
 * dma_trace_check() judges every pair of accesses by direction alone, as a
 * bus policy does. A protocol is more precise: it says WHICH accesses must
 * be ordered before which (the ring index before the ring entry, the
 * buffer before the used index, the completion's body before its phase
 * bit), which pairs need nothing (an address dependency, two stores to one
 * location) and which write hands a record over (it must be the record's
 * last). This part checks a trace against such rules:
 *
 *   int dma_trace_check_rules(const char *rules, char *report, size_t size);
 *       this thread's recorded trace (odma/testing.h's recorder)
 *   int dma_trace_check_text(const char *trace, const char *rules,
 *                            char *report, size_t size);
 *       a trace given in the compact text form of dma_trace_string()
 *       (logged by another program, or written by hand in a test)
 *
 * Both return the number of violations (0: the trace keeps every rule),
 * or -1 when the rules or the trace cannot be read (the report names the
 * line or token and why) or memory ran out. A trace that overflowed the
 * recorder ("overflow+N") counts as one violation, never a pass. The report
 * is always NUL-terminated and cut to fit ("..." at the end); report may be
 * NULL or size 0. Like every public function, each also exists as odma_X.
 *
 * RULES TEXT. One statement per line; '#' starts a comment. The comment on
 * a rule's line is its citation: the report quotes it with the rule.
 * Numbers are decimal or 0x hex.
 *
 *   role NAME at ADDR size LEN [count N stride S]
 *       A named guest address range: LEN bytes at ADDR, or N slots of LEN
 *       bytes, slot i at ADDR + i * S (S >= LEN): ring entries. Names are
 *       letters, digits, '.', '_' and '-'; at most 64 roles. Roles may
 *       overlap (a record and its flag field).
 *   order DIR ROLE -> DIR ROLE [same] [by BARRIERS]
 *       Every access of the first kind must be ordered before every later
 *       access of the second kind. DIR is R, W or RW. ROLE is a role name,
 *       "other" (an access that touches no role: buffers) or "any"; the
 *       second may instead be "notify" (the dma_notify_barrier point, a
 *       write: the interrupt message). "same": only pairs in the same slot
 *       (both roles must have the same count). BARRIERS: which barriers may
 *       order it, comma-separated from rmb, wmb, mb (default: any barrier
 *       that orders the two directions - rmb orders an earlier read before
 *       later reads and writes, wmb an earlier read or write before later
 *       writes, mb everything).
 *   dep DIR ROLE -> DIR ROLE
 *       The later access's address comes from the earlier one's value (a
 *       descriptor index read from a ring entry): the hardware orders the
 *       pair, no barrier needed. Chains through it count, as for barriers.
 *   last W FLAG in RECORD until HANDOVER[,HANDOVER...]
 *       FLAG (a field of RECORD, same slot count) hands RECORD over: in
 *       each slot, the last write to the record before the next handover
 *       must be a write of the whole flag field, alone, in one access. A
 *       HANDOVER is "notify" or "R ROLE" (a read of that role in the same
 *       slot, or anywhere if ROLE has no slots): the point from which the
 *       device may write the slot again. The end of the trace is one too.
 *
 * SEMANTICS.
 * - Roles of an access: as the EARLIER access of an order rule it plays a
 *   role only if it lies inside one slot of it; as the LATER access, or as
 *   either access of a dep rule, it plays every role it overlaps. (A
 *   16-byte descriptor read that includes the flags field is not a flag
 *   read; a 16-byte record write that includes the flag is a write of the
 *   flag; a read that includes an address field can feed a dependency.)
 * - Ordering is the policy checker's, transitively: a before b if barriers
 *   between them order a's direction before b's, or a dep rule covers
 *   them, or a is ordered before some c and c before b. Two accesses of
 *   exactly the same bytes are ordered (coherence), except a write and a
 *   later read (store forwarding); this does not chain.
 * - Each unordered pair of each rule is one violation; each window whose
 *   last write is not the flag is one violation.
 * - map:/unmap: tokens count as accesses of the map's direction at both
 *   ends of the window; notify is a write placed after the barriers that
 *   directly follow it.
 *
 * EXAMPLE (an e1000-style RX ring of 64 descriptors; the device reads a
 * descriptor, writes the packet, then the write-back with DD last):
 *
 *   role desc        at 0x10000 size 16 count 64 stride 16
 *   role desc.status at 0x1000c size 1  count 64 stride 16
 *   order W other -> W desc.status     # packet before DD
 *   order W desc -> W desc.status same # write-back before DD
 *   last W desc.status in desc until R desc, notify
 *   order W desc.status -> notify      # DD before the interrupt
 *
 * GENERATORS write such rules text for a protocol's layout (each cites the
 * spec section of every rule in its comment): dma_rules_virtio_split,
 * dma_rules_virtio_packed (struct dma_vq_config of odma/virtio.h),
 * dma_rules_nvme (struct dma_nvme_config), dma_rules_xen_ioreq (struct
 * dma_xen_ioreq_config). Each returns the text's length, -1 for an
 * invalid configuration, or -(bytes needed) when buf is too small; on
 * any error buf is left untouched.
 *
 * LIMITS (what rules cannot express): values (the checker never sees
 * what was read or written, so "the flag write that says done" cannot be
 * told from one that says "in process", and "enable notifications" from
 * "disable"), data flow (dep rules are role-level: any earlier ordered
 * read of the source role counts, not the one the address really came
 * from), handovers the device does not see (an MMIO head pointer), other
 * threads (one thread's trace is judged) and a flag field written in
 * pieces (always reported, even where one byte of it would do).
 *
 * BUILDING. ODMA_TESTING_IMPLEMENTATION (odma/testing.h) compiles the
 * implementation too. A program with its own odma_trace() hook, which
 * cannot take testing.h's recorder, defines ODMA_TESTING_RULES_IMPLEMENTATION
 * in one file and includes this header alone: it gets everything but
 * dma_trace_check_rules, and odma__rules_check_events() for its own event
 * arrays. The virtio generators are compiled into the implementation
 * only if odma/virtio.h was included before it (this header does not
 * include virtio.h, so a change there cannot break other tests): in the
 * implementation file, define ODMA_TRACE and include <odma/virtio.h>
 * first. Limits, before the include:
 *   ODMA_RULES_MAX_ROLES   roles per rules text (default 64)
 *   ODMA_RULES_MAX_RULES   order, dep and last rules (default 128)
 * A rules line may be 399 characters long. An access of length 0 counts
 * as one byte at its address.
 */
#ifndef ODMA_TESTING_RULES_H
#define ODMA_TESTING_RULES_H

#include "../odma.h"

/* The virtio generators take odma/virtio.h's configuration (include it
 * to call them; see BUILDING). */
struct dma_vq_config;

#ifndef ODMA_RULES_MAX_ROLES
#define ODMA_RULES_MAX_ROLES 64
#endif
#ifndef ODMA_RULES_MAX_RULES
#define ODMA_RULES_MAX_RULES 128
#endif
#ifndef ODMA_TESTING_REPORT_PAIRS
#define ODMA_TESTING_REPORT_PAIRS 4
#endif

/* An NVMe I/O queue pair: 64-byte commands, 16-byte completions. */
struct dma_nvme_config {
    uint64_t sq;           /* guest address of the submission queue */
    uint64_t cq;           /* guest address of the completion queue */
    uint16_t sq_entries;   /* entries in each (2 .. 65535 as in NVMe; >= 1 here) */
    uint16_t cq_entries;
};

/* A Xen ioreq page: one 32-byte ioreq slot per vCPU. */
struct dma_xen_ioreq_config {
    uint64_t page;         /* guest address of the shared ioreq page */
    uint16_t vcpus;        /* slots used (1 .. 128: one 4 KiB page) */
};

#ifdef __cplusplus
extern "C" {
#endif

int odma_trace_check_text(const char *trace, const char *rules, char *report, size_t size);
int odma_rules_virtio_split(char *buf, size_t size, const struct dma_vq_config *cfg);
int odma_rules_virtio_packed(char *buf, size_t size, const struct dma_vq_config *cfg);
int odma_rules_nvme(char *buf, size_t size, const struct dma_nvme_config *cfg);
int odma_rules_xen_ioreq(char *buf, size_t size, const struct dma_xen_ioreq_config *cfg);
/* The engine on any event array (dma_trace_check_rules passes the recorder's). */
int odma__rules_check_events(const struct dma_trace_event *ev, size_t n, size_t dropped,
                             const char *rules, char *report, size_t size);

#ifdef __cplusplus
}
#endif

/* The dma_X twins (as odma/names.h), unless ODMA_NO_SHORT_NAMES. */
ODMA__SHORT_NAME(int dma_trace_check_text(const char *trace, const char *rules, char *report,
                                          size_t size)
                 { return odma_trace_check_text(trace, rules, report, size); })
ODMA__SHORT_NAME(int dma_rules_virtio_split(char *buf, size_t size,
                                            const struct dma_vq_config *cfg)
                 { return odma_rules_virtio_split(buf, size, cfg); })
ODMA__SHORT_NAME(int dma_rules_virtio_packed(char *buf, size_t size,
                                             const struct dma_vq_config *cfg)
                 { return odma_rules_virtio_packed(buf, size, cfg); })
ODMA__SHORT_NAME(int dma_rules_nvme(char *buf, size_t size, const struct dma_nvme_config *cfg)
                 { return odma_rules_nvme(buf, size, cfg); })
ODMA__SHORT_NAME(int dma_rules_xen_ioreq(char *buf, size_t size,
                                         const struct dma_xen_ioreq_config *cfg)
                 { return odma_rules_xen_ioreq(buf, size, cfg); })

#if defined(ODMA_TESTING_IMPLEMENTATION) || defined(ODMA_TESTING_RULES_IMPLEMENTATION)
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- report writer: never past size, always NUL-terminated ---- */

struct odma__rout {
    char *buf;
    size_t size, len;
    bool cut;
};

static void odma__rput(struct odma__rout *o, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
static void odma__rput(struct odma__rout *o, const char *fmt, ...)
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

/* ---- rules ---- */

#define ODMA__ROLE_OTHER (-1)
#define ODMA__ROLE_ANY (-2)
#define ODMA__ROLE_NOTIFY (-3)
#define ODMA__NAME_MAX 32
#define ODMA__LINE_MAX 400

enum odma__rule_kind { ODMA__RULE_ORDER, ODMA__RULE_DEP, ODMA__RULE_LAST };

struct odma__role {
    char name[ODMA__NAME_MAX];
    uint64_t base, size, count, stride;
};

struct odma__rule {
    enum odma__rule_kind kind;
    unsigned dir_a, dir_b;  /* bit 0 read, bit 1 write */
    int role_a, role_b;     /* LAST: role_a the flag, role_b the record */
    bool same;
    unsigned by;            /* barriers allowed: bit b-1 for rmb(1) wmb(2) mb(3) */
    bool until_notify;
    int until[4];           /* LAST: handover read roles */
    int nuntil;
    int line;
    char text[ODMA__LINE_MAX];
};

struct odma__rules {
    struct odma__role role[ODMA_RULES_MAX_ROLES];
    struct odma__rule rule[ODMA_RULES_MAX_RULES];
    int nroles, nrules;
};

static const char *odma__skip(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* The next word (letters, digits, . _ - , and the arrow). */
static const char *odma__word(const char *p, char *w, size_t wsize)
{
    size_t k = 0;
    p = odma__skip(p);
    if (p[0] == '-' && p[1] == '>') {
        snprintf(w, wsize, "->");
        return p + 2;
    }
    while (*p && (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-' ||
                  *p == ',')) {
        if (*p == '-' && p[1] == '>')
            break;
        if (k + 1 < wsize)
            w[k++] = *p;
        p++;
    }
    w[k] = '\0';
    return p;
}

static bool odma__number(const char *w, uint64_t *v)
{
    char *end;
    unsigned long long x;
    if (!isdigit((unsigned char)w[0]))
        return false;
    errno = 0;
    x = strtoull(w, &end, 0);
    if (*end || errno)
        return false;
    *v = (uint64_t)x;
    return true;
}

static int odma__find_role(const struct odma__rules *r, const char *name)
{
    int i;
    if (strcmp(name, "other") == 0)
        return ODMA__ROLE_OTHER;
    if (strcmp(name, "any") == 0)
        return ODMA__ROLE_ANY;
    for (i = 0; i < r->nroles; i++)
        if (strcmp(r->role[i].name, name) == 0)
            return i;
    return INT_MIN;
}

static unsigned odma__dir_word(const char *w)
{
    if (strcmp(w, "R") == 0)
        return 1;
    if (strcmp(w, "W") == 0)
        return 2;
    if (strcmp(w, "RW") == 0)
        return 3;
    return 0;
}

static const char *odma__role_name(const struct odma__rules *r, int role)
{
    if (role == ODMA__ROLE_OTHER)
        return "other";
    if (role == ODMA__ROLE_ANY)
        return "any";
    if (role == ODMA__ROLE_NOTIFY)
        return "notify";
    return r->role[role].name;
}

#define ODMA__RULE_ERR(...)                                                                    \
    do {                                                                                       \
        odma__rput(out, "rules line %d: ", line);                                              \
        odma__rput(out, __VA_ARGS__);                                                          \
        odma__rput(out, "\n");                                                                 \
        return -1;                                                                             \
    } while (0)

/* One statement (comment already split off). Returns 0, or -1 after reporting. */
static int odma__parse_statement(struct odma__rules *r, const char *p, const char *whole,
                                 int line, struct odma__rout *out)
{
    char w[ODMA__LINE_MAX];
    p = odma__word(p, w, sizeof w);
    if (w[0] == '\0') {
        if (*odma__skip(p))
            ODMA__RULE_ERR("unexpected '%c'", *odma__skip(p));
        return 0;
    }
    if (strcmp(w, "role") == 0) {
        struct odma__role ro;
        uint64_t end;
        memset(&ro, 0, sizeof ro);
        ro.count = 1;
        p = odma__word(p, w, sizeof w);
        if (!w[0] || strchr(w, ',') || strlen(w) >= ODMA__NAME_MAX)
            ODMA__RULE_ERR("role needs a name (at most %d characters)", ODMA__NAME_MAX - 1);
        if (odma__find_role(r, w) != INT_MIN || strcmp(w, "notify") == 0)
            ODMA__RULE_ERR("role name \"%s\" is taken", w);
        memcpy(ro.name, w, strlen(w) + 1);
        p = odma__word(p, w, sizeof w);
        if (strcmp(w, "at") != 0)
            ODMA__RULE_ERR("expected \"at ADDR\" after the role name");
        p = odma__word(p, w, sizeof w);
        if (!odma__number(w, &ro.base))
            ODMA__RULE_ERR("bad address \"%s\"", w);
        p = odma__word(p, w, sizeof w);
        if (strcmp(w, "size") != 0)
            ODMA__RULE_ERR("expected \"size LEN\" after the address");
        p = odma__word(p, w, sizeof w);
        if (!odma__number(w, &ro.size) || ro.size == 0)
            ODMA__RULE_ERR("bad size \"%s\" (must be at least 1)", w);
        ro.stride = ro.size;
        p = odma__word(p, w, sizeof w);
        if (strcmp(w, "count") == 0) {
            p = odma__word(p, w, sizeof w);
            if (!odma__number(w, &ro.count) || ro.count == 0)
                ODMA__RULE_ERR("bad count \"%s\" (must be at least 1)", w);
            p = odma__word(p, w, sizeof w);
            if (strcmp(w, "stride") != 0)
                ODMA__RULE_ERR("expected \"stride S\" after the count");
            p = odma__word(p, w, sizeof w);
            if (!odma__number(w, &ro.stride) || ro.stride < ro.size)
                ODMA__RULE_ERR("bad stride \"%s\" (must be at least the size)", w);
            p = odma__word(p, w, sizeof w);
        }
        if (w[0] || *odma__skip(p))
            ODMA__RULE_ERR("unexpected \"%s\" at the end of the role", w[0] ? w : p);
        if ((ro.count - 1) > (UINT64_MAX - ro.size) / ro.stride)
            ODMA__RULE_ERR("role %s wraps past 2^64", ro.name);
        end = (ro.count - 1) * ro.stride + ro.size;
        if (ro.base > UINT64_MAX - end + 1 && end != 0)
            ODMA__RULE_ERR("role %s wraps past 2^64", ro.name);
        if (r->nroles >= ODMA_RULES_MAX_ROLES)
            ODMA__RULE_ERR("more than %d roles", ODMA_RULES_MAX_ROLES);
        r->role[r->nroles++] = ro;
        return 0;
    }
    if (strcmp(w, "order") == 0 || strcmp(w, "dep") == 0 || strcmp(w, "last") == 0) {
        struct odma__rule ru;
        bool is_last = strcmp(w, "last") == 0;
        memset(&ru, 0, sizeof ru);
        ru.kind = w[0] == 'o' ? ODMA__RULE_ORDER : w[0] == 'd' ? ODMA__RULE_DEP
                                                              : ODMA__RULE_LAST;
        ru.by = 7;
        ru.line = line;
        snprintf(ru.text, sizeof ru.text, "%s", odma__skip(whole));
        if (r->nrules >= ODMA_RULES_MAX_RULES)
            ODMA__RULE_ERR("more than %d rules", ODMA_RULES_MAX_RULES);
        p = odma__word(p, w, sizeof w);
        ru.dir_a = odma__dir_word(w);
        if (is_last && ru.dir_a != 2)
            ODMA__RULE_ERR("expected \"W FLAG\" after last");
        if (!ru.dir_a)
            ODMA__RULE_ERR("expected a direction (R, W or RW), not \"%s\"", w);
        p = odma__word(p, w, sizeof w);
        ru.role_a = odma__find_role(r, w);
        if (ru.role_a == INT_MIN)
            ODMA__RULE_ERR("no role named \"%s\" (define it with a role line first)", w);
        if (is_last) {
            const struct odma__role *fl, *rec;
            p = odma__word(p, w, sizeof w);
            if (strcmp(w, "in") != 0)
                ODMA__RULE_ERR("expected \"in RECORD\" after the flag");
            p = odma__word(p, w, sizeof w);
            ru.role_b = odma__find_role(r, w);
            if (ru.role_b == INT_MIN)
                ODMA__RULE_ERR("no role named \"%s\"", w);
            if (ru.role_a < 0 || ru.role_b < 0)
                ODMA__RULE_ERR("the flag and the record must be named roles");
            fl = &r->role[ru.role_a];
            rec = &r->role[ru.role_b];
            if (fl->count != rec->count || (fl->count > 1 && fl->stride != rec->stride))
                ODMA__RULE_ERR("flag %s and record %s must have the same slots", fl->name,
                               rec->name);
            if (fl->base < rec->base || fl->base - rec->base + fl->size > rec->size)
                ODMA__RULE_ERR("flag %s must lie inside record %s", fl->name, rec->name);
            p = odma__word(p, w, sizeof w);
            if (strcmp(w, "until") != 0)
                ODMA__RULE_ERR("expected \"until HANDOVER\" after the record");
            for (;;) {
                size_t wl;
                p = odma__word(p, w, sizeof w);
                wl = strlen(w);
                if (wl && w[wl - 1] == ',')
                    w[--wl] = '\0';
                if (!wl)
                    break;
                if (strcmp(w, "notify") == 0) {
                    ru.until_notify = true;
                } else if (strcmp(w, "R") == 0) {
                    int h;
                    p = odma__word(p, w, sizeof w);
                    wl = strlen(w);
                    if (wl && w[wl - 1] == ',')
                        w[--wl] = '\0';
                    h = odma__find_role(r, w);
                    if (h < 0)
                        ODMA__RULE_ERR("handover \"R %s\" needs a named role", w);
                    if (ru.nuntil >= 4)
                        ODMA__RULE_ERR("at most 4 handover reads");
                    ru.until[ru.nuntil++] = h;
                } else {
                    ODMA__RULE_ERR("a handover is \"notify\" or \"R ROLE\", not \"%s\"", w);
                }
            }
            if (*odma__skip(p))
                ODMA__RULE_ERR("unexpected \"%s\"", odma__skip(p));
            if (!ru.until_notify && !ru.nuntil)
                ODMA__RULE_ERR("\"until\" needs at least one handover");
            r->rule[r->nrules++] = ru;
            return 0;
        }
        p = odma__word(p, w, sizeof w);
        if (strcmp(w, "->") != 0)
            ODMA__RULE_ERR("expected \"->\" after the first role");
        p = odma__word(p, w, sizeof w);
        if (strcmp(w, "notify") == 0) {
            if (ru.kind != ODMA__RULE_ORDER)
                ODMA__RULE_ERR("only an order rule can end at notify");
            ru.dir_b = 2;
            ru.role_b = ODMA__ROLE_NOTIFY;
        } else {
            ru.dir_b = odma__dir_word(w);
            if (!ru.dir_b)
                ODMA__RULE_ERR("expected a direction (R, W or RW) or notify, not \"%s\"", w);
            p = odma__word(p, w, sizeof w);
            ru.role_b = odma__find_role(r, w);
            if (ru.role_b == INT_MIN)
                ODMA__RULE_ERR("no role named \"%s\"", w);
        }
        for (;;) {
            p = odma__word(p, w, sizeof w);
            if (!w[0])
                break;
            if (strcmp(w, "same") == 0) {
                if (ru.role_a < 0 || ru.role_b < 0 ||
                    r->role[ru.role_a].count != r->role[ru.role_b].count)
                    ODMA__RULE_ERR("\"same\" needs two named roles with the same count");
                ru.same = true;
            } else if (strcmp(w, "by") == 0 && ru.kind == ODMA__RULE_ORDER) {
                char *tok = w, *comma;
                p = odma__word(p, w, sizeof w);
                ru.by = 0;
                for (;;) {
                    comma = strchr(tok, ',');
                    if (comma)
                        *comma = '\0';
                    if (strcmp(tok, "rmb") == 0)
                        ru.by |= 1;
                    else if (strcmp(tok, "wmb") == 0)
                        ru.by |= 2;
                    else if (strcmp(tok, "mb") == 0)
                        ru.by |= 4;
                    else
                        ODMA__RULE_ERR("unknown barrier \"%s\" (rmb, wmb or mb)", tok);
                    if (!comma)
                        break;
                    tok = comma + 1;
                }
                if (!ru.by)
                    ODMA__RULE_ERR("\"by\" needs at least one barrier");
            } else {
                ODMA__RULE_ERR("unexpected \"%s\"", w);
            }
        }
        if (*odma__skip(p))
            ODMA__RULE_ERR("unexpected \"%s\"", odma__skip(p));
        r->rule[r->nrules++] = ru;
        return 0;
    }
    ODMA__RULE_ERR("unknown statement \"%s\" (role, order, dep or last)", w);
}

static int odma__parse_rules(struct odma__rules *r, const char *text, struct odma__rout *out)
{
    int line = 0;
    r->nroles = r->nrules = 0;
    if (!text) {
        odma__rput(out, "rules: NULL rules text\n");
        return -1;
    }
    while (*text) {
        char buf[ODMA__LINE_MAX], *hash;
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        line++;
        if (len >= sizeof buf) {
            odma__rput(out, "rules line %d: longer than %d characters\n", line,
                       ODMA__LINE_MAX - 1);
            return -1;
        }
        memcpy(buf, text, len);
        buf[len] = '\0';
        hash = strchr(buf, '#');
        {
            char stmt[ODMA__LINE_MAX];
            size_t sl = hash ? (size_t)(hash - buf) : len;
            memcpy(stmt, buf, sl);
            stmt[sl] = '\0';
            if (odma__parse_statement(r, stmt, buf, line, out) < 0)
                return -1;
        }
        text += len + (nl ? 1 : 0);
    }
    return 0;
}

/* ---- the trace text ---- */

/* Parse the compact form into events. *ev is malloc'd; returns count or -1. */
static long odma__parse_trace(const char *t, struct dma_trace_event **evp, size_t *dropped,
                              struct odma__rout *out)
{
    size_t cap = 64, n = 0, tok = 0;
    struct dma_trace_event *ev;
    *dropped = 0;
    *evp = NULL;
    if (!t) {
        odma__rput(out, "trace: NULL trace text\n");
        return -1;
    }
    ev = (struct dma_trace_event *)malloc(cap * sizeof *ev);
    if (!ev) {
        odma__rput(out, "trace: out of memory\n");
        return -1;
    }
    for (;;) {
        char w[80];
        size_t k = 0;
        struct dma_trace_event e;
        const char *q;
        while (isspace((unsigned char)*t))
            t++;
        if (!*t)
            break;
        while (*t && !isspace((unsigned char)*t)) {
            if (k + 1 < sizeof w)
                w[k] = *t;
            k++;
            t++;
        }
        tok++;
        if (k >= sizeof w) {
            odma__rput(out, "trace token %zu: too long\n", tok);
            goto bad;
        }
        w[k] = '\0';
        memset(&e, 0, sizeof e);
        q = w;
        if (strcmp(w, "rmb") == 0 || strcmp(w, "wmb") == 0 || strcmp(w, "mb") == 0 ||
            strcmp(w, "none") == 0) {
            e.type = DMA_TRACE_BARRIER;
            e.barrier = w[0] == 'r' ? DMA_BARRIER_RMB : w[0] == 'w' ? DMA_BARRIER_WMB
                      : w[0] == 'm' ? DMA_BARRIER_MB : DMA_BARRIER_NONE;
        } else if (strcmp(w, "notify") == 0) {
            e.type = DMA_TRACE_NOTIFY;
        } else if (strncmp(w, "overflow+", 9) == 0) {
            uint64_t x;
            if (!odma__number(w + 9, &x)) {
                odma__rput(out, "trace token %zu: bad \"%s\"\n", tok, w);
                goto bad;
            }
            *dropped += (size_t)x;
            continue;
        } else {
            char *end;
            unsigned long long a, l;
            e.type = DMA_TRACE_ACCESS;
            if (strncmp(q, "map:", 4) == 0) {
                e.type = DMA_TRACE_MAP;
                q += 4;
            } else if (strncmp(q, "unmap:", 6) == 0) {
                e.type = DMA_TRACE_UNMAP;
                q += 6;
            }
            if ((q[0] != 'R' && q[0] != 'W') || q[1] != '@' || q[2] != '0' ||
                (q[3] != 'x' && q[3] != 'X') || !isxdigit((unsigned char)q[4])) {
                odma__rput(out,
                           "trace token %zu: \"%s\" is not an access (R@0xADDR+LEN), a barrier "
                           "(rmb wmb mb), map:, unmap:, notify or overflow+N\n", tok, w);
                goto bad;
            }
            e.dir = q[0] == 'W' ? DMA_DIR_WRITE : DMA_DIR_READ;
            errno = 0;
            a = strtoull(q + 2, &end, 16);
            if (errno || *end != '+' || !isdigit((unsigned char)end[1])) {
                odma__rput(out, "trace token %zu: bad address in \"%s\"\n", tok, w);
                goto bad;
            }
            l = strtoull(end + 1, &end, 10);
            if (errno || *end) {
                odma__rput(out, "trace token %zu: bad length in \"%s\"\n", tok, w);
                goto bad;
            }
            if (l > 0 && a > ULLONG_MAX - (l - 1)) {
                odma__rput(out, "trace token %zu: \"%s\" wraps past 2^64\n", tok, w);
                goto bad;
            }
            e.addr = a;
            e.len = l;
        }
        if (n == cap) {
            struct dma_trace_event *m;
            cap *= 2;
            m = (struct dma_trace_event *)realloc(ev, cap * sizeof *ev);
            if (!m) {
                odma__rput(out, "trace: out of memory\n");
                goto bad;
            }
            ev = m;
        }
        ev[n++] = e;
    }
    *evp = ev;
    return (long)n;
bad:
    free(ev);
    return -1;
}

/* ---- the checker ---- */

static bool odma__is_access(const struct dma_trace_event *e)
{
    return e->type == DMA_TRACE_ACCESS || e->type == DMA_TRACE_MAP ||
           e->type == DMA_TRACE_UNMAP;
}

/* Slots of role ro that [a, a+len) overlaps: *lo..*hi; false if none. */
static bool odma__overlap(const struct odma__role *ro, uint64_t a, uint64_t len, uint64_t *lo,
                          uint64_t *hi)
{
    uint64_t e = a + (len ? len - 1 : 0), last_end, i0, i1;
    last_end = ro->base + (ro->count - 1) * ro->stride + ro->size - 1;
    if (e < ro->base || a > last_end)
        return false;
    if (a <= ro->base) {
        i0 = 0;
    } else {
        i0 = (a - ro->base) / ro->stride;
        if ((a - ro->base) - i0 * ro->stride >= ro->size)
            i0++;
    }
    i1 = (e - ro->base) / ro->stride;
    if (i1 >= ro->count)
        i1 = ro->count - 1;
    if (i0 > i1)
        return false;
    *lo = i0;
    *hi = i1;
    return true;
}

/* Inside one slot of ro? *slot gets it. */
static bool odma__inside(const struct odma__role *ro, uint64_t a, uint64_t len, uint64_t *slot)
{
    uint64_t lo, hi, s;
    if (!odma__overlap(ro, a, len, &lo, &hi) || lo != hi)
        return false;
    s = ro->base + lo * ro->stride;
    if (a < s || (len ? len - 1 : 0) > s + ro->size - 1 - a)
        return false;
    *slot = lo;
    return true;
}

static bool odma__in_no_role(const struct odma__rules *r, const struct dma_trace_event *e)
{
    int i;
    uint64_t lo, hi;
    for (i = 0; i < r->nroles; i++)
        if (odma__overlap(&r->role[i], e->addr, e->len, &lo, &hi))
            return false;
    return true;
}

/* Does access e play `role` as the earlier access (slot into *slot)? */
static bool odma__plays_a(const struct odma__rules *r, int role, unsigned dirs,
                          const struct dma_trace_event *e, uint64_t *slot)
{
    *slot = 0;
    if (!(dirs & (e->dir == DMA_DIR_WRITE ? 2u : 1u)))
        return false;
    if (role == ODMA__ROLE_ANY)
        return true;
    if (role == ODMA__ROLE_OTHER)
        return odma__in_no_role(r, e);
    return odma__inside(&r->role[role], e->addr, e->len, slot);
}

/* Does access e play `role` as the later access (slots into *lo..*hi)? */
static bool odma__plays_b(const struct odma__rules *r, int role, unsigned dirs,
                          const struct dma_trace_event *e, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    if (e->type == DMA_TRACE_NOTIFY)
        return role == ODMA__ROLE_NOTIFY;
    if (role == ODMA__ROLE_NOTIFY)
        return false;
    if (!(dirs & (e->dir == DMA_DIR_WRITE ? 2u : 1u)))
        return false;
    if (role == ODMA__ROLE_ANY)
        return true;
    if (role == ODMA__ROLE_OTHER)
        return odma__in_no_role(r, e);
    return odma__overlap(&r->role[role], e->addr, e->len, lo, hi);
}

/* [barrier][earlier kind] -> later kinds ordered (bit 0 R, bit 1 W), as testing.h. */
static const unsigned char odma__rules_orders[4][2] = {
    { 0, 0 }, { 3, 0 }, { 2, 2 }, { 3, 3 },
};

struct odma__rviol {
    int rule;
    size_t a, b;          /* events */
    uint64_t sa, sb;      /* slots */
};

struct odma__rctx {
    const struct odma__rules *r;
    const struct dma_trace_event *ev;
    size_t n;
    struct odma__rout *out;
    unsigned long long bad;
    struct odma__rviol shown[ODMA_TESTING_REPORT_PAIRS];
    int nshown;
};

static void odma__put_ev(struct odma__rout *o, const struct dma_trace_event *e)
{
    static const char *const bn[4] = { "none", "rmb", "wmb", "mb" };
    const char *rw = e->dir == DMA_DIR_WRITE ? "W" : "R";
    unsigned long long a = (unsigned long long)e->addr, l = (unsigned long long)e->len;
    switch (e->type) {
    case DMA_TRACE_ACCESS: odma__rput(o, "%s@0x%llx+%llu", rw, a, l); break;
    case DMA_TRACE_BARRIER: odma__rput(o, "%s", bn[e->barrier & 3]); break;
    case DMA_TRACE_MAP: odma__rput(o, "map:%s@0x%llx+%llu", rw, a, l); break;
    case DMA_TRACE_UNMAP: odma__rput(o, "unmap:%s@0x%llx+%llu", rw, a, l); break;
    case DMA_TRACE_NOTIFY: odma__rput(o, "notify"); break;
    }
}

static void odma__put_role(struct odma__rout *o, const struct odma__rules *r, int role,
                           uint64_t slot)
{
    odma__rput(o, "%s", odma__role_name(r, role));
    if (role >= 0 && r->role[role].count > 1)
        odma__rput(o, "[%" PRIu64 "]", slot);
}

/* Trace tokens around events a <= b, marked [..]. */
static void odma__put_around(struct odma__rout *o, const struct dma_trace_event *ev, size_t n,
                             size_t a, size_t b)
{
    size_t lo = a >= 2 ? a - 2 : 0, hi = b + 2 < n ? b + 2 : n - 1, i;
    odma__rput(o, "     trace:%s", lo ? " ..." : "");
    for (i = lo; i <= hi; i++) {
        bool mark = i == a || i == b;
        if (b - a > 6 && i == a + 3) {
            odma__rput(o, " ...");
            i = b - 3;
            continue;
        }
        odma__rput(o, " %s", mark ? "[" : "");
        odma__put_ev(o, &ev[i]);
        if (mark)
            odma__rput(o, "]");
    }
    odma__rput(o, "%s\n", hi + 1 < n ? " ..." : "");
}

static void odma__rule_violation(struct odma__rctx *c, int rule, size_t a, size_t b,
                                 uint64_t sa, uint64_t sb)
{
    c->bad++;
    if (c->nshown < ODMA_TESTING_REPORT_PAIRS) {
        struct odma__rviol *v = &c->shown[c->nshown++];
        v->rule = rule;
        v->a = a;
        v->b = b;
        v->sa = sa;
        v->sb = sb;
    }
}

/* The weakest barriers (of `by`) that order kind ka before kind kb. */
static void odma__put_needed(struct odma__rout *o, unsigned ka, unsigned kb, unsigned by)
{
    const char *names[3] = { "rmb", "wmb", "mb" };
    int b, k = 0;
    for (b = 1; b <= 3; b++) {
        if (!(by & (1u << (b - 1))) || !((odma__rules_orders[b][ka] >> kb) & 1u))
            continue;
        if (b == 3 && k)
            break; /* mb always works; name it only if nothing weaker does */
        odma__rput(o, "%s%s", k ? " or " : "", names[b - 1]);
        k++;
    }
    if (!k)
        odma__rput(o, "a barrier");
}

static void odma__explain_order(struct odma__rctx *c, const struct odma__rviol *v, int number)
{
    const struct odma__rule *ru = &c->r->rule[v->rule];
    const struct dma_trace_event *ea = &c->ev[v->a], *eb = &c->ev[v->b];
    unsigned ka = ea->dir == DMA_DIR_WRITE, kb = eb->type == DMA_TRACE_NOTIFY ? 1u
                                                : eb->dir == DMA_DIR_WRITE;
    size_t i, nb = 0;
    struct odma__rout *o = c->out;
    odma__rput(o, "  %d. rule line %d: %s\n     ", number, ru->line, ru->text);
    odma__put_ev(o, ea);
    odma__rput(o, " (");
    odma__put_role(o, c->r, ru->role_a, v->sa);
    odma__rput(o, ") then ");
    odma__put_ev(o, eb);
    odma__rput(o, " (");
    odma__put_role(o, c->r, ru->role_b, v->sb);
    odma__rput(o, ") (events %zu and %zu) are not ordered: needs ", v->a, v->b);
    odma__put_needed(o, ka, kb, ru->by);
    odma__rput(o, " between them; ");
    for (i = v->a + 1; i < v->b; i++) {
        if (c->ev[i].type != DMA_TRACE_BARRIER)
            continue;
        odma__rput(o, "%s", nb ? " " : "between them only ");
        if (nb < 6)
            odma__put_ev(o, &c->ev[i]);
        else if (nb == 6)
            odma__rput(o, "...");
        nb++;
    }
    if (!nb)
        odma__rput(o, "there is no barrier between them");
    odma__rput(o, "\n");
    odma__put_around(o, c->ev, c->n, v->a, v->b);
}

static void odma__explain_last(struct odma__rctx *c, const struct odma__rviol *v, int number)
{
    const struct odma__rule *ru = &c->r->rule[v->rule];
    struct odma__rout *o = c->out;
    /* v->a: the offending last write; v->b: the handover event (or n: the end);
       v->sb: the flag write before it in the window, or SIZE_MAX. */
    odma__rput(o, "  %d. rule line %d: %s\n     ", number, ru->line, ru->text);
    odma__put_role(o, c->r, ru->role_b, v->sa);
    odma__rput(o, ": the last write before the handover (");
    if (v->b < c->n) {
        odma__put_ev(o, &c->ev[v->b]);
        odma__rput(o, ", event %zu", v->b);
    } else {
        odma__rput(o, "end of trace");
    }
    odma__rput(o, ") is ");
    odma__put_ev(o, &c->ev[v->a]);
    odma__rput(o, " (event %zu), not a write of the whole ", v->a);
    odma__put_role(o, c->r, ru->role_a, v->sa);
    odma__rput(o, " alone; ");
    if (v->sb != UINT64_MAX)
        odma__rput(o, "the flag was written at event %" PRIu64 ", before it\n", v->sb);
    else
        odma__rput(o, "the flag is never written on its own in this window\n");
    odma__put_around(o, c->ev, c->n, v->a, v->b < c->n ? v->b : v->a);
}

/* Order rules with barrier set `by`: walk forward from every earlier access. */
static void odma__check_orders(struct odma__rctx *c, unsigned by, unsigned char *done_rule)
{
    const struct odma__rules *r = c->r;
    const struct dma_trace_event *ev = c->ev;
    size_t n = c->n, p, i;
    int k, nr = r->nrules;
    int grp[ODMA_RULES_MAX_RULES], ng = 0, deps[ODMA_RULES_MAX_RULES], nd = 0;
    for (k = 0; k < nr; k++) {
        if (r->rule[k].kind == ODMA__RULE_ORDER && r->rule[k].by == by && !done_rule[k]) {
            grp[ng++] = k;
            done_rule[k] = 1;
        }
        if (r->rule[k].kind == ODMA__RULE_DEP)
            deps[nd++] = k;
    }
    if (!ng)
        return;
    for (p = 0; p < n; p++) {
        uint64_t sa[ODMA_RULES_MAX_RULES], s, s2;
        bool src[ODMA_RULES_MAX_RULES], any = false;
        unsigned reached, later = 0, kp;
        unsigned char depbits[ODMA_RULES_MAX_RULES];
        if (!odma__is_access(&ev[p]))
            continue;
        for (k = 0; k < ng; k++) {
            const struct odma__rule *ru = &r->rule[grp[k]];
            src[k] = odma__plays_a(r, ru->role_a, ru->dir_a, &ev[p], &sa[k]);
            any |= src[k];
        }
        if (!any)
            continue;
        memset(depbits, 0, sizeof depbits);
        kp = ev[p].dir == DMA_DIR_WRITE;
        reached = 1u << kp;
        for (k = 0; k < nd; k++)
            if (odma__plays_b(r, r->rule[deps[k]].role_a, r->rule[deps[k]].dir_a, &ev[p], &s,
                              &s2))
                depbits[k] = 1;
        for (i = p + 1; i < n; i++) {
            const struct dma_trace_event *e = &ev[i];
            unsigned kq;
            bool ordered;
            if (e->type == DMA_TRACE_BARRIER) {
                unsigned b = (unsigned)e->barrier & 3u, kk;
                if (b && (by & (1u << (b - 1))))
                    for (kk = 0; kk < 2; kk++)
                        if (reached & (1u << kk))
                            later |= odma__rules_orders[b][kk];
                if (later == 3)
                    break; /* everything after this is ordered after p */
                continue;
            }
            if (e->type == DMA_TRACE_NOTIFY) {
                /* A write placed after the barriers that follow it. */
                unsigned l2 = later;
                size_t j;
                for (j = i + 1; j < n && ev[j].type == DMA_TRACE_BARRIER; j++) {
                    unsigned b = (unsigned)ev[j].barrier & 3u, kk;
                    if (b && (by & (1u << (b - 1))))
                        for (kk = 0; kk < 2; kk++)
                            if (reached & (1u << kk))
                                l2 |= odma__rules_orders[b][kk];
                }
                for (k = 0; k < ng; k++) {
                    const struct odma__rule *ru = &r->rule[grp[k]];
                    if (src[k] && ru->role_b == ODMA__ROLE_NOTIFY && !((l2 >> 1) & 1u))
                        odma__rule_violation(c, grp[k], p, i, sa[k], 0);
                }
                continue;
            }
            if (!odma__is_access(e))
                continue;
            kq = e->dir == DMA_DIR_WRITE;
            ordered = (later >> kq) & 1u;
            if (!ordered)
                for (k = 0; k < nd && !ordered; k++) {
                    uint64_t lo, hi;
                    const struct odma__rule *d = &r->rule[deps[k]];
                    if (depbits[k] && odma__plays_b(r, d->role_b, d->dir_b, e, &lo, &hi))
                        ordered = true;
                }
            if (ordered) {
                reached |= 1u << kq;
                for (k = 0; k < nd; k++)
                    if (!depbits[k] && odma__plays_b(r, r->rule[deps[k]].role_a,
                                                     r->rule[deps[k]].dir_a, e, &s, &s2))
                        depbits[k] = 1;
            } else if (e->addr == ev[p].addr && e->len == ev[p].len && !(kp == 1 && kq == 0)) {
                ordered = true; /* same location: coherence (does not chain) */
            }
            if (ordered)
                continue;
            for (k = 0; k < ng; k++) {
                const struct odma__rule *ru = &r->rule[grp[k]];
                uint64_t lo, hi;
                if (!src[k] || !odma__plays_b(r, ru->role_b, ru->dir_b, e, &lo, &hi))
                    continue;
                if (ru->same && (sa[k] < lo || sa[k] > hi))
                    continue;
                odma__rule_violation(c, grp[k], p, i, sa[k],
                                     ru->same ? sa[k] : lo);
            }
        }
    }
}

/* Window state of one slot for a last rule. */
struct odma__slotwin {
    size_t last;      /* last write to the record in this window, or SIZE_MAX */
    size_t flag;      /* last whole-flag write in this window, or SIZE_MAX */
    bool last_is_flag;
    bool listed;
};

static void odma__close_window(struct odma__rctx *c, int rule, struct odma__slotwin *w,
                               uint64_t slot, size_t at)
{
    if (w->last != SIZE_MAX && !w->last_is_flag) {
        c->bad++;
        if (c->nshown < ODMA_TESTING_REPORT_PAIRS) {
            struct odma__rviol *v = &c->shown[c->nshown++];
            v->rule = rule;
            v->a = w->last;
            v->b = at;
            v->sa = slot;
            v->sb = w->flag == SIZE_MAX ? UINT64_MAX : (uint64_t)w->flag;
        }
    }
    w->last = w->flag = SIZE_MAX;
    w->last_is_flag = false;
}

static int odma__check_last(struct odma__rctx *c, int rule)
{
    const struct odma__rules *r = c->r;
    const struct odma__rule *ru = &r->rule[rule];
    const struct odma__role *fl = &r->role[ru->role_a], *rec = &r->role[ru->role_b];
    const struct dma_trace_event *ev = c->ev;
    struct odma__slotwin *win;
    uint64_t *dirty, ndirty = 0, s, lo, hi;
    size_t i;
    int h;
    win = (struct odma__slotwin *)malloc(rec->count * sizeof *win);
    dirty = (uint64_t *)malloc(rec->count * sizeof *dirty);
    if (!win || !dirty) {
        free(win);
        free(dirty);
        return -1;
    }
    for (s = 0; s < rec->count; s++) {
        win[s].last = win[s].flag = SIZE_MAX;
        win[s].last_is_flag = false;
        win[s].listed = false;
    }
    for (i = 0; i <= c->n; i++) {
        const struct dma_trace_event *e = i < c->n ? &ev[i] : NULL;
        bool close_all = !e || (e->type == DMA_TRACE_NOTIFY && ru->until_notify);
        if (!close_all && e->type == DMA_TRACE_ACCESS && e->dir == DMA_DIR_READ) {
            for (h = 0; h < ru->nuntil && !close_all; h++) {
                const struct odma__role *hr = &r->role[ru->until[h]];
                if (!odma__overlap(hr, e->addr, e->len, &lo, &hi))
                    continue;
                if (hr->count != rec->count) {
                    close_all = true;
                    break;
                }
                for (s = lo; s <= hi; s++)
                    odma__close_window(c, rule, &win[s], s, i);
            }
        }
        if (close_all) {
            uint64_t d;
            for (d = 0; d < ndirty; d++) {
                odma__close_window(c, rule, &win[dirty[d]], dirty[d], i);
                win[dirty[d]].listed = false;
            }
            ndirty = 0;
            continue;
        }
        if ((e->type == DMA_TRACE_ACCESS || e->type == DMA_TRACE_MAP ||
             e->type == DMA_TRACE_UNMAP) && e->dir == DMA_DIR_WRITE &&
            odma__overlap(rec, e->addr, e->len, &lo, &hi)) {
            for (s = lo; s <= hi; s++) {
                uint64_t fs = fl->base + s * fl->stride;
                bool is_flag = e->type == DMA_TRACE_ACCESS && e->addr == fs &&
                               e->len == fl->size;
                win[s].last = i;
                win[s].last_is_flag = is_flag;
                if (is_flag)
                    win[s].flag = i;
                if (!win[s].listed) {
                    win[s].listed = true;
                    dirty[ndirty++] = s;
                }
            }
        }
        /* Keep the dirty list short: drop slots whose window a read closed. */
        if (ndirty > 64) {
            uint64_t d, m = 0;
            for (d = 0; d < ndirty; d++) {
                if (win[dirty[d]].last != SIZE_MAX)
                    dirty[m++] = dirty[d];
                else
                    win[dirty[d]].listed = false;
            }
            ndirty = m;
        }
    }
    free(win);
    free(dirty);
    return 0;
}

int odma__rules_check_events(const struct dma_trace_event *ev, size_t n, size_t dropped,
                             const char *rules, char *report, size_t size)
{
    struct odma__rout out;
    struct odma__rules *r;
    struct odma__rctx c;
    unsigned char done_rule[ODMA_RULES_MAX_RULES];
    size_t i, naccess = 0;
    int k, result;
    out.buf = report;
    out.size = report ? size : 0;
    out.len = 0;
    out.cut = false;
    if (out.size)
        report[0] = '\0';
    if (!ev)
        n = 0;
    r = (struct odma__rules *)malloc(sizeof *r);
    if (!r) {
        odma__rput(&out, "dma_trace_check_rules: out of memory, trace not checked\n");
        return -1;
    }
    /* Errors go to a scratch report first, then behind the summary. */
    if (odma__parse_rules(r, rules, &out) < 0) {
        free(r);
        return -1;
    }
    memset(&c, 0, sizeof c);
    c.r = r;
    c.ev = ev;
    c.n = n;
    c.out = &out;
    for (i = 0; i < n; i++)
        naccess += odma__is_access(&ev[i]);
    memset(done_rule, 0, sizeof done_rule);
    for (k = 0; k < r->nrules; k++)
        if (r->rule[k].kind == ODMA__RULE_ORDER && !done_rule[k])
            odma__check_orders(&c, r->rule[k].by, done_rule);
    for (k = 0; k < r->nrules; k++)
        if (r->rule[k].kind == ODMA__RULE_LAST && odma__check_last(&c, k) < 0) {
            odma__rput(&out, "dma_trace_check_rules: out of memory, trace not checked\n");
            free(r);
            return -1;
        }
    if (dropped) {
        c.bad++;
        odma__rput(&out,
                   "dma_trace_check_rules: the trace overflowed: %zu events were not recorded, "
                   "so it cannot be judged (counted as one violation)\n", dropped);
    }
    if (c.bad == 0) {
        odma__rput(&out,
                   "dma_trace_check_rules: ok: the trace keeps all %d rules (%d roles, %zu "
                   "accesses, %zu events)\n", r->nrules, r->nroles, naccess, n);
    } else if (c.nshown) {
        odma__rput(&out,
                   "dma_trace_check_rules: %llu violation%s of %d rules (%d roles, %zu accesses, "
                   "%zu events):\n", c.bad - (dropped ? 1 : 0), c.bad - (dropped ? 1 : 0) == 1
                   ? "" : "s", r->nrules, r->nroles, naccess, n);
        for (k = 0; k < c.nshown; k++) {
            if (r->rule[c.shown[k].rule].kind == ODMA__RULE_LAST)
                odma__explain_last(&c, &c.shown[k], k + 1);
            else
                odma__explain_order(&c, &c.shown[k], k + 1);
        }
        if (c.bad - (dropped ? 1 : 0) > (unsigned long long)c.nshown)
            odma__rput(&out, "  ... and %llu more\n",
                       c.bad - (dropped ? 1 : 0) - (unsigned long long)c.nshown);
    }
    result = c.bad > (unsigned long long)INT_MAX ? INT_MAX : (int)c.bad;
    free(r);
    return result;
}

int odma_trace_check_text(const char *trace, const char *rules, char *report, size_t size)
{
    struct odma__rout out;
    struct dma_trace_event *ev = NULL;
    size_t dropped = 0;
    long n;
    int res;
    out.buf = report;
    out.size = report ? size : 0;
    out.len = 0;
    out.cut = false;
    if (out.size)
        report[0] = '\0';
    n = odma__parse_trace(trace, &ev, &dropped, &out);
    if (n < 0)
        return -1;
    res = odma__rules_check_events(ev, (size_t)n, dropped, rules, report, size);
    free(ev);
    return res;
}

/* ---- generators ---- */

struct odma__gen {
    char *buf;
    size_t size, len;
};

static void odma__gen_put(struct odma__gen *g, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
static void odma__gen_put(struct odma__gen *g, const char *fmt, ...)
{
    va_list ap;
    int k;
    char *dst = g->buf && g->len < g->size ? g->buf + g->len : NULL;
    va_start(ap, fmt);
    k = vsnprintf(dst, dst ? g->size - g->len : 0, fmt, ap);
    va_end(ap);
    if (k > 0)
        g->len += (size_t)k;
}

/* Run gen twice: count, then write only if it fits (buf untouched otherwise). */
static int odma__gen_run(char *buf, size_t size, const void *cfg,
                         int (*gen)(struct odma__gen *, const void *))
{
    struct odma__gen g = { NULL, 0, 0 };
    if (gen(&g, cfg) < 0)
        return -1;
    if (g.len > (size_t)INT_MAX - 1)
        return -1;
    if (!buf || size < g.len + 1)
        return -(int)(g.len + 1);
    g.buf = buf;
    g.size = size;
    g.len = 0;
    gen(&g, cfg);
    return (int)g.len;
}

static void odma__gen_role(struct odma__gen *g, const char *name, uint64_t at, uint64_t size,
                           uint64_t count, uint64_t stride)
{
    odma__gen_put(g, "role %-14s at 0x%" PRIx64 " size %" PRIu64, name, at, size);
    if (count > 1)
        odma__gen_put(g, " count %" PRIu64 " stride %" PRIu64, count, stride);
    odma__gen_put(g, "\n");
}

/*
 * NVMe I/O queue pair, device side (sections of the NVM Express base
 * specification 1.4; the same text is in 2.0's queue and completion
 * chapters):
 *  - 4.6 (CQE DW2): the SQ Head Pointer in a completion tells the host which
 *    commands were consumed and may be overwritten, so the command's reads
 *    must be complete before the completion is visible:
 *        order R sq -> W cq.status
 *  - 4.6 (CQE DW3, Phase Tag): the host treats an entry as new once its
 *    phase tag flips, then reads the rest of the entry and the data, so
 *    the data written by the command (a Read) and the rest of the entry
 *    must be visible first, and the data read by it (a Write) must have
 *    been read (the host frees the buffer once it sees the completion):
 *        order W other -> W cq.status
 *        order R other -> W cq.status
 *        order W cq -> W cq.status same
 *  - 4.6 Phase Tag, program order: the status word holding the phase tag
 *    is written whole, last, in one access; the slot is the controller's
 *    again only after the host consumed it, which this trace cannot see:
 *    the handover is the interrupt (notify) or the end of the trace:
 *        last W cq.status in cq until notify
 *  - 7.5 (interrupts): an interrupt tells the host to look at the CQ; the
 *    entries it announces must be visible before it:
 *        order W cq.status -> notify
 */
static int odma__gen_nvme(struct odma__gen *g, const void *vcfg)
{
    const struct dma_nvme_config *cfg = (const struct dma_nvme_config *)vcfg;
    if (!cfg || cfg->sq_entries == 0 || cfg->cq_entries == 0 ||
        cfg->sq > UINT64_MAX - 64ull * cfg->sq_entries + 1 ||
        cfg->cq > UINT64_MAX - 16ull * cfg->cq_entries + 1)
        return -1;
    odma__gen_put(g, "# NVMe I/O queue pair, device side (NVMe base spec 1.4 sections)\n");
    odma__gen_role(g, "sq", cfg->sq, 64, cfg->sq_entries, 64);
    odma__gen_role(g, "cq", cfg->cq, 16, cfg->cq_entries, 16);
    odma__gen_role(g, "cq.status", cfg->cq + 14, 2, cfg->cq_entries, 16);
    odma__gen_put(g, "order R sq -> W cq.status          # 4.6 SQ Head Pointer: command read "
                     "before its completion\n");
    odma__gen_put(g, "order W other -> W cq.status       # 4.6 Phase Tag: data written before "
                     "the completion\n");
    odma__gen_put(g, "order R other -> W cq.status       # 4.6 Phase Tag: data read before "
                     "the completion\n");
    odma__gen_put(g, "order W cq -> W cq.status same     # 4.6 Phase Tag: entry body before "
                     "its phase tag\n");
    odma__gen_put(g, "last W cq.status in cq until notify # 4.6 Phase Tag: status word "
                     "last, whole\n");
    odma__gen_put(g, "order W cq.status -> notify        # 7.5 interrupts: entries visible "
                     "before the interrupt\n");
    return 0;
}

/*
 * Xen ioreq page, device-model side (xen/include/public/hvm/ioreq.h, the
 * semantics in our words): one 32-byte ioreq per vCPU; the state byte at
 * offset 30 is the only synchronisation. Xen fills the request, then sets
 * STATE_IOREQ_READY; the device model sees READY, may set INPROCESS, reads
 * the request, writes data (the result of a read) at offset 8, then sets
 * STATE_IORESP_READY and kicks the event channel; Xen then reads data and
 * reuses the slot.
 *  - ioreq.h state protocol, READY: nothing of the request may be read
 *    before READY was seen (an acquire on the state read):
 *        order R ioreq.state -> R ioreq same
 *  - IORESP_READY hands the slot back: every read of the request must be
 *    complete before it (Xen rewrites the slot at once), and the result
 *    must be visible before it:
 *        order R ioreq -> W ioreq.state same
 *        order W ioreq.data -> W ioreq.state same
 *  - program order: after IORESP_READY the device model must not write the
 *    slot until it sees the next READY (a read of the state):
 *        last W ioreq.state in ioreq until R ioreq.state
 *  - the event-channel kick announces IORESP_READY:
 *        order W ioreq.state -> notify
 */
static int odma__gen_xen(struct odma__gen *g, const void *vcfg)
{
    const struct dma_xen_ioreq_config *cfg = (const struct dma_xen_ioreq_config *)vcfg;
    if (!cfg || cfg->vcpus == 0 || cfg->vcpus > 128 ||
        cfg->page > UINT64_MAX - 32ull * cfg->vcpus + 1)
        return -1;
    odma__gen_put(g, "# Xen ioreq page, device-model side (public/hvm/ioreq.h)\n");
    odma__gen_role(g, "ioreq", cfg->page, 32, cfg->vcpus, 32);
    odma__gen_role(g, "ioreq.data", cfg->page + 8, 8, cfg->vcpus, 32);
    odma__gen_role(g, "ioreq.state", cfg->page + 30, 1, cfg->vcpus, 32);
    odma__gen_put(g, "order R ioreq.state -> R ioreq same      # ioreq.h READY: request read "
                     "after READY seen\n");
    odma__gen_put(g, "order R ioreq -> W ioreq.state same      # ioreq.h IORESP_READY: "
                     "request reads done first\n");
    odma__gen_put(g, "order W ioreq.data -> W ioreq.state same # ioreq.h IORESP_READY: result "
                     "visible first\n");
    odma__gen_put(g, "last W ioreq.state in ioreq until R ioreq.state # ioreq.h: slot is Xen's "
                     "after IORESP_READY\n");
    odma__gen_put(g, "order W ioreq.state -> notify            # ioreq.h: event channel after "
                     "IORESP_READY\n");
    return 0;
}

/* The virtio generators need struct dma_vq_config complete: they are
 * compiled where odma/virtio.h was included before the implementation. */
#ifdef ODMA_VIRTIO_H
/*
 * Virtio split virtqueue, device side (virtio 1.2 cs01 numbering, as
 * odma/virtio.h; in 1.1 subtract one from the second number):
 *  - 2.7.13.3 "Updating idx": the driver writes descriptors and the ring
 *    entry, then (2.7.13.3.1) a barrier, then avail idx, which exposes the
 *    chains "and the memory they refer to": the device reads idx first,
 *    then the ring entry, the descriptors, indirect tables and buffers:
 *        order R avail.idx -> R avail.ring
 *        order R avail.idx -> R desc
 *        order R avail.idx -> R other
 *  - no barrier where the address comes from the value just read (the head
 *    index from the ring entry, the next index, a buffer or indirect table
 *    address from a descriptor): address dependencies, ordered by the
 *    hardware on every architecture odma supports:
 *        dep R avail.ring -> R desc,  dep R desc -> R desc,
 *        dep R desc -> RW other,      dep R other -> RW other
 *  - 2.7.8.2 (device requirements, used ring): len set, and at least len
 *    bytes written, before the used idx update:
 *        order W used.ring -> W used.idx
 *        order W other -> W used.idx
 *  - 2.7.14 "Receiving Used Buffers": a buffer is returned once the device
 *    is done with it (read or written): its reads, and the reads of its
 *    descriptors and ring entry, complete before the used idx update (the
 *    driver reuses all of them once it sees idx):
 *        order R other -> W used.idx
 *        order R desc -> W used.idx
 *        order R avail.ring -> W used.idx
 *    Reading a buffer and then writing its used element needs nothing.
 *  - 2.7.7.2 (device requirements, used buffer notification suppression):
 *    the device decides on an interrupt after writing the used idx, from
 *    the driver's flags or used_event, which the driver writes before
 *    re-reading the used idx (2.7.14's note): store then load on both
 *    sides, so a full barrier:
 *        order W used.idx -> R avail.flags by mb      (without event_idx)
 *        order W used.idx -> R used_event by mb       (with event_idx)
 *  - 2.7.10.2 with 2.7.13.4 "Notifying The Device": with event_idx the
 *    device writes avail_event, then re-reads avail idx, against the
 *    driver's "idx, barrier, avail_event": a full barrier:
 *        order W avail_event -> R avail.idx by mb     (with event_idx)
 *    (Without event_idx the same shape uses the used ring's flags, but the
 *    trace cannot tell enabling from disabling - see LIMITS.)
 *  - 2.7.14: the used buffer notification comes after the used idx:
 *        order W used.idx -> notify
 */
static int odma__gen_split(struct odma__gen *g, const void *vcfg)
{
    const struct dma_vq_config *cfg = (const struct dma_vq_config *)vcfg;
    uint64_t n, a, u, ae = 2, ue = 2;
    if (!cfg || cfg->packed || cfg->num == 0 || cfg->num > 32768 || (cfg->num & (cfg->num - 1)))
        return -1;
    n = cfg->num;
    a = cfg->driver;
    u = cfg->device;
    if (!cfg->event_idx)
        ae = ue = 0;
    if (cfg->desc > UINT64_MAX - 16 * n + 1 || a > UINT64_MAX - (4 + 2 * n + ae) + 1 ||
        u > UINT64_MAX - (4 + 8 * n + ue) + 1)
        return -1;
    odma__gen_put(g, "# virtio split virtqueue, device side (virtio 1.2 section numbers)%s\n",
                  cfg->event_idx ? ", VIRTIO_F_EVENT_IDX" : "");
    odma__gen_role(g, "desc", cfg->desc, 16, n, 16);
    odma__gen_role(g, "avail.flags", a, 2, 1, 2);
    odma__gen_role(g, "avail.idx", a + 2, 2, 1, 2);
    odma__gen_role(g, "avail.ring", a + 4, 2, n, 2);
    if (cfg->event_idx)
        odma__gen_role(g, "used_event", a + 4 + 2 * n, 2, 1, 2);
    odma__gen_role(g, "used.flags", u, 2, 1, 2);
    odma__gen_role(g, "used.idx", u + 2, 2, 1, 2);
    odma__gen_role(g, "used.ring", u + 4, 8, n, 8);
    if (cfg->event_idx)
        odma__gen_role(g, "avail_event", u + 4 + 8 * n, 2, 1, 2);
    odma__gen_put(g, "order R avail.idx -> R avail.ring # 2.7.13.3: idx read before the ring "
                     "entry\n");
    odma__gen_put(g, "order R avail.idx -> R desc       # 2.7.13.3: idx read before the "
                     "descriptors\n");
    odma__gen_put(g, "order R avail.idx -> R other      # 2.7.13.3: idx read before buffers and "
                     "indirect tables\n");
    odma__gen_put(g, "dep R avail.ring -> R desc        # address dependency: the head index\n");
    odma__gen_put(g, "dep R desc -> R desc              # address dependency: the next index\n");
    odma__gen_put(g, "dep R desc -> RW other            # address dependency: buffer or table "
                     "address\n");
    odma__gen_put(g, "dep R other -> RW other           # address dependency: indirect entry\n");
    odma__gen_put(g, "order W used.ring -> W used.idx   # 2.7.8.2: len set before used idx\n");
    odma__gen_put(g, "order W other -> W used.idx       # 2.7.8.2: len bytes written before "
                     "used idx\n");
    odma__gen_put(g, "order R other -> W used.idx       # 2.7.14: buffer reads done before it "
                     "is returned\n");
    odma__gen_put(g, "order R desc -> W used.idx        # 2.7.14: descriptor reads done before "
                     "it is returned\n");
    odma__gen_put(g, "order R avail.ring -> W used.idx  # 2.7.14: ring entry read before the "
                     "chain is returned\n");
    if (cfg->event_idx) {
        odma__gen_put(g, "order W used.idx -> R used_event by mb # 2.7.7.2: used idx, full "
                         "barrier, used_event\n");
        odma__gen_put(g, "order W avail_event -> R avail.idx by mb # 2.7.10.2, 2.7.13.4: "
                         "avail_event, full barrier, idx\n");
    } else {
        odma__gen_put(g, "order W used.idx -> R avail.flags by mb # 2.7.7.2: used idx, full "
                         "barrier, flags\n");
    }
    odma__gen_put(g, "order W used.idx -> notify        # 2.7.14: used idx before the "
                     "notification\n");
    return 0;
}

/*
 * Virtio packed virtqueue, device side (virtio 1.2 numbering):
 *  - 2.8.21.1 "Placing Available Buffers Into The Descriptor Ring" and
 *    2.8.6 "Next Flag": the driver writes the chain, then a barrier, then
 *    the head's flags: the device reads the flags first, then the
 *    descriptors, indirect tables and buffers:
 *        order R desc.flags -> R desc
 *        order R desc.flags -> R other
 *        dep R desc.addr -> RW other,  dep R other -> RW other
 *    (addresses: the flags field feeds none)
 *  - 2.8.22 "Receiving Used Buffers From The Device": the driver reads a
 *    used descriptor's flags, then its id and len and the buffer: the
 *    device writes id, len and the data, then the flags; and a buffer and
 *    its descriptors are the driver's again once it sees them used, so
 *    their reads complete first:
 *        order W desc -> W desc.flags same
 *        order W other -> W desc.flags
 *        order R other -> W desc.flags
 *        order R desc -> W desc.flags
 *  - 2.8.15 (device requirements, descriptor table): the device must not
 *    change a descriptor after changing its USED bit; it may write the
 *    slot again only once the driver made it available again, which it
 *    learns by reading the slot's flags:
 *        last W desc.flags in desc until R desc.flags
 *  - 2.8.10 "Driver and Device Event Suppression" (with 2.8.14): after
 *    writing used descriptors the device consults the driver's structure;
 *    the driver writes it, then re-checks the ring: a full barrier:
 *        order W desc.flags -> R driver.event by mb
 *  - 2.8.22: the used buffer notification comes after the used flags:
 *        order W desc.flags -> notify
 *    (The device's own structure, written before it re-checks the ring
 *    in 2.8.21.2, is written by enabling and disabling alike - see LIMITS.)
 */
static int odma__gen_packed(struct odma__gen *g, const void *vcfg)
{
    const struct dma_vq_config *cfg = (const struct dma_vq_config *)vcfg;
    uint64_t n;
    if (!cfg || !cfg->packed || cfg->num == 0 || cfg->num > 32768)
        return -1;
    n = cfg->num;
    if (cfg->desc > UINT64_MAX - 16 * n + 1 || cfg->driver > UINT64_MAX - 3 ||
        cfg->device > UINT64_MAX - 3)
        return -1;
    odma__gen_put(g, "# virtio packed virtqueue, device side (virtio 1.2 section numbers)%s\n",
                  cfg->event_idx ? ", VIRTIO_F_EVENT_IDX" : "");
    odma__gen_role(g, "desc", cfg->desc, 16, n, 16);
    odma__gen_role(g, "desc.addr", cfg->desc, 8, n, 16);
    odma__gen_role(g, "desc.flags", cfg->desc + 14, 2, n, 16);
    odma__gen_role(g, "driver.event", cfg->driver, 4, 1, 4);
    odma__gen_role(g, "device.event", cfg->device, 4, 1, 4);
    odma__gen_put(g, "order R desc.flags -> R desc       # 2.8.21.1, 2.8.6: flags read before "
                     "the descriptors\n");
    odma__gen_put(g, "order R desc.flags -> R other      # 2.8.21.1: flags read before buffers "
                     "and indirect tables\n");
    odma__gen_put(g, "dep R desc.addr -> RW other        # address dependency: buffer or table "
                     "address\n");
    odma__gen_put(g, "dep R other -> RW other            # address dependency: indirect entry\n");
    odma__gen_put(g, "order W desc -> W desc.flags same  # 2.8.22: id and len before the flags\n");
    odma__gen_put(g, "order W other -> W desc.flags      # 2.8.22: data written before the "
                     "flags\n");
    odma__gen_put(g, "order R other -> W desc.flags      # 2.8.22: buffer reads done before it "
                     "is returned\n");
    odma__gen_put(g, "order R desc -> W desc.flags       # 2.8.22: descriptor reads done before "
                     "it is returned\n");
    odma__gen_put(g, "last W desc.flags in desc until R desc.flags # 2.8.15: no change after "
                     "the USED flag\n");
    odma__gen_put(g, "order W desc.flags -> R driver.event by mb # 2.8.10, 2.8.14: used flags, "
                     "full barrier, event\n");
    odma__gen_put(g, "order W desc.flags -> notify       # 2.8.22: used flags before the "
                     "notification\n");
    return 0;
}

int odma_rules_virtio_split(char *buf, size_t size, const struct dma_vq_config *cfg)
{
    return odma__gen_run(buf, size, cfg, odma__gen_split);
}

int odma_rules_virtio_packed(char *buf, size_t size, const struct dma_vq_config *cfg)
{
    return odma__gen_run(buf, size, cfg, odma__gen_packed);
}
#endif /* ODMA_VIRTIO_H */

int odma_rules_nvme(char *buf, size_t size, const struct dma_nvme_config *cfg)
{
    return odma__gen_run(buf, size, cfg, odma__gen_nvme);
}

int odma_rules_xen_ioreq(char *buf, size_t size, const struct dma_xen_ioreq_config *cfg)
{
    return odma__gen_run(buf, size, cfg, odma__gen_xen);
}

#ifdef __cplusplus
}
#endif
#undef ODMA__RULE_ERR
#undef ODMA__ROLE_OTHER
#undef ODMA__ROLE_ANY
#undef ODMA__ROLE_NOTIFY
#undef ODMA__NAME_MAX
#undef ODMA__LINE_MAX
#endif /* ODMA_TESTING_IMPLEMENTATION || ODMA_TESTING_RULES_IMPLEMENTATION */

#endif /* ODMA_TESTING_RULES_H */
