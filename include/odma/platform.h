/* SPDX-License-Identifier: MIT */
/*
 * odma/platform.h - the few things odma needs from the compiler.
 *
 * One place for: the atomics shim (C11 <stdatomic.h> in C, <atomic> in C++,
 * same operations and memory orders), thread-local and weak (one definition
 * across translation units) storage, host byte order, branch hints.
 * Every other odma header reaches atomics only through the ODMA__ macros
 * below, so the C and C++ builds share one implementation.
 *
 * Configuration (define before including any odma header):
 *   ODMA_MAX_REGIONS   regions per context (default 64).
 *   ODMA_TLS_MODEL     tls_model attribute for the per-thread ordering state
 *                      (default: "initial-exec" in shared objects, the
 *                      compiler's choice elsewhere).
 *
 * Requires gcc or clang (GNU C attributes and builtins; no inline asm).
 * Names spelled ODMA__ (two underscores) are internal.
 */
#ifndef ODMA_PLATFORM_H
#define ODMA_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__GNUC__)
#error "odma needs gcc or clang (GNU C attributes and __builtin_bswap*)"
#endif

#ifndef ODMA_MAX_REGIONS
#define ODMA_MAX_REGIONS 64
#endif

#ifdef __cplusplus
#include <atomic>
#define ODMA__ATOMIC(T) std::atomic<T>
#define ODMA__MO_RELAXED std::memory_order_relaxed
#define ODMA__MO_ACQUIRE std::memory_order_acquire
#define ODMA__MO_RELEASE std::memory_order_release
#define ODMA__MO_SEQ_CST std::memory_order_seq_cst
#define ODMA__MO_ACQ_REL std::memory_order_acq_rel
#define ODMA__STD(fn) std::fn
#define ODMA__THREAD_LOCAL thread_local
#define ODMA__WEAK_CONST extern const __attribute__((__weak__))
#else
/*
 * A tree may have macros of its own named like <stdatomic.h>'s generic
 * functions: QEMU before 5.2 defines atomic_fetch_add ... for plain
 * (non-_Atomic) objects. <stdatomic.h> would silently redefine them (no
 * warning: it is a system header), and clang's versions reject plain
 * objects. The tree keeps its own; odma uses only the _explicit forms.
 */
#ifdef atomic_fetch_add
#pragma push_macro("atomic_fetch_add")
#undef atomic_fetch_add
#define ODMA__KEEP_FETCH_ADD
#endif
#ifdef atomic_fetch_sub
#pragma push_macro("atomic_fetch_sub")
#undef atomic_fetch_sub
#define ODMA__KEEP_FETCH_SUB
#endif
#ifdef atomic_fetch_and
#pragma push_macro("atomic_fetch_and")
#undef atomic_fetch_and
#define ODMA__KEEP_FETCH_AND
#endif
#ifdef atomic_fetch_or
#pragma push_macro("atomic_fetch_or")
#undef atomic_fetch_or
#define ODMA__KEEP_FETCH_OR
#endif
#ifdef atomic_fetch_xor
#pragma push_macro("atomic_fetch_xor")
#undef atomic_fetch_xor
#define ODMA__KEEP_FETCH_XOR
#endif
#include <stdatomic.h>
#ifdef ODMA__KEEP_FETCH_ADD
#pragma pop_macro("atomic_fetch_add")
#undef ODMA__KEEP_FETCH_ADD
#endif
#ifdef ODMA__KEEP_FETCH_SUB
#pragma pop_macro("atomic_fetch_sub")
#undef ODMA__KEEP_FETCH_SUB
#endif
#ifdef ODMA__KEEP_FETCH_AND
#pragma pop_macro("atomic_fetch_and")
#undef ODMA__KEEP_FETCH_AND
#endif
#ifdef ODMA__KEEP_FETCH_OR
#pragma pop_macro("atomic_fetch_or")
#undef ODMA__KEEP_FETCH_OR
#endif
#ifdef ODMA__KEEP_FETCH_XOR
#pragma pop_macro("atomic_fetch_xor")
#undef ODMA__KEEP_FETCH_XOR
#endif
#define ODMA__ATOMIC(T) _Atomic(T)
#define ODMA__MO_RELAXED memory_order_relaxed
#define ODMA__MO_ACQUIRE memory_order_acquire
#define ODMA__MO_RELEASE memory_order_release
#define ODMA__MO_SEQ_CST memory_order_seq_cst
#define ODMA__MO_ACQ_REL memory_order_acq_rel
#define ODMA__STD(fn) fn
#define ODMA__THREAD_LOCAL _Thread_local
#define ODMA__WEAK_CONST const __attribute__((__weak__))
#endif

/*
 * ThreadSanitizer does not model standalone fences, so under it odma
 * expresses its ordering as TSan understands it: every single-copy-atomic
 * guest load is an acquire and every such store a release (the fences
 * stay). A flag published after a body, or read before one, then carries
 * the happens-before edge TSan needs. Normal builds are unchanged: there
 * both are relaxed, and the fences order.
 */
