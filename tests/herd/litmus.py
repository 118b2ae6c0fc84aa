# SPDX-License-Identifier: MIT
"""
tests/herd/litmus.py - render one litmus test in herd7's syntax for an
architecture (AArch64, PPC, RISCV, X86) or for C (judged by rc11.cat).

A thread is a list of concrete ops:
  ('W', loc, value, attr)   store; attr '' or 'rel' (AArch64 STLR)
  ('R', loc, reg, attr)     load into abstract register reg ('r0', ...);
                            attr '' , 'acq' (LDAR) or 'acqpc' (LDAPR)
  ('B', text)               a barrier instruction, already in the model's
                            syntax (the device's, from translate.py)
  ('F', 'mb'|'wmb'|'rmb')   a guest barrier: the Linux idiom below
The condition is a list of ('reg', thread, reg, value) and
('mem', loc, value) atoms, all of which must hold.
"""

# Linux's smp_mb/smp_wmb/smp_rmb on each architecture (x86: smp_mb is a
# locked add to the stack, the same kind of event as MFENCE in
# x86tso.cat; smp_wmb and smp_rmb are compiler barriers only).
GUEST_FENCE = {
    'AArch64': {'mb': ['DMB ISH'], 'wmb': ['DMB ISHST'], 'rmb': ['DMB ISHLD']},
    'PPC': {'mb': ['sync'], 'wmb': ['lwsync'], 'rmb': ['lwsync']},
    'RISCV': {'mb': ['fence rw,rw'], 'wmb': ['fence w,w'], 'rmb': ['fence r,r']},
    'X86': {'mb': ['MFENCE'], 'wmb': [], 'rmb': []},
}
C_FENCE = {'mb': 'memory_order_seq_cst', 'wmb': 'memory_order_release',
           'rmb': 'memory_order_acquire'}
X86_REGS = ['EAX', 'EBX', 'ECX', 'EDX', 'ESI', 'EDI']


class RenderError(Exception):
    pass


def _asm_thread(arch, ops):
    """-> (instruction lines, {loc: addr reg}, {abstract reg: litmus reg name})"""
    lines, locs, regs = [], {}, {}
    n = [0]

    def new():
        n[0] += 1
        return n[0]

    base = {'AArch64': 0, 'PPC': 2, 'RISCV': 4, 'X86': 0}[arch]
    n[0] = base
    if arch != 'X86':
        for op in ops:
            if op[0] in 'WR' and op[1] not in locs:
                locs[op[1]] = new()
    xregs = iter(X86_REGS)
    for op in ops:
        if op[0] == 'F':
            lines += GUEST_FENCE[arch][op[1]]
            continue
        if op[0] == 'B':
            lines.append(op[1])
            continue
        kind, loc, arg, attr = op
        if arch == 'AArch64':
            a = locs[loc]
            t = new()
            if kind == 'W':
                if attr not in ('', 'rel'):
                    raise RenderError('AArch64 store attr ' + attr)
                lines += ['MOV W%d,#%d' % (t, arg),
                          '%s W%d,[X%d]' % ('STLR' if attr == 'rel' else 'STR', t, a)]
            else:
                mn = {'': 'LDR', 'acq': 'LDAR', 'acqpc': 'LDAPR'}.get(attr)
                if not mn:
                    raise RenderError('AArch64 load attr ' + attr)
                lines.append('%s W%d,[X%d]' % (mn, t, a))
                regs[arg] = 'X%d' % t
        elif arch == 'PPC':
            if attr:
                raise RenderError('PPC access attr ' + attr)
            a = locs[loc]
            t = new()
            if kind == 'W':
                lines += ['li r%d,%d' % (t, arg), 'stw r%d,0(r%d)' % (t, a)]
            else:
                lines.append('lwz r%d,0(r%d)' % (t, a))
                regs[arg] = 'r%d' % t
        elif arch == 'RISCV':
            if attr and not (kind == 'W' and attr.startswith('amoswap')):
                raise RenderError('RISCV access attr ' + attr)
            a = locs[loc]
            t = new()
            if kind == 'W' and attr:
                lines += ['ori x%d,x0,%d' % (t, arg),
                          '%s x0,x%d,(x%d)' % (attr.replace('amoswap', 'amoswap.w'), t, a)]
            elif kind == 'W':
                lines += ['ori x%d,x0,%d' % (t, arg), 'sw x%d,0(x%d)' % (t, a)]
            else:
                lines.append('lw x%d,0(x%d)' % (t, a))
                regs[arg] = 'x%d' % t
        else:
            if attr:
                raise RenderError('X86 access attr ' + attr)
            if kind == 'W':
                lines.append('MOV [%s],$%d' % (loc, arg))
            else:
                r = next(xregs)
                lines.append('MOV %s,[%s]' % (r, loc))
                regs[arg] = r
    return lines, locs, regs


