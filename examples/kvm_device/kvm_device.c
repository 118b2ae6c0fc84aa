/* SPDX-License-Identifier: MIT */
/*
 * kvm_device - a device model served by odma, driven by a real guest CPU.
 *
 * A minimal VMM on /dev/kvm: one VM, 2 MiB of guest RAM (an anonymous
 * mmap registered with KVM_SET_USER_MEMORY_REGION and, for the device,
 * with an odma context), one vCPU running guest.s (x86-64 code at CPL 3,
 * assembled at build time and embedded here; guest.s says why user mode),
 * and three host threads:
 *
 *   vCPU thread    KVM_RUN until the guest says it is done; port I/O
 *   device thread  the device model: touches guest RAM only through odma
 *   main thread    set-up, a watchdog, the verdict
 *
 * The guest is the driver. It fills requests (payload + length + flag) in
 * a ring in its RAM, publishes each with the flag store last (x86 TSO keeps
 * its stores in order), polls the completion ring, and checks every
 * completion's id, length and checksum against what it wrote. The device
 * thread, concurrently on another host CPU:
 *
 *   dma_read_consume   the request: its flag with acquire, then the body
 *   dma_read           the payload the request points to
 *   dma_write_publish  the completion: body, release barrier, flag
 *   dma_notify_barrier every 32 completions and at the end, where a real
 *                      device would then raise its interrupt (KVM_IRQ_LINE
 *                      or an irqfd); this guest polls, so none is raised
 *
 * At the end the guest reports how many completions verified and how many
 * did not through port I/O (KVM_EXIT_IO), then writes the done port. The run
 * is repeated once per named policy, each in a fresh VM. A row's errors
 * are the requests whose completion the guest did not verify (wrong, or
 * never seen); any other fault (device error, unexpected exit, time-out)
 * also fails the row. Exit status 1 if any row failed.
 *
 * Exit status 77, after one line on stdout, when KVM is not usable here:
 * /dev/kvm missing or not openable, not KVM, or a VM cannot be created.
 * ODMA_KVM_DEV=path replaces /dev/kvm (to test that path).
 *
 * usage: kvm_device [-n requests] [-p policy] [-t seconds]
 *                   [-c i] [-d i] [-f]
 *   -n  requests per policy (default 1000000)
 *   -p  run only this policy (strict, pcie, pcie-relaxed, none)
 *   -t  watchdog: fail a run that takes longer (default 20 s)
 * Fault injection, to show that the verification catches faults:
 *   -c i  corrupt completion i's checksum
 *   -d i  drop completion i (lost: the watchdog fires)
 *   -f    broken device: write each completion's flag before its body
 *         (and the body only once the guest has looked, so it always shows)
 */
#define _GNU_SOURCE
#include <odma.h>
#include "../example.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* Guest-physical memory map. */
#define RAM_SIZE 0x200000ull
#define CODE_GPA 0x1000u   /* guest.s, entry at its first byte */
#define PARAMS_GPA 0x2000u /* parameter block, see guest.s */
#define EXPECT_GPA 0x3000u /* guest-private, SLOTS * 8 bytes */
#define PML4_GPA 0x4000u   /* page tables: PML4, PDPT, PD (one 2 MiB page) */
#define PDPT_GPA 0x5000u
#define PD_GPA 0x6000u
#define STACK_TOP 0x9000u
#define REQ_GPA 0x10000u   /* SLOTS * 16 bytes */
#define CPL_GPA 0x20000u   /* SLOTS * 16 bytes */
#define BUF_GPA 0x100000u  /* SLOTS * MAX_LEN bytes */
#define SLOTS 256u
#define MAX_LEN 256u

/* Offsets in the parameter block (guest.s has the same list). */
enum { P_N = 0, P_SLOTS = 4, P_REQ = 8, P_CPL = 12, P_BUF = 16, P_MAXLEN = 20,
       P_SEED = 24, P_EXPECT = 28, V_POSTED = 32, V_REAPED = 36, V_OK = 40 };

enum { PORT_OK = 0x10, PORT_BAD = 0x11, PORT_FIRSTBAD = 0x12, PORT_DONE = 0x13 };
#define DONE_MAGIC 0x600dd0e5u

static const unsigned char guest_code[] = {
#include "guest.inc" /* objcopy -O binary of guest.s, as C bytes */
};

struct opts {
    unsigned long n;
    const char *only;
    double timeout;
    long corrupt, drop;
    int flag_first;
};

