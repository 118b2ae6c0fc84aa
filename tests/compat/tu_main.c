/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/tu_main.c (+ tu_other.c, tu_cxx.cc) - one program, three
 * translation units, two languages. odma keeps the per-thread "previous
 * access" in a weak thread-local symbol so that every file of a program
 * shares it. Each file fences its own view first; then a write made in one
 * file must make an ordered read in another get the W->R barrier (mb under
 * STRICT), and so on. The named policies must be one object program-wide.
 *
 * Control: tests/compat/rules.mk also builds tu_other.c with odma's state
 * renamed (a private copy, as a plain `static` would give); then the
 * barrier checks must fail, or the test proves nothing.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include <odma/testing.h>
#include <stdio.h>
#include <string.h>

/* tu_other.c */
void other_fence(void);
dma_result other_read(struct dma_ctx *ctx, uint64_t addr);
dma_result other_write(struct dma_ctx *ctx, uint64_t addr);
const struct dma_policy *other_pcie(void);
/* tu_cxx.cc */
void cxx_fence(void);
dma_result cxx_read(struct dma_ctx *ctx, uint64_t addr);
const struct dma_policy *cxx_pcie(void);

static int failures;

static void expect(const char *what, const char *want)
{
    const char *got = dma_trace_string();
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "two-TU: %s: trace \"%s\", want \"%s\"\n", what, got, want);
        failures++;
    }
}

int main(void)
{
    static _Alignas(8) unsigned char ram[64];
    struct dma_ctx ctx;
    dma_ctx_init(&ctx, DMA_POLICY_STRICT);
    if (dma_ctx_add_region(&ctx, 0x1000, sizeof ram, ram, 0) != DMA_OK)
        return 2;

    odma_mb();
    other_fence();
    cxx_fence();
    dma_trace_reset();
    dma_st_le32(&ctx, 0x1000, 1); /* here */
    other_read(&ctx, 0x1000);     /* there: W->R */
    expect("write here, read in tu_other.c", "W@0x1000+4 mb R@0x1000+4");

    dma_trace_reset();
    other_write(&ctx, 0x1004);    /* there: R->W */
    dma_st_le32(&ctx, 0x1008, 2); /* here: W->W */
    expect("read, write in tu_other.c, write here", "rmb W@0x1004+4 wmb W@0x1008+4");

    dma_trace_reset();
    cxx_read(&ctx, 0x1000);       /* C++: W->R */
    expect("write here, read in tu_cxx.cc", "mb R@0x1000+4");

    if (other_pcie() != DMA_POLICY_PCIE || cxx_pcie() != DMA_POLICY_PCIE) {
        fprintf(stderr, "two-TU: DMA_POLICY_PCIE differs between files\n");
        failures++;
    }
    dma_trace_stop();
    if (!failures)
        printf("two-TU: three files (C, C, C++) share the ordering state: ok\n");
    return failures != 0;
}
