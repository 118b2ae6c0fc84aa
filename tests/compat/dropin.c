/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/dropin.c - odma in a tree that has its own barrier macros
 * and DMA names (tests/compat/fake_tree.h). Built with odma included
 * before the tree's header (-DODMA_FIRST) and after it, as C and as C++;
 * each must compile warning-free and pass: the tree's smp_mb() is the one device code gets,
 * odma's accessors still place their own barriers and never call the
 * tree's, and the two vocabularies convert into each other.
 */
#include <stdio.h>
#include <string.h>
#ifdef ODMA_FIRST
#include <odma.h>
#include "fake_tree.h"
#else
#include "fake_tree.h"
#include <odma.h>
#endif

unsigned long tree_fences;
static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static dma_dir to_odma(DMADirection d)
{
    return d == DMA_DIRECTION_FROM_DEVICE ? DMA_DIR_WRITE : DMA_DIR_READ;
}

/* A device-model helper with the tree's types, on top of odma. */
static int tree_dma_rw(struct dma_ctx *ctx, dma_addr_t addr, void *buf, dma_addr_t len,
                       DMADirection dir)
{
    return dma_rw(ctx, addr, buf, (size_t)len, to_odma(dir)) == DMA_OK ? 0 : -1;
}

int main(void)
{
    static uint64_t ram64[32]; /* 8-byte aligned guest RAM */
    unsigned char *ram = (unsigned char *)ram64;
    struct dma_ctx ctx;
    unsigned char buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    unsigned long before;
    dma_addr_t a = 0x1000;

    dma_ctx_init(&ctx, DMA_POLICY_STRICT);
    CHECK(dma_ctx_add_region(&ctx, a, sizeof ram64, ram, 0) == DMA_OK);

    smp_mb(); /* the tree's macro, whichever header came first */
    smp_wmb();
    smp_rmb();
    barrier();
    dma_barrier(0, DMA_DIRECTION_TO_DEVICE); /* the tree's function */
    CHECK(tree_fences == 4);

    before = tree_fences;
    CHECK(tree_dma_rw(&ctx, a, buf, 8, DMA_DIRECTION_FROM_DEVICE) == 0); /* write */
    memset(buf, 0, sizeof buf);
    CHECK(tree_dma_rw(&ctx, a, buf, 8, DMA_DIRECTION_TO_DEVICE) == 0);   /* W->R: mb */
    CHECK(buf[7] == 8);
    odma_mb();
    CHECK(tree_fences == before); /* odma used its own barriers only */
    printf("dropin (odma %s the tree's names): ok at 0x" DMA_ADDR_FMT "\n",
#ifdef ODMA_FIRST
           "before",
#else
           "after",
#endif
           a);
    return failures != 0;
}