struct vm {
    const struct opts *o;
    const char *policy;
    int vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    unsigned char *ram;
    struct dma_ctx dev; /* the device's view of guest RAM */
    pthread_t vcpu_thread;
    atomic_int stop;      /* main -> device and vCPU threads: give up */
    atomic_int vcpu_done; /* vCPU thread -> main */
    /* vCPU thread's results */
    unsigned long ok, bad, first_bad;
    unsigned reported; /* bit per port seen */
    int finished, vcpu_failed; /* guest wrote PORT_DONE; something broke */
    double t0, t1;
    /* device thread's results */
    atomic_ulong served;
    unsigned long dev_errors;
};

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* FNV-1a, 32-bit: the checksum guest.s computes over what it wrote. */
static uint32_t fnv1a(const unsigned char *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

/* ---------------------------------------------------------------------
 * The device model. Guest RAM only through odma.
 */
static void relax(unsigned long *spins)
{
    if ((++*spins & 1023) == 0)
        sched_yield(); /* the machine may have fewer free CPUs than threads */
}

/* -f: wait (up to 2 ms) until the guest has reaped completion i, so the
 * broken device below loses its race every time, not by chance. */
static void wait_until_reaped(struct vm *v, unsigned long i)
{
    double end = example_now() + 2e-3;
    unsigned long spins = 0;
    uint32_t reaped = 0;
    while (example_now() < end) {
        if (dma_ld_le32_relaxed(&v->dev, PARAMS_GPA + V_REAPED, &reaped) != DMA_OK ||
            reaped > (uint32_t)i)
            return;
        relax(&spins);
    }
}

static void *device(void *p)
{
    struct vm *v = (struct vm *)p;
    const struct opts *o = v->o;
    unsigned char req[16], data[MAX_LEN], cpl[16];
    unsigned long i, spins = 0;
    for (i = 0; i < o->n; i++) {
        uint64_t slot = i % SLOTS;
        uint64_t req_gpa = REQ_GPA + 16 * slot, cpl_gpa = CPL_GPA + 16 * slot;
        uint32_t want = (uint32_t)(i + 1), len, sum;
        /* Wait until the guest hands request i over: flag (acquire), body. */
        for (;;) {
            if (dma_read_consume(&v->dev, req_gpa, req, 16, 12, 4) != DMA_OK) {
                v->dev_errors++;
                return NULL;
            }
            if (get_le32(req + 12) == want)
                break;
            if (atomic_load_explicit(&v->stop, memory_order_relaxed))
                return NULL;
            relax(&spins);
        }
        len = get_le32(req + 4);
        if (get_le32(req + 8) != (uint32_t)i || len == 0 || len > MAX_LEN ||
            dma_read(&v->dev, get_le32(req), data, len) != DMA_OK) {
            v->dev_errors++; /* malformed: answer anyway, the guest will fail it */
            len = 0;
            sum = 0;
        } else {
            sum = fnv1a(data, len);
        }
        if ((long)i == o->corrupt)
            sum ^= 1u; /* fault injection */
        put_le32(cpl, sum);
        put_le32(cpl + 4, len);
        put_le32(cpl + 8, (uint32_t)i);
        put_le32(cpl + 12, want);
        if ((long)i == o->drop)
            continue; /* fault injection: lost */
        if (o->flag_first) {
            /* Fault injection: a broken device model that hands the
             * completion over before writing it. */
            dma_result r = dma_st_le32(&v->dev, cpl_gpa + 12, want);
            wait_until_reaped(v, i);
            if (r != DMA_OK || dma_write(&v->dev, cpl_gpa, cpl, 12) != DMA_OK) {
                v->dev_errors++;
                return NULL;
            }
        } else if (dma_write_publish(&v->dev, cpl_gpa, cpl, 16, 12, 4) != DMA_OK) {
            v->dev_errors++;
            return NULL;
        }
        atomic_store_explicit(&v->served, i + 1, memory_order_relaxed);
        if (i % 32 == 31)
            dma_notify_barrier(&v->dev); /* then a real device raises its IRQ */
    }
    dma_notify_barrier(&v->dev);
    return v;
}

/* ---------------------------------------------------------------------
 * The vCPU thread.
 */
static void on_kick(int sig)
{
    (void)sig; /* only here to make KVM_RUN return EINTR */
}

static void vcpu_fail(struct vm *v, const char *what)
{
    fprintf(stderr, "kvm_device: %s: %s\n", v->policy, what);
    v->vcpu_failed = 1;
}

static void *vcpu_main(void *p)
{
    struct vm *v = (struct vm *)p;
    struct kvm_run *run = v->run;
    char msg[160];
    v->t0 = example_now();
    while (!v->finished && !v->vcpu_failed) {
        if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
            if ((errno == EINTR || errno == EAGAIN) &&
                !atomic_load_explicit(&v->stop, memory_order_relaxed))
                continue;
            if (errno != EINTR && errno != EAGAIN) {
                snprintf(msg, sizeof msg, "KVM_RUN: %s", strerror(errno));
                vcpu_fail(v, msg);
            }
            break; /* stopped by the watchdog */
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            uint32_t val;
            if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
                run->io.count != 1 || run->io.port < PORT_OK || run->io.port > PORT_DONE) {
                snprintf(msg, sizeof msg, "unexpected port I/O: %s port 0x%x size %u",
                         run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                         (unsigned)run->io.port, (unsigned)run->io.size);
                vcpu_fail(v, msg);
                break;
            }
            memcpy(&val, (unsigned char *)run + run->io.data_offset, 4);
            if (run->io.port == PORT_OK)
                v->ok = val;
            else if (run->io.port == PORT_BAD)
                v->bad = val;
            else if (run->io.port == PORT_FIRSTBAD)
                v->first_bad = val;
            else if (val == DONE_MAGIC) {
                v->t1 = example_now();
                v->finished = 1;
            } else
                vcpu_fail(v, "bad value on the done port");
            v->reported |= 1u << (run->io.port - PORT_OK);
            break;
        }
        case KVM_EXIT_INTR:
            if (atomic_load_explicit(&v->stop, memory_order_relaxed))
                goto out;
            break;
        case KVM_EXIT_SHUTDOWN:
            vcpu_fail(v, "guest shut down (triple fault)");
            break;
        case KVM_EXIT_FAIL_ENTRY:
            snprintf(msg, sizeof msg, "VM entry failed, reason 0x%llx",
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            vcpu_fail(v, msg);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            snprintf(msg, sizeof msg, "KVM internal error, suberror %u",
                     (unsigned)run->internal.suberror);
            vcpu_fail(v, msg);
            break;
        default:
            snprintf(msg, sizeof msg, "unexpected exit reason %u", (unsigned)run->exit_reason);
            vcpu_fail(v, msg);
            break;
        }
    }
