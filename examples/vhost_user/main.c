// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/main.c - command line.
 *
 *   vhost_user_backend [--poll] [--packed] [--policy strict|pcie|none] [-v]
 *                      [--net PATH[,hub|sink|source][,count=N]]...
 *                      [--blk PATH,FILE]...
 *
 * --policy: the odma policy of every guest-memory context (default
 * strict). Every ordering the virtio spec asks of a device is issued by
 * include/odma/virtio.h itself (acquire on what the driver publishes,
 * release on what the device publishes, full barriers for notification
 * suppression), whatever the policy; the buffers are read after the
 * acquire that published them and written before the release that
 * returns them. So `none` is enough for a virtio device; `strict`
 * additionally orders every buffer access against the next (a full
 * barrier on x86 from each write to the next read) and is the default
 * only because it is odma's.
 *
 * Serves until SIGINT or SIGTERM, then prints each live connection's
 * counters and exits 0. Every guest access goes through odma
 * (include/odma/virtio.h for the rings, dma_read/dma_write for buffers).
 */
#define _GNU_SOURCE
#include "vu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vu_options vu_opt;

int vu_listen(struct vu_listener *l);
void vu_run(void);
void *vu_net_listener(const char *spec);
void *vu_blk_listener(const char *file);
void vu_blk_listener_free(void *opaque);

static void usage(void)
{
    fprintf(stderr, "usage: vhost_user_backend [--poll] [--packed] [--policy strict|pcie|none] [-v]\n"
                    "         [--net PATH[,hub|sink|source][,count=N]]... "
                    "[--blk PATH,FILE]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct vu_listener ls[8];
    unsigned n = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    vu_opt.policy = DMA_POLICY_STRICT;
    vu_opt.policy_name = "strict";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--policy") && i + 1 < argc) {
            const char *p = argv[++i];
            if (!strcmp(p, "strict"))
                vu_opt.policy = DMA_POLICY_STRICT;
            else if (!strcmp(p, "pcie"))
                vu_opt.policy = DMA_POLICY_PCIE;
            else if (!strcmp(p, "none"))
                vu_opt.policy = DMA_POLICY_NONE;
            else
                usage();
            vu_opt.policy_name = p;
        } else if (!strcmp(a, "--poll")) {
            vu_opt.poll = true;
        } else if (!strcmp(a, "--packed")) {
            vu_opt.packed = true;
        } else if (!strcmp(a, "-v")) {
            vu_opt.verbose = true;
        } else if ((!strcmp(a, "--net") || !strcmp(a, "--blk")) && i + 1 < argc && n < 8) {
            char *spec = strdup(argv[++i]);
            char *comma = strchr(spec, ',');
            if (comma)
                *comma++ = '\0';
            struct vu_listener *l = &ls[n];
            memset(l, 0, sizeof(*l));
            l->path = spec;
            if (a[2] == 'n') {
                l->ops = &vu_net_ops;
                l->opaque = vu_net_listener(comma);
            } else {
                if (!comma)
                    usage();
                l->ops = &vu_blk_ops;
                l->opaque = vu_blk_listener(comma);
            }
            if (!l->opaque)
                return 1;
            n++;
        } else {
            usage();
        }
    }
    if (n == 0)
        usage();
    for (unsigned i = 0; i < n; i++)
        if (vu_listen(&ls[i]) < 0)
            return 1;
    vu_run();
    for (unsigned i = 0; i < n; i++) {
        close(ls[i].fd);
        unlink(ls[i].path);
        if (ls[i].ops == &vu_blk_ops)
            vu_blk_listener_free(ls[i].opaque);
        else
            free(ls[i].opaque);
        free((char *)ls[i].path);
    }
    return 0;
}
