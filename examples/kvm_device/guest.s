# SPDX-License-Identifier: MIT
#
# guest.s - the guest driver of kvm_device: x86-64 code that runs in a real
# KVM vCPU. Assembled with `as --64` and turned into a flat image with
# `objcopy -O binary`; the VMM loads it at guest-physical 0x1000 and starts
# it there, already in 64-bit long mode at CPL 3 with IOPL 3 (so `out` is
# allowed), paging on with an identity map of guest RAM, interrupts off.
# The guest has no boot code and needs no GDT or IDT; it ends with an `out`
# to the "done" port, not `hlt` (a CPL-3 `hlt` would fault).
#
# Why CPL 3 and 64-bit: on a host where KVM is itself nested without
# hardware virtualization (kvm-pvm, as on the machine this was written
# on), only 64-bit user-mode guest code runs natively; 16/32-bit or
# ring-0 code is stepped through KVM's instruction emulator, a thousand
# times slower and serialised through the host kernel. On VMX/SVM hosts
# the same guest runs natively too.
#
# The image has no relocations: addresses are absolute constants (the
# parameter block) or read from it, and every jump and call is relative.
#
# The driver posts N requests into a ring in its own RAM and reaps their
# completions, which the device (a host thread using odma) writes:
#
#   request    (16 bytes, at req_ring + 16 * slot)
#     +0  le32 buf     guest-physical address of the payload
#     +4  le32 len     payload bytes, 1 .. max_len
#     +8  le32 id      request number i
#     +12 le32 flag    i + 1: the device owns the slot once it reads this
#   completion (16 bytes, at cpl_ring + 16 * slot)
#     +0  le32 sum     FNV-1a (32-bit) of the payload, as the device read it
#     +4  le32 len     payload bytes the device read
#     +8  le32 id      request number it answers
#     +12 le32 flag    i + 1: written last; the driver owns it once it sees it
#
# Request i uses slot i % slots. The flag value is new on every use of a
# slot, so nothing is ever cleared. The driver keeps at most `slots`
# requests outstanding, so a slot, its buffer and its completion are never
# reused before the previous completion was reaped.
#
# Ordering, x86 guest (TSO): stores become visible to other CPUs in program
# order, and loads are not reordered with older loads. So the plain `movl`
# of a request's flag is seen only after the payload and descriptor stores
# before it (a Linux driver would write wmb()/smp_wmb(), which on x86 is a
# compiler barrier only), and the loads of a completion's body after its
# flag load see at least what the device wrote before the flag (Linux:
# rmb()/smp_rmb()/dma_rmb(), again no instruction on x86). This hand-written
# code is not reordered by any compiler. The device side cannot rely on
# TSO: it is portable C through odma, correct on Arm and POWER too.
#
# At the end the driver reports through port I/O (each an `outl`, i.e. a
# KVM_EXIT_IO for the VMM):
#   port 0x10  completions that verified (id, len and checksum)
#   port 0x11  completions that did not
#   port 0x12  first request whose completion failed, or 0xffffffff
#   port 0x13  DONE_MAGIC: the report is complete; the VMM stops the vCPU

        .code64
        .text

        .equ PARAMS,      0x2000          # written by the VMM before start
        .equ P_N,         PARAMS + 0      # requests to post
        .equ P_SLOTS,     PARAMS + 4      # ring slots, a power of two
        .equ P_REQ,       PARAMS + 8      # request ring
        .equ P_CPL,       PARAMS + 12     # completion ring
        .equ P_BUF,       PARAMS + 16     # payload buffers, max_len each
        .equ P_MAXLEN,    PARAMS + 20     # a power of two
        .equ P_SEED,      PARAMS + 24     # pseudo-random state (updated)
        .equ P_EXPECT,    PARAMS + 28     # guest-private: {sum, len} per slot
        .equ V_POSTED,    PARAMS + 32     # driver state; the VMM reads it
        .equ V_REAPED,    PARAMS + 36     #   only to explain a time-out
        .equ V_OK,        PARAMS + 40
        .equ V_BAD,       PARAMS + 44
        .equ V_FIRSTBAD,  PARAMS + 48

        .equ PORT_OK,       0x10
        .equ PORT_BAD,      0x11
        .equ PORT_FIRSTBAD, 0x12
        .equ PORT_DONE,     0x13
        .equ DONE_MAGIC,    0x600dd0e5

        .equ FNV_BASIS,   0x811c9dc5
        .equ FNV_PRIME,   0x01000193

        # 32-bit operations below zero-extend into the 64-bit register,
        # which addressing then uses: every address is below 2 MiB.
        .globl _start
