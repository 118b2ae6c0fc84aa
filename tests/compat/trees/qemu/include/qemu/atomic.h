/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for qemu/atomic.h of a recent QEMU tree (written for this
 * test): the tree's own barrier() and smp_* macros, defined without
 * #ifndef (so a tree that includes odma first must say ODMA_NO_SMP_NAMES),
 * and qatomic_* helpers on plain (non-_Atomic) objects.
 */
#ifndef QEMU_ATOMIC_H
#define QEMU_ATOMIC_H

#define barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define smp_mb() ({ barrier(); __atomic_thread_fence(__ATOMIC_SEQ_CST); })
#define smp_mb_release() ({ barrier(); __atomic_thread_fence(__ATOMIC_RELEASE); })
#define smp_mb_acquire() ({ barrier(); __atomic_thread_fence(__ATOMIC_ACQUIRE); })
#define smp_wmb() smp_mb_release()
#define smp_rmb() smp_mb_acquire()

#define qatomic_read(ptr) __atomic_load_n(ptr, __ATOMIC_RELAXED)
#define qatomic_set(ptr, v) __atomic_store_n(ptr, v, __ATOMIC_RELAXED)
#define qatomic_load_acquire(ptr) __atomic_load_n(ptr, __ATOMIC_ACQUIRE)
#define qatomic_store_release(ptr, v) __atomic_store_n(ptr, v, __ATOMIC_RELEASE)
#define qatomic_fetch_inc(ptr) __atomic_fetch_add(ptr, 1, __ATOMIC_SEQ_CST)
#define qatomic_xchg(ptr, v) __atomic_exchange_n(ptr, v, __ATOMIC_SEQ_CST)

#endif