out:
    atomic_store_explicit(&v->vcpu_done, 1, memory_order_release);
    return NULL;
}

/* ---------------------------------------------------------------------
 * Set-up.
 */
static const char *kvm_path(void)
{
    const char *p = getenv("ODMA_KVM_DEV");
    return p && *p ? p : "/dev/kvm";
}

/* An fd for /dev/kvm on which a VM can be created, or exit 77. */
static int kvm_open_or_skip(void)
{
    const char *path = kvm_path();
    int fd = open(path, O_RDWR | O_CLOEXEC), vm;
    if (fd < 0) {
        printf("kvm_device: skipped: cannot open %s: %s\n", path, strerror(errno));
        exit(77);
    }
    if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        printf("kvm_device: skipped: %s is not a KVM device (KVM_GET_API_VERSION: %s)\n",
               path, strerror(errno));
        exit(77);
    }
    if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0) {
        printf("kvm_device: skipped: %s lacks KVM_CAP_USER_MEMORY\n", path);
        exit(77);
    }
    vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        printf("kvm_device: skipped: cannot create a VM on %s: %s\n", path, strerror(errno));
        exit(77);
    }
    close(vm);
    return fd;
}

static int fail_errno(const char *what)
{
    fprintf(stderr, "kvm_device: %s: %s\n", what, strerror(errno));
    return -1;
}