def _cond(cond, names, regmaps, regname=lambda r: r):
    atoms = []
    for a in cond:
        if a[0] == 'reg':
            i = names.index(a[1])
            if a[2] not in regmaps[i]:
                raise RenderError('condition names %s:%s, which thread %s does not load'
                                  % (a[1], a[2], a[1]))
            atoms.append('%d:%s=%d' % (i, regname(regmaps[i][a[2]]), a[3]))
        else:
            atoms.append('%s=%d' % (a[1], a[2]))
    return 'exists (' + ' /\\ '.join(atoms) + ')'


def render(arch, name, threads, cond, comment=''):
    """threads: [(thread name, ops)]; arch: AArch64, PPC, RISCV, X86 or C."""
    if arch == 'C':
        return _render_c(name, threads, cond, comment)
    names = [t[0] for t in threads]
    cols, inits, regmaps = [], [], []
    for i, (_, ops) in enumerate(threads):
        lines, locs, regs = _asm_thread(arch, ops)
        cols.append(lines)
        regmaps.append(regs)
        for loc, r in sorted(locs.items()):
            inits.append('%d:%s=%s;' % (i, {'AArch64': 'X%d', 'PPC': 'r%d',
                                             'RISCV': 'x%d'}[arch] % r, loc))
    out = ['%s %s' % (arch, name)]
    if comment:
        out.append('"%s"' % comment.replace('"', "'"))
    out.append('{')
    if inits:
        out.append(' '.join(inits))
    out.append('}')
    rows = max(len(c) for c in cols)
    cols = [['P%d' % i] + c + [''] * (rows - len(c)) for i, c in enumerate(cols)]
    widths = [max(len(s) for s in c) for c in cols]
    for r in range(rows + 1):
        out.append(' ' + ' | '.join(c[r].ljust(w) for c, w in zip(cols, widths)) + ' ;')
    out.append(_cond(cond, names, regmaps))
    return '\n'.join(out) + '\n'


def _render_c(name, threads, cond, comment):
    names = [t[0] for t in threads]
    locs = sorted({op[1] for _, ops in threads for op in ops if op[0] in 'WR'})
    out = ['C %s' % name]
    if comment:
        out.append('"%s"' % comment.replace('"', "'"))
    out.append('{}')
    regmaps = []
    params = ', '.join('atomic_int* %s' % l for l in locs)
    for i, (_, ops) in enumerate(threads):
        regs = {}
        out.append('P%d (%s) {' % (i, params))
        for op in ops:
            if op[0] in 'FB':
                f = C_FENCE.get(op[1])
                if not f:
                    raise RenderError('C barrier ' + op[1])
                out.append('  atomic_thread_fence(%s);' % f)
            elif op[0] == 'W':
                if op[3]:
                    raise RenderError('C store attr ' + op[3])
                out.append('  atomic_store_explicit(%s, %d, memory_order_relaxed);'
                           % (op[1], op[2]))
            else:
                if op[3]:
                    raise RenderError('C load attr ' + op[3])
                out.append('  int %s = atomic_load_explicit(%s, memory_order_relaxed);'
                           % (op[2], op[1]))
                regs[op[2]] = op[2]
        out.append('}')
        regmaps.append(regs)
    out.append(_cond(cond, names, regmaps))
    return '\n'.join(out) + '\n'


def parse_ops(strs):
    """'W x 1' / 'R y r0' / 'F mb' -> concrete ops (no attrs)."""
    out = []
    for s in strs:
        p = s.split()
        if p[0] == 'W' and len(p) == 3:
            out.append(('W', p[1], int(p[2]), ''))
        elif p[0] == 'R' and len(p) == 3:
            out.append(('R', p[1], p[2], ''))
        elif p[0] == 'F' and len(p) == 2 and p[1] in C_FENCE:
            out.append(('F', p[1]))
        else:
            raise RenderError('bad op ' + s)
    return out


def parse_cond(s):
    out = []
    for atom in s.split('&'):
        lhs, rhs = atom.strip().split('=')
        if ':' in lhs:
            t, r = lhs.split(':')
            out.append(('reg', t, r, int(rhs)))
        else:
            out.append(('mem', lhs, int(rhs)))
    return out
