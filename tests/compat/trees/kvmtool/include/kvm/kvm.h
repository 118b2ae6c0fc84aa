/* SPDX-License-Identifier: MIT */
/* A stand-in for kvmtool's kvm/kvm.h (written for this test): the VM with
 * its flat guest RAM and the tree's guest-address helper. */
#ifndef KVM_KVM_H
#define KVM_KVM_H

#include <linux/kvm.h> /* a system header that includes <linux/types.h> */
#include <linux/types.h>
#include <kvm/util.h>

struct kvm {
    void *ram_start;
    u64 ram_size;
    int nrcpus;
};

static inline void *guest_flat_to_host(struct kvm *kvm, u64 offset)
{
    if (unlikely (offset >= kvm->ram_size))
        return NULL;
    return (char *)kvm->ram_start + offset;
}

#endif