static int vm_create(struct vm *v, int kvm)
{
    struct kvm_userspace_memory_region mem;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_segment seg;
    int size;
    v->vm = v->vcpu = -1;
    v->ram = MAP_FAILED;
    v->run = MAP_FAILED;
    v->vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (v->vm < 0)
        return fail_errno("KVM_CREATE_VM");
    /* Intel needs a TSS area below 4 GiB for its real-mode support. */
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
        ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
        return fail_errno("KVM_SET_TSS_ADDR");
    v->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->ram == MAP_FAILED)
        return fail_errno("mmap guest RAM");
    memset(&mem, 0, sizeof mem);
    mem.slot = 0;
    mem.guest_phys_addr = 0;
    mem.memory_size = RAM_SIZE;
    mem.userspace_addr = (uint64_t)(uintptr_t)v->ram;
    if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
        return fail_errno("KVM_SET_USER_MEMORY_REGION");
    v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
    if (v->vcpu < 0)
        return fail_errno("KVM_CREATE_VCPU");
    size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        return fail_errno("KVM_GET_VCPU_MMAP_SIZE");
    v->run_size = (size_t)size;
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
    if (v->run == MAP_FAILED)
        return fail_errno("mmap kvm_run");

    /* 64-bit long mode at CPL 3, started directly: KVM loads the segment
     * caches from these values, so the guest needs no GDT, and the page
     * tables (built by guest_load) identity-map guest RAM as user pages. */
    if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) < 0)
        return fail_errno("KVM_GET_SREGS");
    memset(&seg, 0, sizeof seg);
    seg.base = 0;
    seg.limit = 0xffffffffu;
    seg.present = 1;
    seg.s = 1;   /* code/data, not system */
    seg.g = 1;   /* 4 KiB granularity */
    seg.dpl = 3; /* user mode */
    seg.selector = 0x18 | 3;
    seg.type = 0xb; /* code: execute/read, accessed */
    seg.l = 1;      /* 64-bit code (db stays 0) */
    sregs.cs = seg;
    seg.selector = 0x20 | 3;
    seg.type = 0x3; /* data: read/write, accessed */
    seg.l = 0;
    seg.db = 1;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
    sregs.cr3 = PML4_GPA;
    sregs.cr4 = 1u << 5;                           /* PAE */
    sregs.cr0 = 1u << 31 | 1u << 4 | 1u;           /* PG | ET | PE; caches on */
    sregs.efer = 1u << 8 | 1u << 10;               /* LME | LMA */
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) < 0)
        return fail_errno("KVM_SET_SREGS");
    memset(&regs, 0, sizeof regs);
    regs.rip = CODE_GPA;
    regs.rsp = STACK_TOP;
    regs.rflags = 3u << 12 | 0x2; /* IOPL 3 (port I/O from CPL 3); IF = 0 */
    if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
        return fail_errno("KVM_SET_REGS");
    return 0;
}

