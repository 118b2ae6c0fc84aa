# SPDX-License-Identifier: MIT
"""
tests/herd/selftest.py - checks of the translator itself, run first by
`make herd`: instructions of each architecture with known effects, and
instructions or situations it must refuse (unknown memory instructions,
unparsable operands, calls into code the log does not cover, guest-RAM
accesses that are not one plain word). Each check can fail; the driver
counts them.
"""

import translate as tr

RAM = 0x10000
REGS = {
    'aarch64': {'x0': RAM, 'x1': 4, 'x2': 0x7000, 'sp': 0x8000, 'x3': 0xfffffffc},
    'ppc64le': {'r9': RAM, 'r10': 4, 'r1': 0x8000, 'r0': 8, 'r13': 0x9000},
    'riscv64': {'a4': RAM, 'a5': 1, 'sp': 0x8000, 'zero': 0, 'x0': 0},
    'x86-64': {'rax': RAM, 'rdx': 1, 'rsp': 0x8000, 'fs_base': 0x9000},
}


def eff(arch, ins, pc=0x1000, nxt=0x1004):
    mnem, _, ops = ins.partition(' ')
    if mnem == 'lock':
        m2, _, ops = ops.partition(' ')
        mnem = 'lock ' + m2
    c = tr.Ctx(arch, mnem, ops.strip(), '', pc, nxt, REGS[arch])
    return tr.CLASSIFY[arch](c)


# (arch, instruction, expected effects)
KNOWN = [
    ('aarch64', 'str w1, [x0, #4]', [('M', RAM + 4, 4, 'W', '')]),
    ('aarch64', 'ldr w5, [x0, x1]', [('M', RAM + 4, 4, 'R', '')]),
    ('aarch64', 'ldr w5, [x0, w3, sxtw #0]', [('M', RAM - 4, 4, 'R', '')]),
    ('aarch64', 'ldr w5, [x0, x1, lsl #2]', [('M', RAM + 16, 4, 'R', '')]),
    ('aarch64', 'stp x29, x30, [sp, #-32]!', [('M', 0x8000 - 32, 16, 'W', '')]),
    ('aarch64', 'ldp x29, x30, [sp], #32', [('M', 0x8000, 16, 'R', '')]),
    ('aarch64', 'ldapr w1, [x0]', [('M', RAM, 4, 'R', 'acqpc')]),
    ('aarch64', 'stlr w1, [x0]', [('M', RAM, 4, 'W', 'rel')]),
    ('aarch64', 'stlxr w4, w1, [x0]', [('M', RAM, 4, 'W', 'rel+excl')]),
    ('aarch64', 'ldaddal w1, w2, [x0]', [('M', RAM, 4, 'RW', 'acqrel')]),
    ('aarch64', 'dmb ishld', [('B', 'DMB ISHLD')]),
    ('aarch64', 'dmb ish', [('B', 'DMB ISH')]),
    ('aarch64', 'add w0, w0, #0x1', []),
    ('ppc64le', 'stw r10,4(r9)', [('M', RAM + 4, 4, 'W', '')]),
    ('ppc64le', 'lwzx r3,r9,r10', [('M', RAM + 4, 4, 'R', '')]),
    ('ppc64le', 'stdu r1,-32(r1)', [('M', 0x8000 - 32, 8, 'W', '')]),
    ('ppc64le', 'lbz r3,-28(r13)', [('M', 0x9000 - 28, 1, 'R', '')]),
    ('ppc64le', 'lvx v31,r1,r0', [('M', 0x8000, 16, 'R', '')]),  # lvx ignores the low 4 bits
    ('ppc64le', 'lwarx r3,0,r9', [('M', RAM, 4, 'R', 'excl')]),
    ('ppc64le', 'sync', [('B', 'sync')]),
    ('ppc64le', 'hwsync', [('B', 'sync')]),
    ('ppc64le', 'lwsync', [('B', 'lwsync')]),
    ('ppc64le', 'li r3,1', []),
    ('riscv64', 'sw a5,4(a4)', [('M', RAM + 4, 4, 'W', '')]),
    ('riscv64', 'lw a5,-4(a4)', [('M', RAM - 4, 4, 'R', '')]),
    ('riscv64', 'amoswap.w zero,a5,(a4)', [('M', RAM, 4, 'W', 'amoswap')]),
    ('riscv64', 'amoswap.w.rl zero,a5,(a4)', [('M', RAM, 4, 'W', 'amoswap.rl')]),
    ('riscv64', 'amoor.w.aqrl a3,a5,(a4)', [('M', RAM, 4, 'RW', 'acqrel')]),
    ('riscv64', 'fence', [('B', 'fence rw,rw')]),
    ('riscv64', 'fence iorw,ow', [('B', 'fence rw,w')]),
    ('riscv64', 'fence r,rw', [('B', 'fence r,rw')]),
    ('riscv64', 'fence.tso', [('B', 'fence.tso')]),
    ('riscv64', 'fence o,i', []),
    ('riscv64', 'addw a5,a5,a4', []),
    ('x86-64', 'movl $0x1,0x4(%rax)', [('M', RAM + 4, 4, 'W', '')]),
    ('x86-64', 'mov 0x4(%rax,%rdx,4),%ecx', [('M', RAM + 8, 4, 'R', '')]),
    ('x86-64', 'lock orl $0x0,(%rsp)', [('M', 0x8000, 4, 'RW', 'lock')]),
    ('x86-64', 'movzbl %fs:0xfffffffffffffff8,%eax', [('M', 0x9000 - 8, 1, 'R', '')]),
    ('x86-64', 'mov 0x10(%rip),%eax', [('M', 0x1004 + 0x10, 4, 'R', '')]),
    ('x86-64', 'cmpb $0x0,(%rax)', [('M', RAM, 1, 'R', '')]),
    ('x86-64', 'mfence', [('B', 'MFENCE')]),
    ('x86-64', 'lea 0x4(%rax),%rdx', []),
    ('x86-64', 'add $0x1,%eax', []),
]

