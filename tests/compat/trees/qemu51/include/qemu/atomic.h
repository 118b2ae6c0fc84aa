/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for qemu/atomic.h of QEMU before 5.2 (written for this test):
 * the tree's atomics were then named atomic_read, atomic_set,
 * atomic_fetch_add ... (QEMU 5.2 renamed them qatomic_*), the same names
 * as some of <stdatomic.h>'s generic functions, and they work on plain
 * (non-_Atomic) objects.
 */
#ifndef QEMU_ATOMIC_H
#define QEMU_ATOMIC_H

#define barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define smp_mb() ({ barrier(); __atomic_thread_fence(__ATOMIC_SEQ_CST); })
#define smp_wmb() ({ barrier(); __atomic_thread_fence(__ATOMIC_RELEASE); })
#define smp_rmb() ({ barrier(); __atomic_thread_fence(__ATOMIC_ACQUIRE); })

#define atomic_read(ptr) __atomic_load_n(ptr, __ATOMIC_RELAXED)
#define atomic_set(ptr, i) __atomic_store_n(ptr, i, __ATOMIC_RELAXED)
#define atomic_fetch_add(ptr, n) __atomic_fetch_add(ptr, n, __ATOMIC_SEQ_CST)
#define atomic_fetch_sub(ptr, n) __atomic_fetch_sub(ptr, n, __ATOMIC_SEQ_CST)
#define atomic_fetch_and(ptr, n) __atomic_fetch_and(ptr, n, __ATOMIC_SEQ_CST)
#define atomic_fetch_or(ptr, n) __atomic_fetch_or(ptr, n, __ATOMIC_SEQ_CST)
#define atomic_fetch_xor(ptr, n) __atomic_fetch_xor(ptr, n, __ATOMIC_SEQ_CST)
#define atomic_fetch_inc(ptr) atomic_fetch_add(ptr, 1)
#define atomic_xchg(ptr, i) __atomic_exchange_n(ptr, i, __ATOMIC_SEQ_CST)
#define atomic_cmpxchg(ptr, old, new)                                         \
    ({                                                                        \
        __typeof__(*(ptr)) cmp_ = (old);                                      \
        __atomic_compare_exchange_n(ptr, &cmp_, new, false, __ATOMIC_SEQ_CST, \
                                    __ATOMIC_SEQ_CST);                        \
        cmp_;                                                                 \
    })

#endif