static void vm_destroy(struct vm *v)
{
    if (v->run != MAP_FAILED)
        munmap(v->run, v->run_size);
    if (v->vcpu >= 0)
        close(v->vcpu);
    if (v->vm >= 0)
        close(v->vm);
    if (v->ram != MAP_FAILED)
        munmap(v->ram, RAM_SIZE);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The guest image, its page tables and parameters. Before any thread
 * starts. */
static void guest_load(struct vm *v, unsigned long n, uint32_t seed)
{
    const uint64_t P = 1, RW = 2, US = 4, PS = 0x80; /* page-table entry bits */
    unsigned char *p = v->ram + PARAMS_GPA;
    memcpy(v->ram + CODE_GPA, guest_code, sizeof guest_code);
    put_le64(v->ram + PML4_GPA, PDPT_GPA | P | RW | US);
    put_le64(v->ram + PDPT_GPA, PD_GPA | P | RW | US);
    put_le64(v->ram + PD_GPA, 0 | P | RW | US | PS); /* GPA 0 .. 2 MiB */
    put_le32(p + P_N, (uint32_t)n);
    put_le32(p + P_SLOTS, SLOTS);
    put_le32(p + P_REQ, REQ_GPA);
    put_le32(p + P_CPL, CPL_GPA);
    put_le32(p + P_BUF, BUF_GPA);
    put_le32(p + P_MAXLEN, MAX_LEN);
    put_le32(p + P_SEED, seed);
    put_le32(p + P_EXPECT, EXPECT_GPA);
}

/* A guest counter, read while the guest may be running (one atomic load). */
static uint32_t guest_var(struct vm *v, unsigned off)
{
    uint32_t x = 0;
    (void)dma_ld_le32_relaxed(&v->dev, PARAMS_GPA + off, &x);
    return x;
}

/* One run under one policy in a fresh VM. Returns 0 if it passed. */
static int run(int kvm, const struct opts *o, const struct dma_policy *policy)
{
    struct vm *v = (struct vm *)calloc(1, sizeof *v);
    pthread_t dev_thread;
    void *dev_ok = NULL;
    unsigned long errors;
    int timed_out = 0, fault = 0, dev_started = 0;
    double deadline;
    if (!v)
        return 1;
    v->o = o;
    v->policy = policy->name;
    if (vm_create(v, kvm) != 0) {
        fault = 1;
        goto report;
    }
    guest_load(v, o->n, 12345u);
    dma_ctx_init(&v->dev, policy);
    if (dma_ctx_add_region(&v->dev, 0, RAM_SIZE, v->ram, 0) != DMA_OK) {
        fault = 1;
        goto report;
    }
    if (pthread_create(&dev_thread, NULL, device, v) != 0) {
        fault = 1;
        goto report;
    }
    dev_started = 1;
    if (pthread_create(&v->vcpu_thread, NULL, vcpu_main, v) != 0) {
        atomic_store(&v->stop, 1);
        fault = 1;
        goto report;
    }
    /* Watchdog: a lost completion leaves the guest polling for ever. */
    deadline = example_now() + o->timeout;
    while (!atomic_load_explicit(&v->vcpu_done, memory_order_acquire)) {
        struct timespec ms = { 0, 1000000 };
        if (example_now() > deadline) {
            timed_out = 1;
            fprintf(stderr,
                    "kvm_device: %s: timed out after %.0f s: guest posted %u, reaped %u, "
                    "verified %u; device handled %lu\n",
                    v->policy, o->timeout, guest_var(v, V_POSTED), guest_var(v, V_REAPED),
                    guest_var(v, V_OK), atomic_load(&v->served));
            v->ok = guest_var(v, V_OK);
            atomic_store(&v->stop, 1);
            /* immediate_exit covers a kick that lands before KVM_RUN. */
            atomic_store((_Atomic uint8_t *)(void *)&v->run->immediate_exit, 1);
            while (!atomic_load_explicit(&v->vcpu_done, memory_order_acquire)) {
                pthread_kill(v->vcpu_thread, SIGUSR1);
                nanosleep(&ms, NULL);
            }
            break;
        }
        nanosleep(&ms, NULL);
    }
    pthread_join(v->vcpu_thread, NULL);

report:
    atomic_store(&v->stop, 1); /* the device may still wait for a request */
    if (dev_started)
        pthread_join(dev_thread, &dev_ok);
    if (v->vcpu_failed || v->dev_errors || (dev_started && !dev_ok && !timed_out))
        fault = 1;
    if (v->finished && v->reported != 15u) {
        fprintf(stderr, "kvm_device: %s: guest finished without its report\n", v->policy);
        fault = 1;
    }
    if (!v->finished && !timed_out && !fault) {
        fprintf(stderr, "kvm_device: %s: the vCPU stopped before the guest finished\n", v->policy);
        fault = 1;
    }
    if (v->finished && v->bad)
        fprintf(stderr, "kvm_device: %s: guest rejected %lu completions, the first for request %lu\n",
                v->policy, v->bad, v->first_bad);
    if (v->dev_errors)
        fprintf(stderr, "kvm_device: %s: device saw %lu malformed requests\n", v->policy,
                v->dev_errors);
    /* Errors: requests the guest did not see verified (wrong or lost). */
    errors = v->ok <= o->n ? o->n - v->ok : o->n;
    if (fault && errors == 0)
        errors = 1;
    example_row("kvm_device", policy->name, o->n, errors,
                v->finished && v->t1 > v->t0 ? (double)o->n / (v->t1 - v->t0) : 0.0);
    vm_destroy(v);
    free(v);
    return errors != 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: kvm_device [-n requests] [-p policy] [-t seconds] [-c i] [-d i] [-f]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct dma_policy *const policies[4] = {
        DMA_POLICY_STRICT, DMA_POLICY_PCIE, DMA_POLICY_PCIE_RELAXED, DMA_POLICY_NONE
    };
    struct opts o = { 1000000, NULL, 20.0, -1, -1, 0 };
    struct sigaction sa;
    int c, kvm, bad = 0, ran = 0;
    unsigned i;
    while ((c = getopt(argc, argv, "n:p:t:c:d:f")) != -1) {
        switch (c) {
        case 'n': o.n = strtoul(optarg, NULL, 0); break;
        case 'p': o.only = optarg; break;
        case 't': o.timeout = strtod(optarg, NULL); break;
        case 'c': o.corrupt = strtol(optarg, NULL, 0); break;
        case 'd': o.drop = strtol(optarg, NULL, 0); break;
        case 'f': o.flag_first = 1; break;
        default: usage();
        }
    }
    if (optind != argc || o.n == 0 || o.n > 0xfffffffful || !(o.timeout > 0))
        usage();

    kvm = kvm_open_or_skip();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_kick; /* no SA_RESTART: KVM_RUN must return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    example_header();
    for (i = 0; i < 4; i++) {
        if (o.only && strcmp(o.only, policies[i]->name) != 0)
            continue;
        bad |= run(kvm, &o, policies[i]);
        ran++;
    }
    close(kvm);
    if (!ran) {
        fprintf(stderr, "kvm_device: no policy named %s\n", o.only);
        return 2;
    }
    return bad;
}

#else /* !__x86_64__ */

int main(void)
{
    printf("kvm_device: skipped: the guest is x86 code; this host is not x86-64\n");
    return 77;
}

#endif