# Instructions the translator must refuse.
REFUSED = [
    ('aarch64', 'ld64b x0, [x1]'),            # unknown memory instruction
    ('aarch64', 'ldr w1, [x0, x1, ror #2]'),  # unknown index form
    ('aarch64', 'ldr w1, [x9]'),              # register not in the dump
    ('ppc64le', 'lqarx r4,0,r9'),             # unknown memory instruction
    ('ppc64le', 'sync 1'),                    # lwsync spelled as sync L=1: not guessed
    ('ppc64le', 'stw r10,foo(r9)'),           # unparsable displacement
    ('riscv64', 'c.sw a5,4(a4)'),             # not in the tables
    ('riscv64', 'vle32.v v1,(a4)'),           # vector load
    ('x86-64', 'rep stos %rax,%es:(%rdi)'),   # string instruction
    ('x86-64', 'sfence'),                     # no x86tso.cat counterpart
    ('x86-64', 'vpgatherdd %ymm2,(%rax,%ymm1,4),%ymm3'),
]


def log_of(pcs, regs):
    return [(pc, dict(regs)) for pc in pcs]


def thread_checks():
    """device_thread() on small synthetic listings and logs."""
    out = []
    regs = {'x0': RAM, 'x1': RAM + 4, 'x2': 0x8000, 'sp': 0x8000}
    dis = {
        0x100: ('str', 'w3, [x0]', '', 0x104),
        0x104: ('dmb', 'ishst', '', 0x108),
        0x108: ('str', 'w3, [x2]', '', 0x10c),    # stack: dropped
        0x10c: ('str', 'w3, [x1]', '', 0x110),
        0x110: ('bl', '200 <probe_end>', '', 0x114),
        0x200: ('ret', '', '', 0x204),
    }
    ev, dropped, _ = tr.device_thread('aarch64', dis, log_of([0x100, 0x104, 0x108, 0x10c,
                                                              0x110, 0x200], regs),
                                      (0x100, 0x14), (0x200, 4), RAM, RAM + 64)
    out.append(('kept accesses and barrier, stack store dropped',
                ev == [('W', 0, ''), ('B', 'DMB ISHST'), ('W', 4, '')] and dropped == 1))
    # A call whose callee is not in the log: the next logged PC is the
    # return address.
    dis2 = dict(dis)
    dis2[0x108] = ('bl', '300 <elsewhere>', '', 0x10c)
    try:
        tr.device_thread('aarch64', dis2, log_of([0x100, 0x104, 0x108, 0x10c, 0x110, 0x200],
                                                 regs), (0x100, 0x14), (0x200, 4), RAM,
                         RAM + 64)
        out.append(('a call into unlogged code is refused', False))
    except tr.TranslateError:
        out.append(('a call into unlogged code is refused', True))
    # Code skipped in the log (a gap after a non-branch).
    try:
        tr.device_thread('aarch64', dis, log_of([0x100, 0x10c, 0x110, 0x200], regs),
                         (0x100, 0x14), (0x200, 4), RAM, RAM + 64)
        out.append(('a gap in the log is refused', False))
    except tr.TranslateError:
        out.append(('a gap in the log is refused', True))
    # A guest-RAM access that is not one aligned word.
    dis3 = dict(dis)
    dis3[0x100] = ('str', 'x3, [x0]', '', 0x104)
    try:
        tr.device_thread('aarch64', dis3, log_of([0x100, 0x104, 0x108, 0x10c, 0x110, 0x200],
                                                 regs), (0x100, 0x14), (0x200, 4), RAM,
                         RAM + 64)
        out.append(('an 8-byte guest-RAM store is refused', False))
    except tr.TranslateError:
        out.append(('an 8-byte guest-RAM store is refused', True))
    # An atomic with ordering on a private location, outside x86: refused.
    dis4 = dict(dis)
    dis4[0x108] = ('stlr', 'w3, [x2]', '', 0x10c)
    try:
        tr.device_thread('aarch64', dis4, log_of([0x100, 0x104, 0x108, 0x10c, 0x110, 0x200],
                                                 regs), (0x100, 0x14), (0x200, 4), RAM,
                         RAM + 64)
        out.append(('a release store to a private location is refused', False))
    except tr.TranslateError:
        out.append(('a release store to a private location is refused', True))
    return out


def run():
    """[(description, ok, detail)]"""
    results = []
    for arch, ins, want in KNOWN:
        try:
            got = eff(arch, ins)
        except tr.TranslateError as e:
            got = 'refused: %s' % e
        results.append(('%s `%s`' % (arch, ins), got == want, 'got %r, want %r' % (got, want)))
    for arch, ins in REFUSED:
        try:
            got = eff(arch, ins)
            results.append(('%s `%s` refused' % (arch, ins), False, 'accepted as %r' % (got,)))
        except tr.TranslateError:
            results.append(('%s `%s` refused' % (arch, ins), True, ''))
    for desc, ok in thread_checks():
        results.append((desc, ok, ''))
    return results


if __name__ == '__main__':
    bad = 0
    for desc, ok, detail in run():
        print('%s %s%s' % ('ok  ' if ok else 'FAIL', desc, '' if ok else ': ' + detail))
        bad += not ok
    raise SystemExit(1 if bad else 0)
