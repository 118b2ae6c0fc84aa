/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for kvmtool's include/linux/compiler.h (written for this
 * test): kernel-style attribute macros, some of them empty, and an
 * object-like `unlikely` (so `unlikely(x)` is just `(x)`).
 */
#ifndef KVM_LINUX_COMPILER_H
#define KVM_LINUX_COMPILER_H

#ifndef __always_inline
#define __always_inline inline
#endif
#define __used __attribute__((__unused__))
#define __packed __attribute__((packed))
#define __iomem
#define __force
#define __must_check
#define unlikely

#endif
