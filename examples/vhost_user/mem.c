// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/mem.c - the front-end's memory table.
 *
 * SET_MEM_TABLE carries up to 8 regions, each with a file descriptor: the
 * backend mmaps each fd (from offset 0, mmap_offset + size bytes, so the
 * region starts mmap_offset bytes in) and registers one odma region per
 * entry at its guest-physical address. Ring addresses arrive as the
 * front-end's *user* addresses (SET_VRING_ADDR) and are translated here
 * through the same table; buffer addresses inside descriptors are
 * guest-physical and go straight to odma, which refuses anything outside
 * the regions.
 */
#define _GNU_SOURCE
#include "vu.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void vu_mem_unmap(struct vu_conn *c);
int vu_mem_set(struct vu_conn *c, const struct vu_msg *m);
int vu_mem_ua_to_gpa(const struct vu_conn *c, uint64_t ua, uint64_t len, uint64_t *gpa);

void vu_mem_unmap(struct vu_conn *c)
{
    for (unsigned i = 0; i < c->nmaps; i++)
        munmap(c->maps[i].base, c->maps[i].maplen);
    c->nmaps = 0;
    dma_ctx_init(&c->ctx, vu_opt.policy);
}

/* Install a new table. A bad table is refused (logged) and the old one
 * stays as it was: every entry is checked and mapped, and the regions
 * tried on a scratch context, before anything of the old table goes.
 * 0 or -1. */
int vu_mem_set(struct vu_conn *c, const struct vu_msg *m)
{
    const struct vu_mem_table *t = &m->u.mem;
    size_t need = offsetof(struct vu_mem_table, regions) +
                  (size_t)t->nregions * sizeof(struct vu_mem_region);
    struct vu_region_map maps[VU_MAX_REGIONS];
    unsigned n = 0;
    struct dma_ctx *scratch = NULL;

    if (t->nregions == 0 || t->nregions > VU_MAX_REGIONS || m->hdr.size < need ||
        (unsigned)m->nfds != t->nregions) {
        vu_log(c, "SET_MEM_TABLE: %u regions, %d fds, %u bytes: refused", t->nregions,
               m->nfds, m->hdr.size);
        return -1;
    }
    for (unsigned i = 0; i < t->nregions; i++) {
        const struct vu_mem_region *r = &t->regions[i];
        if (r->size == 0 || r->mmap_offset + r->size < r->size ||
            r->uaddr + r->size - 1 < r->uaddr || r->mmap_offset + r->size > SIZE_MAX) {
            vu_log(c, "SET_MEM_TABLE: region %u: bad size or offset: refused", i);
            goto fail;
        }
        size_t maplen = (size_t)(r->mmap_offset + r->size);
        void *p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, m->fds[i], 0);
        if (p == MAP_FAILED) {
            vu_log(c, "SET_MEM_TABLE: region %u: mmap of %zu bytes: %s: refused", i, maplen,
                   strerror(errno));
            goto fail;
        }
        maps[n++] = (struct vu_region_map){
            .base = p, .maplen = maplen, .gpa = r->gpa, .uaddr = r->uaddr, .size = r->size};
    }
    scratch = malloc(sizeof(*scratch));
    if (!scratch)
        goto fail;
    dma_ctx_init(scratch, vu_opt.policy);
    for (unsigned i = 0; i < n; i++) {
        dma_result res = dma_ctx_add_region(scratch, maps[i].gpa, maps[i].size,
                                            (char *)maps[i].base + t->regions[i].mmap_offset, 0);
        if (res != DMA_OK) {
            vu_log(c, "SET_MEM_TABLE: region %u (gpa 0x%llx + 0x%llx): %s: refused", i,
                   (unsigned long long)maps[i].gpa, (unsigned long long)maps[i].size,
                   dma_result_str(res));
            goto fail;
        }
    }
    free(scratch);
    /* The new table is good: replace the old one. */
    vu_mem_unmap(c);
    for (unsigned i = 0; i < n; i++) {
        c->maps[i] = maps[i];
        dma_ctx_add_region(&c->ctx, maps[i].gpa, maps[i].size,
                           (char *)maps[i].base + t->regions[i].mmap_offset, 0);
        if (vu_opt.verbose)
            vu_log(c, "region %u: gpa 0x%llx size 0x%llx uaddr 0x%llx offset 0x%llx", i,
                   (unsigned long long)maps[i].gpa, (unsigned long long)maps[i].size,
                   (unsigned long long)maps[i].uaddr,
                   (unsigned long long)t->regions[i].mmap_offset);
    }
    c->nmaps = n;
    return 0;
fail:
    free(scratch);
    for (unsigned i = 0; i < n; i++)
        munmap(maps[i].base, maps[i].maplen);
    return -1;
}

/* A front-end user address range -> guest-physical; it must lie inside
 * one region. 0 or -1. */
int vu_mem_ua_to_gpa(const struct vu_conn *c, uint64_t ua, uint64_t len, uint64_t *gpa)
{
    for (unsigned i = 0; i < c->nmaps; i++) {
        const struct vu_region_map *r = &c->maps[i];
        if (ua >= r->uaddr && ua - r->uaddr < r->size && len <= r->size - (ua - r->uaddr)) {
            *gpa = r->gpa + (ua - r->uaddr);
            return 0;
        }
    }
    return -1;
}
