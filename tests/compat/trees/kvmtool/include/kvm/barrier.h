/* SPDX-License-Identifier: MIT */
/* A stand-in for kvmtool's kvm/barrier.h (written for this test): the
 * tree's own mb()/rmb()/wmb(), not odma's smp_* names. */
#ifndef KVM_BARRIER_H
#define KVM_BARRIER_H

#define barrier() __asm__ __volatile__("" : : : "memory")
#define mb() __sync_synchronize()
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#endif
