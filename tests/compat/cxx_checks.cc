// SPDX-License-Identifier: MIT
//
// tests/compat/cxx_checks.cc - odma from C++ (17, 20, 23): the headers'
// <atomic> path must compile warning-free and behave as the C one does.
// Built and run by `make compat-cxx` with g++ and clang++; exits non-zero
// on the first failed check.
//
// Checks: barrier placement of ordered / relaxed / acquire / release /
// publish / consume accesses under two policies (through odma/testing.h's
// trace string), a new std::thread starting with the previous access
// unknown, le/be byte layout of every width, and the error cases with
// their 0xFF fill.
#define ODMA_TESTING_IMPLEMENTATION
#include <odma/testing.h>
#include <odma.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

static int checks;

#define CHECK(cond)                                                            \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            std::exit(1);                                                      \
        }                                                                      \
    } while (0)

#define CHECK_TRACE(want)                                                      \
    do {                                                                       \
        checks++;                                                              \
        std::string got_ = dma_trace_string();                                 \
        if (got_ != (want)) {                                                  \
            std::fprintf(stderr, "%s:%d: trace \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                         got_.c_str(), (want));                                \
            std::exit(1);                                                      \
        }                                                                      \
    } while (0)

namespace {

struct Guest {
    dma_ctx ctx;
    alignas(64) unsigned char ram[0x2000];

    explicit Guest(const dma_policy *policy)
    {
        std::memset(ram, 0, sizeof ram);
        dma_ctx_init(&ctx, policy);
        CHECK(dma_ctx_add_region(&ctx, 0x1000, 0x1000, ram, 0) == DMA_OK);
        CHECK(dma_ctx_add_region(&ctx, 0x2000, 0x1000, ram + 0x1000, DMA_REGION_READONLY) ==
              DMA_OK);
    }
};

void check_order_strict()
{
    static Guest g(nullptr); // NULL policy: STRICT
    unsigned char buf[16] = {};
    uint32_t v = 0;
    CHECK(dma_ctx_policy(&g.ctx) == DMA_POLICY_STRICT);
    odma_mb(); // nothing pending
    dma_trace_reset();
    CHECK(dma_write(&g.ctx, 0x1000, buf, 4) == DMA_OK);      // nothing before it
    CHECK(dma_read(&g.ctx, 0x1000, buf, 4) == DMA_OK);       // W->R: mb
    CHECK(dma_read_relaxed(&g.ctx, 0x1004, buf, 4) == DMA_OK); // no barrier
    CHECK(dma_write(&g.ctx, 0x1008, buf, 8) == DMA_OK);      // R->W: rmb
    CHECK(dma_write_relaxed(&g.ctx, 0x1010, buf, 8) == DMA_OK);
    CHECK(dma_st_le32(&g.ctx, 0x1018, 1) == DMA_OK);         // W->W: wmb
    CHECK(dma_ld_le32_acquire(&g.ctx, 0x1018, &v) == DMA_OK); // W->R relaxed: no fence before, rmb after
    CHECK(dma_st_be16_release(&g.ctx, 0x1020, 2) == DMA_OK); // wmb, then the store
    CHECK_TRACE("W@0x1000+4 mb R@0x1000+4 R@0x1004+4 rmb W@0x1008+8 W@0x1010+8 "
                "wmb W@0x1018+4 R@0x1018+4 rmb wmb W@0x1020+2");
    dma_trace_stop();
}

void check_order_pcie()
{
    static Guest g(DMA_POLICY_PCIE);
    unsigned char rec[16] = {};
    odma_mb();
    dma_trace_reset();
    CHECK(dma_read(&g.ctx, 0x1000, rec, 4) == DMA_OK);  // -
    CHECK(dma_read(&g.ctx, 0x1004, rec, 4) == DMA_OK);  // R->R: none
    CHECK(dma_write(&g.ctx, 0x1008, rec, 4) == DMA_OK); // R->W: none
    CHECK(dma_write(&g.ctx, 0x100c, rec, 4) == DMA_OK); // W->W: wmb
    CHECK(dma_read(&g.ctx, 0x1000, rec, 4) == DMA_OK);  // W->R: mb
    CHECK(dma_write_publish(&g.ctx, 0x1100, rec, 16, 14, 2) == DMA_OK);
    CHECK(dma_read_consume(&g.ctx, 0x1100, rec, 16, 14, 2) == DMA_OK);
    dma_notify_barrier(&g.ctx);
    CHECK_TRACE("R@0x1000+4 R@0x1004+4 W@0x1008+4 wmb W@0x100c+4 mb R@0x1000+4 "
                "W@0x1100+14 wmb W@0x110e+2 mb R@0x110e+2 rmb R@0x1100+14 notify mb");
    dma_trace_stop();
}

// A new thread knows nothing of the previous access: both an earlier read
// and an earlier write are pending, and its first ordered write under
// STRICT gets the weakest barrier that orders both (R->W, W->W: wmb).
void check_new_thread()
{
    static Guest g(DMA_POLICY_STRICT);
    std::string trace;
    odma_mb();
    std::thread t([&] {
        unsigned char b[4] = {};
        dma_trace_reset();
        if (dma_write(&g.ctx, 0x1000, b, 4) == DMA_OK &&
            dma_write(&g.ctx, 0x1004, b, 4) == DMA_OK)
            trace = dma_trace_string();
        dma_trace_stop();
    });
    t.join();
    CHECK(trace == "wmb W@0x1000+4 wmb W@0x1004+4");
}

void check_layout()
{
    static Guest g(DMA_POLICY_NONE);
    const unsigned char *m = g.ram;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    uint8_t v8 = 0;
    CHECK(dma_st_le16(&g.ctx, 0x1000, 0x1122) == DMA_OK);
    CHECK(m[0] == 0x22 && m[1] == 0x11);
    CHECK(dma_st_be16(&g.ctx, 0x1000, 0x1122) == DMA_OK);
    CHECK(m[0] == 0x11 && m[1] == 0x22);
    CHECK(dma_st_le32(&g.ctx, 0x1004, 0x11223344u) == DMA_OK);
    CHECK(std::memcmp(m + 4, "\x44\x33\x22\x11", 4) == 0);
    CHECK(dma_st_be32(&g.ctx, 0x1008, 0x11223344u) == DMA_OK);
    CHECK(std::memcmp(m + 8, "\x11\x22\x33\x44", 4) == 0);
    CHECK(dma_st_le64(&g.ctx, 0x1010, 0x0102030405060708ull) == DMA_OK);
    CHECK(std::memcmp(m + 0x10, "\x08\x07\x06\x05\x04\x03\x02\x01", 8) == 0);
    CHECK(dma_st_be64_release(&g.ctx, 0x1018, 0x0102030405060708ull) == DMA_OK);
    CHECK(std::memcmp(m + 0x18, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
    CHECK(dma_ld_be64(&g.ctx, 0x1010, &v64) == DMA_OK && v64 == 0x0807060504030201ull);
    CHECK(dma_ld_le32_relaxed(&g.ctx, 0x1008, &v32) == DMA_OK && v32 == 0x44332211u);
    CHECK(dma_ld_be16_acquire(&g.ctx, 0x1004, &v16) == DMA_OK && v16 == 0x4433);
    CHECK(dma_ld_u8(&g.ctx, 0x1007, &v8) == DMA_OK && v8 == 0x11);
    CHECK(dma_ld_le16(&g.ctx, 0x1003, &v16) == DMA_OK && v16 == 0x4400); // unaligned
}

void check_errors()
{
    static Guest g(DMA_POLICY_STRICT);
    unsigned char buf[8];
    uint32_t v32 = 0;
    uint64_t v64 = 0, len = 16;
    dma_result res = DMA_OK;
    dma_trace_reset();
    std::memset(buf, 0, sizeof buf);
    CHECK(dma_read(&g.ctx, 0x3000, buf, 8) == DMA_ERR_UNMAPPED);
    CHECK(std::memcmp(buf, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
    CHECK(dma_read(&g.ctx, 0x1ffc, buf, 8) == DMA_OK); // into the adjacent RO region
    CHECK(dma_write(&g.ctx, 0x1ffc, buf, 8) == DMA_ERR_READONLY);
    CHECK(dma_st_le32(&g.ctx, UINT64_MAX - 1, 0) == DMA_ERR_OVERFLOW);
    CHECK(dma_ld_le32_acquire(&g.ctx, 0x1002, &v32) == DMA_ERR_ALIGN && v32 == 0xffffffffu);
    CHECK(dma_ld_le64(nullptr, 0x1000, &v64) == DMA_ERR_INVALID && v64 == UINT64_MAX);
    CHECK(dma_write(&g.ctx, 0x1000, nullptr, 4) == DMA_ERR_INVALID);
    CHECK(dma_write_publish(&g.ctx, 0x1000, buf, 8, 6, 4) == DMA_ERR_INVALID);
    dma_ctx_set_bus_master(&g.ctx, false);
    CHECK(dma_read(&g.ctx, 0x1000, buf, 8) == DMA_ERR_DISABLED);
    CHECK(dma_map(&g.ctx, 0x1000, &len, DMA_DIR_READ, &res) == nullptr &&
          res == DMA_ERR_DISABLED && len == 0);
    dma_ctx_set_bus_master(&g.ctx, true);
    CHECK(std::string(dma_result_str(DMA_ERR_FAULT)).size() > 0);
    CHECK_TRACE("mb R@0x1ffc+8"); // failed accesses issue no barrier
    dma_trace_stop();
    len = 0x2000;
    void *p = dma_map(&g.ctx, 0x1800, &len, DMA_DIR_WRITE, &res);
    CHECK(p == g.ram + 0x800 && len == 0x800 && res == DMA_OK);
    CHECK(dma_ctx_maps_outstanding(&g.ctx) == 1);
    dma_unmap(&g.ctx, p, len, DMA_DIR_WRITE, 16);
    CHECK(dma_ctx_quiesce(&g.ctx, 0));
}

} // namespace

int main()
{
    check_order_strict();
    check_order_pcie();
    check_new_thread();
    check_layout();
    check_errors();
    std::printf("cxx: %d checks passed (C++ %ld)\n", checks, static_cast<long>(__cplusplus));
    return 0;
}
