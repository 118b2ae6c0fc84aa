# SPDX-License-Identifier: MIT
#
# tests/codegen/targets.sh - sourced by codegen.sh and run.sh: every
# architecture x compiler the codegen checks cover, and what each
# architecture's instructions look like to objdump.
#
# Target: "name;arch;compiler command". The clang cross builds use the gcc
# cross toolchains' headers, crt files and libraries (clang finds them
# under /usr/<triple> and /usr/lib/gcc-cross by itself). Flags that differ
# from clang's defaults make it build for the same CPU as Debian's gcc:
#   armhf  clang would target generic ARMv4T-era "arm" mode; Debian's gcc
#          defaults to ARMv7-A, Thumb-2, VFPv3-D16, hard float.
#   s390x  both default to z196 already (bcr 14,0 is z196 and later).
codegen_targets=(
  "x86-64 gcc;x86-64;gcc"
  "x86-64 clang;x86-64;clang"
  "aarch64 gcc;aarch64;aarch64-linux-gnu-gcc"
  "aarch64 clang;aarch64;clang --target=aarch64-linux-gnu"
  "ppc64le gcc;ppc64le;powerpc64le-linux-gnu-gcc"
  "ppc64le clang;ppc64le;clang --target=powerpc64le-linux-gnu"
  "riscv64 gcc;riscv64;riscv64-linux-gnu-gcc"
  "riscv64 clang;riscv64;clang --target=riscv64-linux-gnu"
  "s390x gcc;s390x;s390x-linux-gnu-gcc"
  "s390x clang;s390x;clang --target=s390x-linux-gnu"
  "armhf gcc;armhf;arm-linux-gnueabihf-gcc"
  "armhf clang;armhf;clang --target=arm-linux-gnueabihf -march=armv7-a -mthumb -mfpu=vfpv3-d16 -mfloat-abi=hard"
)

# arch_info ARCH -> "objdump;qemu-user;any-barrier;full barrier;32-bit
# guest access;64-bit guest access;stack operand;fence instruction;
# forbidden on a device path"
# (EREs on "mnemonic operands" as objdump prints them, tabs made spaces.
#  `xchg %ax,%ax` is a nop: only an xchg with memory is a barrier. objdump
#  prints riscv's `fence iorw,iorw` as plain `fence`, and s390x's
#  `bcr 14,0` as `bnor %r0`, `bcr 15,0` as `br %r0`.)
# "fence instruction" is narrower than "any barrier": a barrier on its own,
# not an acquire load or release store (ldar, stlr).
arch_info() {
  case $1 in
  x86-64) echo 'objdump;qemu-x86_64;^(lock |mfence|lfence|sfence|xchg .*\();^(lock |mfence);^mov;^mov;%rsp;^(lock |mfence|lfence|sfence|xchg[a-z]* .*\();^(lock |xchg[a-z]* .*\(|cmpxchg|rep[a-z]* (movs|stos))' ;;
  aarch64) echo 'aarch64-linux-gnu-objdump;qemu-aarch64;^(dmb|dsb|isb|ldar|ldapr|stlr|ldaxr|stlxr);^dmb ish$;^(ldr|str|ldar|stlr|ldapr) w;^(ldr|str|ldar|stlr|ldapr) x;sp;^(dmb|dsb|isb)( |$);^(ld[a]?xr|ld[a]?xp|st[l]?xr|st[l]?xp|cas|swp|ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|dc zva)' ;;
  ppc64le) echo 'powerpc64le-linux-gnu-objdump;qemu-ppc64le;^(sync|hwsync|lwsync|isync|eieio);^(sync|hwsync);^(lwz|lwzx|stw|stwx|lwbrx|stwbrx) ;^(ld|ldx|std|stdx|ldbrx|stdbrx) ;\(r1\);^(sync|hwsync|lwsync|ptesync|isync|eieio)( |$);^(l[bhwdq]arx|st[bhwdq]cx\.)' ;;
  riscv64) echo 'riscv64-linux-gnu-objdump;qemu-riscv64;^fence;^fence( iorw,iorw| rw,rw)?$;^(lw|sw|amoswap\.w) ;^(ld|sd|amoswap\.d) ;\(sp\);^fence;^(amo|lr\.|sc\.)' ;;
  s390x) echo 's390x-linux-gnu-objdump;qemu-s390x;^(bcr 1[45],|bnor %r0$|br %r0$);^(bcr 1[45],|bnor %r0$|br %r0$);^(l|st|ly|sty|lrv|strv) ;^(lg|stg|lrvg|strvg) ;%r15;^(bcr 1[45],0|bnor %r0$|br %r0$);^(cs|csy|csg|cds|cdsy|cdsg|laa|laag|laal|laalg|lan|lang|lao|laog|lax|laxg|lpd|lpdg|mvc|mvcl|mvcle|xc|exrl) ' ;;
  armhf) echo 'arm-linux-gnueabihf-objdump;qemu-arm;^(dmb|dsb|isb);^dmb ish$;^(ldr|str)(eq|ne)?(\.w)? ;^(ldrd|strd|ldrexd|strexd)(eq|ne)? ;sp;^(dmb|dsb|isb)( |$)|^mcr.*cr7, cr10, \{[45]\};^(ldrex|strex|ldaex|stlex|swp)' ;;
  esac
}

# Calls a device path must never make: library copies and fills, and the
# helpers compilers call for atomic read-modify-writes.
codegen_forbidden_calls='^(memcpy|memset|memmove|bcopy|bzero|__mem[a-z]*_chk|__aeabi_mem[a-z0-9]*|__atomic_[a-z_0-9]*|__sync_[a-z_0-9]*|__aarch64_[a-z_0-9]*)$'

# target_ok CC-COMMAND OBJDUMP: both installed?
target_ok() {
  local first=${1%% *}
  command -v "$first" >/dev/null 2>&1 && command -v "$2" >/dev/null 2>&1
}