#if defined(__SANITIZE_THREAD__)
#define ODMA__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ODMA__TSAN 1
#endif
#endif
#ifdef ODMA__TSAN
#define ODMA__MO_GUEST_LOAD ODMA__MO_ACQUIRE
#define ODMA__MO_GUEST_STORE ODMA__MO_RELEASE
#else
#define ODMA__MO_GUEST_LOAD ODMA__MO_RELAXED
#define ODMA__MO_GUEST_STORE ODMA__MO_RELAXED
#endif

#define ODMA__LOAD(p, mo) ODMA__STD(atomic_load_explicit)(p, mo)
#define ODMA__STORE(p, v, mo) ODMA__STD(atomic_store_explicit)(p, v, mo)
#define ODMA__FETCH_OR(p, v, mo) ODMA__STD(atomic_fetch_or_explicit)(p, v, mo)
#define ODMA__FETCH_ADD(p, v, mo) ODMA__STD(atomic_fetch_add_explicit)(p, v, mo)
#define ODMA__FETCH_SUB(p, v, mo) ODMA__STD(atomic_fetch_sub_explicit)(p, v, mo)
#define ODMA__FETCH_AND(p, v, mo) ODMA__STD(atomic_fetch_and_explicit)(p, v, mo)
#define ODMA__EXCHANGE(p, v, mo) ODMA__STD(atomic_exchange_explicit)(p, v, mo)
#define ODMA__CAS(p, expected, desired)                                        \
    ODMA__STD(atomic_compare_exchange_strong_explicit)(p, expected, desired,    \
                                                       ODMA__MO_ACQ_REL,        \
                                                       ODMA__MO_RELAXED)
#define ODMA__FENCE(mo) ODMA__STD(atomic_thread_fence)(mo)
/*
 * A compiler barrier with no instruction, where C11 has one: a signal
 * fence is free with gcc everywhere and with clang on x86 and Arm, but
 * clang 14 emits a real fence for it on POWER and RISC-V (hwsync, fence
 * rw,rw). There ODMA__HAVE_FREE_COMPILER_BARRIER is 0 and the macro is
 * empty: odma then relies on the fence itself (every C11 fence is also a
 * compiler barrier) or on volatile accesses, as each use says.
 */
#if defined(__clang__) && !defined(__x86_64__) && !defined(__i386__) &&                 \
    !defined(__aarch64__)
#define ODMA__HAVE_FREE_COMPILER_BARRIER 0
#define ODMA__COMPILER_BARRIER() ((void)0)
#else
#define ODMA__HAVE_FREE_COMPILER_BARRIER 1
#define ODMA__COMPILER_BARRIER() ODMA__STD(atomic_signal_fence)(ODMA__MO_SEQ_CST)
#endif

/*
 * Per-thread state shared by every translation unit of the program: a weak
 * definition in each, merged into one by the linker. A plain `static` would
 * give each .c file its own copy, and an access in one file would then not
 * see the previous access made from another.
 *
 * In a shared object the default TLS model calls __tls_get_addr on every
 * access; there odma asks for initial-exec (one byte of static TLS). In an
 * executable the compiler already picks local-exec. ODMA_TLS_MODEL, a
 * string, overrides both.
 */
#if !defined(ODMA_TLS_MODEL) && defined(__PIC__) && !defined(__PIE__)
#define ODMA_TLS_MODEL "initial-exec"
#endif
#ifdef ODMA_TLS_MODEL
#define ODMA__TLS_ATTR __attribute__((__weak__, __tls_model__(ODMA_TLS_MODEL)))
#else
#define ODMA__TLS_ATTR __attribute__((__weak__))
#endif
#define ODMA__THREAD_STATE(T, name) ODMA__TLS_ATTR ODMA__THREAD_LOCAL T name

/* Every attribute is spelled in its reserved form (__noinline__, not
 * noinline): Linux-derived trees #define the plain names as macros
 * (tests/test_attr_names.c). */

/* Out of line, kept out of the hot path; unused ones raise no warning.
 * Not `cold`: gcc 12 then moved whole store fast paths (which hold one
 * unlikely call to such a function) into .text.unlikely. Call sites say
 * ODMA__UNLIKELY instead. */
#define ODMA__SLOW static __attribute__((__unused__, __noinline__))
/* A public accessor: always inlined, so that its fast path (a few compares)
 * never becomes a call; its slow path is an ODMA__SLOW function. */
#define ODMA__ACCESSOR static inline __attribute__((__always_inline__))

/*
 * Short names. Every public function is defined as odma_X; dma_X is a
 * one-line always-inline wrapper around it, made by this macro, unless
 * ODMA_NO_SHORT_NAMES is defined before the include (for trees that have
 * their own dma_read, dma_rw, dma_map ...: QEMU's hw/misc/edu.c has a
 * static dma_rw). Types and constants keep their dma_/DMA_ names.
 */
#ifdef ODMA_NO_SHORT_NAMES
#define ODMA__SHORT_NAME(...)
#else
#define ODMA__SHORT_NAME(...) ODMA__ACCESSOR __VA_ARGS__
#endif

#define ODMA__LIKELY(x) __builtin_expect(!!(x), 1)
#define ODMA__UNLIKELY(x) __builtin_expect(!!(x), 0)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ODMA__HOST_BIG_ENDIAN 1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ODMA__HOST_BIG_ENDIAN 0
#else
#error "odma: cannot tell the host byte order (__BYTE_ORDER__)"
#endif

#endif /* ODMA_PLATFORM_H */
