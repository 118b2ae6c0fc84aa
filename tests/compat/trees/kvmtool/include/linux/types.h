/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for kvmtool's include/linux/types.h (written for this test).
 * Like the real one it *shadows* the system <linux/types.h>, because the
 * tree puts its include/ on -I: every system header that includes
 * <linux/types.h> (<linux/kvm.h>, included by kvm/kvm.h) gets this one.
 * So it must provide what the system one does, plus the kernel-style
 * short types.
 */
#ifndef KVM_LINUX_TYPES_H
#define KVM_LINUX_TYPES_H

#include <asm/types.h>
#include <stdint.h>

#ifndef __bitwise
#define __bitwise
#endif
typedef __u16 __bitwise __le16;
typedef __u16 __bitwise __be16;
typedef __u32 __bitwise __le32;
typedef __u32 __bitwise __be32;
typedef __u64 __bitwise __le64;
typedef __u64 __bitwise __be64;
typedef __u16 __bitwise __sum16;
typedef __u32 __bitwise __wsum;

typedef __u64 u64;
typedef __s64 s64;
typedef __u32 u32;
typedef __s32 s32;
typedef __u16 u16;
typedef __s16 s16;
typedef __u8 u8;
typedef __s8 s8;

#endif