_start:
        xorl    %eax, %eax
        movl    %eax, V_POSTED
        movl    %eax, V_REAPED
        movl    %eax, V_OK
        movl    %eax, V_BAD
        movl    $0xffffffff, V_FIRSTBAD

main_loop:
        movl    V_REAPED, %eax
        cmpl    P_N, %eax
        jae     finish

post:   # Post while requests remain and fewer than `slots` are outstanding.
        movl    V_POSTED, %eax
        cmpl    P_N, %eax
        jae     reap
        movl    %eax, %edx
        subl    V_REAPED, %edx
        cmpl    P_SLOTS, %edx
        jae     reap
        call    post_one
        incl    V_POSTED
        jmp     post

reap:   # Is the completion of request `reaped` there?
        movl    V_REAPED, %eax          # i
        movl    P_SLOTS, %esi
        decl    %esi
        andl    %eax, %esi              # slot
        movl    %esi, %ebx
        shll    $4, %ebx
        addl    P_CPL, %ebx             # its completion entry
        leal    1(%rax), %ecx           # the flag that says "done"
        cmpl    12(%rbx), %ecx          # one aligned 4-byte load
        je      verify
        pause                           # not yet: spin politely
        jmp     main_loop

verify: # The flag was seen; TSO keeps the body loads below after it.
        movl    P_EXPECT, %edi
        leaq    (%rdi,%rsi,8), %rdi     # what this slot's request held
        cmpl    8(%rbx), %eax           # the id it answers
        jne     bad
        movl    4(%rbx), %edx
        cmpl    4(%rdi), %edx           # the length the device read
        jne     bad
        movl    0(%rbx), %edx
        cmpl    0(%rdi), %edx           # the checksum of what it read
        jne     bad
        incl    V_OK
        jmp     reaped
bad:
        incl    V_BAD
        cmpl    $0xffffffff, V_FIRSTBAD
        jne     reaped
        movl    %eax, V_FIRSTBAD
reaped:
        incl    V_REAPED
        jmp     main_loop

finish: # Report through port I/O; the VMM stops at PORT_DONE.
        movw    $PORT_OK, %dx
        movl    V_OK, %eax
        outl    %eax, %dx
        movw    $PORT_BAD, %dx
        movl    V_BAD, %eax
        outl    %eax, %dx
        movw    $PORT_FIRSTBAD, %dx
        movl    V_FIRSTBAD, %eax
        outl    %eax, %dx
        movw    $PORT_DONE, %dx
        movl    $DONE_MAGIC, %eax
        outl    %eax, %dx
        jmp     finish                  # never resumed; stay put if it is

# post_one: fill and publish request %eax. Clobbers rax, rbx, rcx, rdx,
# rsi, rdi.
post_one:
        pushq   %rax                    # i
        movl    P_SLOTS, %ebx
        decl    %ebx
        andl    %eax, %ebx              # slot
        movl    P_SEED, %edx            # seed = seed * 1103515245 + 12345
        imull   $1103515245, %edx, %edx
        addl    $12345, %edx
        movl    %edx, P_SEED
        movl    %edx, %ecx              # len = 1 + ((seed >> 16) & (max_len - 1))
        shrl    $16, %ecx
        movl    P_MAXLEN, %esi
        decl    %esi
        andl    %esi, %ecx
        incl    %ecx
        movl    %ebx, %edi              # buf = buf_base + slot * max_len
        imull   P_MAXLEN, %edi
        addl    P_BUF, %edi
        pushq   %rdi
        pushq   %rcx
        movl    %edx, %esi              # per-byte generator, seeded per request
        movl    $FNV_BASIS, %eax        # checksum of the payload as written
fill:
        imull   $1664525, %esi, %esi
        addl    $1013904223, %esi
        movl    %esi, %edx
        shrl    $24, %edx
        movb    %dl, (%rdi)             # payload byte
        xorl    %edx, %eax              # FNV-1a: h ^= byte; h *= prime
        imull   $FNV_PRIME, %eax, %eax
        incq    %rdi
        decl    %ecx
        jnz     fill
        popq    %rcx                    # len
        popq    %rdi                    # buf
        popq    %rdx                    # i
        movl    P_EXPECT, %esi          # remember what to expect back
        movl    %eax, (%rsi,%rbx,8)
        movl    %ecx, 4(%rsi,%rbx,8)
        shll    $4, %ebx
        addl    P_REQ, %ebx             # the request entry
        movl    %edi, 0(%rbx)
        movl    %ecx, 4(%rbx)
        movl    %edx, 8(%rbx)
        incl    %edx
        # Publish: the flag store last. TSO makes every store above visible
        # before it; no fence instruction is needed on x86.
        movl    %edx, 12(%rbx)
        ret
