# SPDX-License-Identifier: MIT
"""
tests/herd/translate.py - from one qemu-user execution log of the probe to
the device thread's instructions: the loads and stores that hit the guest
RAM array, and every barrier, in execution order.

The log comes from `qemu-ARCH -singlestep -d nochain,exec,cpu -dfilter
RANGES`: one "Trace" line per executed instruction (its PC between the
second pair of slashes of the bracket), followed by the register dump
taken before it ran. Each PC is looked up in objdump's listing of the
same binary; the effective address of every memory operand is computed
from the registers. An access whose bytes fall inside probe_ram is kept,
any other memory access (stack, thread-local state, the context) is
dropped; barriers are kept wherever they are.

Anything this module does not understand - a mnemonic that may touch
memory but is not in its tables, an operand it cannot parse, a register
missing from the dump, a call into code the log does not cover, an access
to guest RAM that is not a plain aligned 32-bit load or store - raises
TranslateError. Nothing is ever skipped silently: a dropped operand once
hid clang's stores.
"""

import re


class TranslateError(Exception):
    pass


def _int(s):
    s = s.strip()
    neg = s.startswith('-')
    if neg:
        s = s[1:]
    v = int(s, 16) if s.lower().startswith('0x') else int(s, 10)
    return -v if neg else v


# --------------------------------------------------------------------------
# objdump listing

def parse_objdump(text, arch):
    """addr -> (mnemonic, operands, comment, next_addr)"""
    comment_re = re.compile(r'\s+//\s?(.*)$' if arch == 'aarch64' else r'\s+#\s?(.*)$')
    rows = []
    for line in text.splitlines():
        m = re.match(r'^\s*([0-9a-f]+):\t(.*)$', line)
        if not m:
            continue
        addr = int(m.group(1), 16)
        ins = m.group(2).replace('\t', ' ').strip()
        comment = ''
        cm = comment_re.search(ins)
        if cm:
            comment = cm.group(1)
            ins = ins[:cm.start()].strip()
        parts = ins.split(None, 1)
        if not parts:
            continue
        mnem = parts[0]
        ops = parts[1].strip() if len(parts) > 1 else ''
        if mnem in ('lock', 'rep', 'repz', 'repnz', 'repe', 'repne', 'data16', 'cs', 'ds',
                    'notrack', 'bnd'):
            # x86 prefixes stay part of the mnemonic
            sub = ops.split(None, 1)
            if sub:
                mnem = mnem + ' ' + sub[0]
                ops = sub[1].strip() if len(sub) > 1 else ''
        rows.append((addr, mnem, ops, comment))
    table = {}
    for i, (addr, mnem, ops, comment) in enumerate(rows):
        nxt = rows[i + 1][0] if i + 1 < len(rows) else addr + 4
        table[addr] = (mnem, ops, comment, nxt)
    return table


# --------------------------------------------------------------------------
# qemu log

class LazyRegs(dict):
    """The register dump of one log entry, parsed on first use (most of the
    log is the program's set-up, outside the window)."""

    def __init__(self, text, arch):
        super().__init__()
        self.text, self.arch, self.done = text, arch, False

    def _parse(self):
        if not self.done:
            self.update(parse_regs(self.text, self.arch))
            self.done = True

    def __contains__(self, k):
        self._parse()
        return super().__contains__(k)

    def __getitem__(self, k):
        self._parse()
        return super().__getitem__(k)

    def get(self, k, d=None):
        self._parse()
        return super().get(k, d)


def parse_log(text, arch):
    """[(pc, {reg: value})] in execution order."""
    out = []
    cur = None
    buf = []

    def flush():
        if cur is not None:
            out.append((cur, LazyRegs('\n'.join(buf), arch)))

    for line in text.splitlines():
        if line.startswith('Trace '):
            flush()
            m = re.search(r'\[[0-9a-f]+/([0-9a-f]+)/', line)
            if not m:
                raise TranslateError('cannot read the PC of log line: ' + line)
            cur = int(m.group(1), 16)
            buf = []
        else:
            buf.append(line)
    flush()
    return out


def parse_regs(text, arch):
    r = {}
    if arch == 'aarch64':
        for name, val in re.findall(r'\b(X\d\d|SP|PC)=([0-9a-f]+)', text):
            key = 'x%d' % int(name[1:]) if name.startswith('X') else name.lower()
            r[key] = int(val, 16)
    elif arch == 'ppc64le':
        for m in re.finditer(r'^GPR(\d\d)((?: [0-9a-f]{16})+)', text, re.M):
            base = int(m.group(1))
            for i, v in enumerate(m.group(2).split()):
                r['r%d' % (base + i)] = int(v, 16)
    elif arch == 'riscv64':
        for num, name, val in re.findall(r'\bx(\d+)/(\w+)\s+([0-9a-f]+)', text):
            r['x' + num] = r[name] = int(val, 16)
        r['fp'] = r.get('s0', 0)
    elif arch == 'x86-64':
        for name, val in re.findall(r'\b(R[A-Z0-9]+|RIP)\s*=([0-9a-f]{16})', text):
            r[name.lower()] = int(val, 16)
        for seg in ('FS', 'GS'):
            m = re.search(r'^%s =[0-9a-f]+ ([0-9a-f]+)' % seg, text, re.M)
            if m:
                r[seg.lower() + '_base'] = int(m.group(1), 16)
    return r


# --------------------------------------------------------------------------
# Per-architecture instruction semantics.
#
# classify(arch, mnem, ops, comment, pc, nxt, regs) returns a list of
# effects:
#   ('B', text)                      a barrier, in the model's syntax
#   ('M', addr, width, kind, attr)   a memory access: kind R, W or RW;
#                                    attr '' (plain), 'acq', 'rel', 'acqrel',
#                                    'excl' (exclusive/reserved), 'lock' (x86
#                                    locked read-modify-write)
#   ('BR', target_or_None, is_call)  a branch
# An empty list: no memory effect, not a branch.

class Ctx:
    def __init__(self, arch, mnem, ops, comment, pc, nxt, regs):
        self.arch, self.mnem, self.ops, self.comment = arch, mnem, ops, comment
        self.pc, self.nxt, self.regs = pc, nxt, regs

    def fail(self, why):
        raise TranslateError('%s: cannot translate `%s %s` at 0x%x: %s' %
                             (self.arch, self.mnem, self.ops, self.pc, why))

    def reg(self, name):
        name = name.strip().lower()
        if name in self.regs:
            return self.regs[name]
        self.fail('register %s not in the dump' % name)


def _target(ops):
    m = re.search(r'\b([0-9a-f]+) <[^>]*>', ops)
    return int(m.group(1), 16) if m else None


# AArch64 ------------------------------------------------------------------

A64_BRANCH = re.compile(r'^(b|b\.\w+|bl|blr|br|ret|cbz|cbnz|tbz|tbnz|braa|blraa|retaa)$')
A64_BARRIER = re.compile(r'^(dmb|dsb|isb)$')
A64_NOMEM = re.compile(r'^(prfm|prfum|hint|nop|bti|paciasp|autiasp|yield)$')
A64_MEM = re.compile(
    r'^(?P<op>ld|st)(?P<ord>a|l|ap)?(?P<ex>x)?(?P<rest>r|ur|p|np|psw|rsw|rsb|rsh|ursw|ursb|ursh)'
    r'(?P<sz>b|h)?$')
A64_ATOMIC = re.compile(r'^(ldadd|ldclr|ldeor|ldset|ldsmax|ldsmin|ldumax|ldumin|swp|cas|casp)'
                        r'(a|l|al)?(b|h)?$')


def _a64_width(reg, sz):
    if sz == 'b':
        return 1
    if sz == 'h':
        return 2
    c = reg.strip()[0].lower()
    return {'w': 4, 'x': 8, 'b': 1, 'h': 2, 's': 4, 'd': 8, 'q': 16}.get(c)


def _a64_addr(c, ops):
    m = re.search(r'\[([^\]]*)\](!?)', ops)
    if not m:
        t = re.match(r'^[^,]+,\s*([0-9a-f]+)\s*(<.*>)?$', ops)
        if t:  # literal load
            return int(t.group(1), 16)
        c.fail('no memory operand')
    parts = [p.strip() for p in m.group(1).split(',')]
    base = c.reg(parts[0])
    post = ops[m.end():].strip()
    if post and not m.group(2):  # post-index: access at base
        if not re.match(r'^,\s*#-?(0x)?[0-9a-f]+$', post):
            c.fail('post-index operand')
        return base
    off = 0
    if len(parts) >= 2:
        p = parts[1]
        if p.startswith('#'):
            off = _int(p[1:])
        elif re.match(r'^[wx]\d+$|^[wx]zr$', p):
            v = 0 if p.endswith('zr') else c.reg('x' + p[1:])
            if p.startswith('w'):
                v &= 0xffffffff
            shift = 0
            if len(parts) >= 3:
                e = re.match(r'^(lsl|uxtw|sxtw|sxtx|uxtx)(?:\s+#(\d+))?$', parts[2])
                if not e:
                    c.fail('index extension ' + parts[2])
                if e.group(1) == 'sxtw' and v & 0x80000000:
                    v -= 1 << 32
                elif e.group(1) == 'uxtw':
                    v &= 0xffffffff
                shift = int(e.group(2) or 0)
            off = v << shift
        else:
            c.fail('offset ' + p)
        if len(parts) > 3:
            c.fail('operand')
    return (base + off) & 0xffffffffffffffff


def classify_aarch64(c):
    m = c.mnem
    if A64_BRANCH.match(m):
        return [('BR', _target(c.ops), m in ('bl', 'blr', 'blraa'))]
    if A64_BARRIER.match(m):
        return [('B', (m + ' ' + c.ops).strip().upper())]
    if A64_NOMEM.match(m) or '[' not in c.ops and not m.startswith(('ld', 'st')):
        return []
    am = A64_MEM.match(m)
    if am:
        regs = [r.strip() for r in c.ops.split('[')[0].split(',') if r.strip()]
        if am.group('ex') and am.group('op') == 'st':
            regs = regs[1:]  # status register
        pair = am.group('rest') in ('p', 'np', 'psw')
        if not regs:
            c.fail('no data register')
        w = _a64_width(regs[0], am.group('sz'))
        if am.group('rest') in ('rsb', 'ursb'):
            w = 1
        elif am.group('rest') in ('rsh', 'ursh'):
            w = 2
        elif am.group('rest') in ('rsw', 'ursw', 'psw'):
            w = 4
        if not w:
            c.fail('width')
        if pair:
            w *= 2
        kind = 'R' if am.group('op') == 'ld' else 'W'
        attr = {'a': 'acq', 'ap': 'acqpc', 'l': 'rel', None: ''}[am.group('ord')]
        if am.group('ex'):
            attr = (attr + '+excl') if attr else 'excl'
        return [('M', _a64_addr(c, c.ops), w, kind, attr)]
    am = A64_ATOMIC.match(m)
    if am:
        regs = [r.strip() for r in c.ops.split('[')[0].split(',') if r.strip()]
        w = _a64_width(regs[0], am.group(3))
        attr = {'a': 'acq', 'l': 'rel', 'al': 'acqrel', None: ''}[am.group(2)] or 'atomic'
        return [('M', _a64_addr(c, c.ops), w, 'RW', attr)]
    if '[' in c.ops or m.startswith(('ld', 'st')):
        c.fail('unknown memory instruction')
    return []


# POWER --------------------------------------------------------------------

PPC_DFORM = re.compile(r'^(?P<op>l|st)(?P<sz>b|h|w|d|fs|fd)(?P<t>z|a)?(?P<u>u)?$')
PPC_XFORM = re.compile(r'^(?P<op>l|st)(?P<sz>b|h|w|d|fs|fd)(?P<t>z|a|br|ar|cx\.)?(?P<u>u)?x?$')
# Vector and VSX loads and stores (16 bytes; callee-saved registers on the
# stack): X-form `lvx v31,r1,r0`, DQ-form `lxv vs0,16(r9)`.
PPC_VX = re.compile(r'^(?P<op>l|st)(vx|vxl|xvd2x|xvw4x|xvx|xvb16x|xvh8x)$')
PPC_VDQ = re.compile(r'^(?P<op>l|st)(xv)$')
PPC_BARRIER = {'sync': 'sync', 'hwsync': 'sync', 'lwsync': 'lwsync', 'isync': 'isync',
               'eieio': 'eieio', 'msync': 'sync'}
PPC_NOTMEM = {'li', 'lis', 'la', 'lwsync'}


def classify_ppc(c):
    m = c.mnem
    if m.startswith('b'):
        return [('BR', _target(c.ops), m.endswith('l') or m in ('bl', 'bctrl', 'blrl', 'bla'))]
    if m in PPC_BARRIER:
        if m == 'sync' and c.ops not in ('', '0'):
            c.fail('sync with L=' + c.ops)
        return [('B', PPC_BARRIER[m])]
    if m in ('dcbt', 'dcbtst'):
        return []
    if m in PPC_NOTMEM or not (m.startswith('l') or m.startswith('st') or m.startswith('dc')
                               or '(' in c.ops):
        return []
    ops = [o.strip() for o in c.ops.split(',')]
    width = {'b': 1, 'h': 2, 'w': 4, 'd': 8, 'fs': 4, 'fd': 8}
    vm = PPC_VX.match(m)
    if vm and len(ops) == 3:
        ra = ops[1].lstrip('r')
        addr = ((0 if ra == '0' else c.reg('r' + ra)) + c.reg('r' + ops[2].lstrip('r')))
        return [('M', addr & 0xffffffffffffffff & ~15 if m in ('lvx', 'stvx', 'lvxl') else
                 addr & 0xffffffffffffffff, 16, 'R' if vm.group('op') == 'l' else 'W', '')]
    vm = PPC_VDQ.match(m)
    if vm and len(ops) == 2:
        mm = re.match(r'^(-?\d+)\((r?\d+)\)$', ops[1])
        if not mm:
            c.fail('DQ-form operand')
        addr = (c.reg('r' + mm.group(2).lstrip('r')) + int(mm.group(1))) & 0xffffffffffffffff
        return [('M', addr, 16, 'R' if vm.group('op') == 'l' else 'W', '')]
    dm = PPC_DFORM.match(m)
    if dm and len(ops) == 2:
        mm = re.match(r'^(-?\d+)\((r?\d+)\)$', ops[1])
        if not mm:
            c.fail('D-form operand')
        ra = mm.group(2).lstrip('r')
        base = 0 if ra == '0' and not dm.group('u') else c.reg('r' + ra)
        kind = 'R' if dm.group('op') == 'l' else 'W'
        return [('M', (base + int(mm.group(1))) & 0xffffffffffffffff, width[dm.group('sz')],
                 kind, '')]
    xm = PPC_XFORM.match(m)
    if xm and m.endswith(('x', 'cx.')) and len(ops) == 3:
        ra = ops[1].lstrip('r')
        base = 0 if ra == '0' else c.reg('r' + ra)
        addr = (base + c.reg('r' + ops[2].lstrip('r'))) & 0xffffffffffffffff
        kind = 'R' if xm.group('op') == 'l' else 'W'
        attr = 'excl' if xm.group('t') in ('ar', 'cx.') else ''
        return [('M', addr, width[xm.group('sz')], kind, attr)]
    c.fail('unknown memory instruction')


# RISC-V -------------------------------------------------------------------

RV_BRANCH = re.compile(r'^(j|jal|jalr|jr|ret|call|tail|beq|bne|blt|bge|bltu|bgeu|beqz|bnez|'
                       r'blez|bgez|bltz|bgtz|bgt|ble|bgtu|bleu)$')
RV_LOAD = {'lb': 1, 'lbu': 1, 'lh': 2, 'lhu': 2, 'lw': 4, 'lwu': 4, 'ld': 8, 'flw': 4, 'fld': 8}
RV_STORE = {'sb': 1, 'sh': 2, 'sw': 4, 'sd': 8, 'fsw': 4, 'fsd': 8}


def _rv_fence(c):
    if c.mnem == 'fence.tso':
        return 'fence.tso'
    if c.mnem == 'fence.i':
        return None
    if c.ops == '':
        pred = succ = 'iorw'
    else:
        m = re.match(r'^([iorw]+),\s*([iorw]+)$', c.ops)
        if not m:
            c.fail('fence operands')
        pred, succ = m.group(1), m.group(2)
    # The litmus tests touch normal memory only: the i/o bits order
    # nothing there, so they are dropped (fence iorw,iorw -> fence rw,rw).
    p = ''.join(x for x in 'rw' if x in pred)
    s = ''.join(x for x in 'rw' if x in succ)
    if not p or not s:
        return None
    return 'fence %s,%s' % (p, s)


def classify_riscv(c):
    m = c.mnem
    if RV_BRANCH.match(m):
        ops = [o.strip() for o in c.ops.split(',')]
        is_call = m in ('call',) or (m in ('jal', 'jalr') and (len(ops) == 1 or ops[0] == 'ra'))
        return [('BR', _target(c.ops), is_call)]
    if m.startswith('fence'):
        f = _rv_fence(c)
        return [('B', f)] if f else []
    base = m.split('.')[0]
    if base in RV_LOAD or base in RV_STORE:
        mm = re.match(r'^[^,]+,\s*(-?\d+)\((\w+)\)$', c.ops)
        if not mm or '.' in m:
            c.fail('operand')
        kind = 'R' if base in RV_LOAD else 'W'
        w = RV_LOAD.get(base) or RV_STORE[base]
        return [('M', (c.reg(mm.group(2)) + int(mm.group(1))) & 0xffffffffffffffff, w, kind, '')]
    if base in ('lr', 'sc') or base.startswith('amo'):
        mm = re.search(r'\((\w+)\)$', c.ops)
        if not mm:
            c.fail('operand')
        sfx = m.split('.')
        w = 4 if sfx[1] == 'w' else 8
        ordr = ''.join(sfx[2:])
        attr = {'aq': 'acq', 'rl': 'rel', 'aqrl': 'acqrel', '': ''}[ordr]
        kind = 'R' if base == 'lr' else 'W' if base == 'sc' else 'RW'
        if base in ('lr', 'sc'):
            attr = (attr + '+excl') if attr else 'excl'
        elif base == 'amoswap' and c.ops.split(',')[0].strip() in ('zero', 'x0'):
            # gcc 12 stores a relaxed atomic with `amoswap.w zero,...`: a
            # swap whose old value is discarded. It stays an AMO in the
            # litmus test (herd's RISC-V has amoswap), kept as a store.
            kind = 'W'
            attr = 'amoswap' + ''.join('.' + x for x in sfx[2:])
        else:
            attr = attr or 'atomic'
        return [('M', c.reg(mm.group(1)), w, kind, attr)]
    if '(' in c.ops:
        c.fail('unknown memory instruction')
    return []


# x86-64 -------------------------------------------------------------------

X86_REG_W = {}
for _n in ('ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp'):
    X86_REG_W['r' + _n], X86_REG_W['e' + _n], X86_REG_W[_n] = 8, 4, 2
for _n in ('al', 'bl', 'cl', 'dl', 'sil', 'dil', 'bpl', 'spl', 'ah', 'bh', 'ch', 'dh'):
    X86_REG_W[_n] = 1
for _i in range(8, 16):
    X86_REG_W['r%d' % _i], X86_REG_W['r%dd' % _i] = 8, 4
    X86_REG_W['r%dw' % _i], X86_REG_W['r%db' % _i] = 2, 1

X86_BRANCH = re.compile(r'^(j\w+|call\w?|ret\w?|jmp\w?|loop\w*)$')
X86_NOMEM = re.compile(r'^(nop\w?|lea\w?|prefetch\w*|endbr64|ud2|hlt|pause)$')
X86_READONLY = re.compile(r'^(cmp\w*|test\w?|bt\w?|ucomis\w|comis\w|push\w?)$')
X86_MOVE = re.compile(r'^(mov\w*|cvt\w*|vmov\w*|pxor|xorp\w|(v)?punpck\w*|cmov\w+|set\w+)$')
X86_RMW = re.compile(r'^(add|sub|and|or|xor|adc|sbb|inc|dec|neg|not|shl|shr|sar|rol|ror|'
                     r'xadd|xchg|cmpxchg|cmpxchg8b|cmpxchg16b)[bwlq]?$')
X86_SIZE = {'b': 1, 'w': 2, 'l': 4, 'q': 8}
X86_BASES = {'mov', 'add', 'sub', 'and', 'or', 'xor', 'adc', 'sbb', 'cmp', 'test', 'inc', 'dec',
             'neg', 'not', 'shl', 'shr', 'sar', 'rol', 'ror', 'xchg', 'xadd', 'cmpxchg', 'push',
             'pop', 'bt'}


def _x86_split(ops):
    out, depth, cur = [], 0, ''
    for ch in ops:
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _x86_addr(c, op):
    seg = 0
    m = re.match(r'^%([fg]s):(.*)$', op)
    if m:
        seg = c.reg(m.group(1) + '_base')
        op = m.group(2)
    m = re.match(r'^(-?0x[0-9a-f]+|-?\d+)?(?:\((%\w+)?(?:,(%\w+)(?:,(\d))?)?\))?$', op)
    if not m or (m.group(1) is None and m.group(2) is None and m.group(3) is None):
        c.fail('memory operand ' + op)
    disp = _int(m.group(1)) if m.group(1) else 0
    if m.group(2) == '%rip':
        return (c.nxt + disp) & 0xffffffffffffffff
    base = c.reg(m.group(2)[1:]) if m.group(2) else 0
    idx = c.reg(m.group(3)[1:]) * int(m.group(4) or 1) if m.group(3) else 0
    return (seg + base + idx + disp) & 0xffffffffffffffff


def classify_x86(c):
    m = c.mnem
    lock = m.startswith('lock ')
    if lock:
        m = m[5:]
    if m.startswith('rep') or m.startswith(('stos', 'movs', 'lods', 'scas', 'cmps')):
        c.fail('string instruction')
    if X86_BRANCH.match(m):
        eff = [('BR', None if '*' in c.ops else _target(c.ops), m.startswith('call'))]
        if c.ops.startswith('*') and not c.ops.startswith('*%') or c.ops.startswith('*%fs:'):
            # an indirect branch through memory (clang's jump tables): a load
            eff.append(('M', _x86_addr(c, c.ops[1:]), 8, 'R', ''))
        return eff
    if m == 'mfence':
        return [('B', 'MFENCE')]
    if m in ('lfence', 'sfence'):
        c.fail('%s has no counterpart in x86tso.cat' % m)
    if X86_NOMEM.match(m):
        return []
    ops = _x86_split(c.ops)
    mem = [i for i, o in enumerate(ops) if not o.startswith(('$', '%')) or o.startswith(('%fs:',
                                                                                       '%gs:'))]
    if not mem:
        if lock:
            c.fail('lock without a memory operand')
        return []
    if len(mem) > 1:
        c.fail('two memory operands')
    i = mem[0]
    addr = _x86_addr(c, ops[i])
    w = None
    ext = re.match(r'^mov[sz]([bwl])[wlq]$', m)
    if ext:
        w = X86_SIZE[ext.group(1)]
    elif m[-1] in X86_SIZE and m[:-1] in X86_BASES:
        w = X86_SIZE[m[-1]]
    for o in ops:
        if o.startswith('%') and not o.startswith(('%fs:', '%gs:')):
            w = w or X86_REG_W.get(o[1:])
            if o.startswith('%xmm'):
                w = w or 16
    w = w or 16
    if X86_READONLY.match(m):
        kind = 'R'
    elif X86_RMW.match(m):
        kind = 'RW' if i == len(ops) - 1 else 'R'
    elif X86_MOVE.match(m):
        kind = 'W' if i == len(ops) - 1 and len(ops) > 1 else 'R'
    else:
        c.fail('unknown instruction with a memory operand')
    attr = 'lock' if lock or (m.startswith('xchg') and kind == 'RW') else ''
    if lock and kind != 'RW':
        c.fail('lock prefix without a read-modify-write')
    return [('M', addr, w, kind, attr)]


CLASSIFY = {'aarch64': classify_aarch64, 'ppc64le': classify_ppc, 'riscv64': classify_riscv,
            'x86-64': classify_x86}


# --------------------------------------------------------------------------
# The device thread

# What a locked or acquire/release access to a location that is not guest
# RAM becomes. x86: a locked read-modify-write of a private word is a full
# barrier (Intel SDM vol. 3 8.2.2); x86tso.cat gives any locked instruction
# that effect, and herd's X86 has LOCK ADD but not LOCK OR, so the
# `lock orl $0,(%rsp)` of odma_mb() becomes `LOCK ADD [stk],$0`: the same
# kind of event (a locked RMW) on a location no other thread touches.
PRIVATE_ATOMIC = {'x86-64': {'lock': 'LOCK ADD [stk],$0'}}


def device_thread(arch, dis, log, start, stop, ram_lo, ram_hi, granule=4):
    """The kept events between the first entry to `start` and `stop`:
    ('W'|'R', offset, attr) for guest-RAM accesses, ('B', text) for
    barriers. Also returns counts of what was dropped."""
    classify = CLASSIFY[arch]
    events = []
    dropped = 0
    steps = 0
    # Ranges (address, size), not addresses: a POWER ELFv2 function has a
    # global and a local entry point (a direct call enters at the second).
    i0 = next((i for i, (pc, _) in enumerate(log) if start[0] <= pc < start[0] + start[1]),
              None)
    if i0 is None:
        raise TranslateError('the log never reaches the sequence at 0x%x' % start[0])
    i = i0
    while True:
        if i >= len(log):
            raise TranslateError('the log ends before the end marker at 0x%x' % stop[0])
        pc, regs = log[i]
        if stop[0] <= pc < stop[0] + stop[1]:
            break
        if pc not in dis:
            raise TranslateError('executed PC 0x%x is not in the objdump listing' % pc)
        mnem, ops, comment, nxt = dis[pc]
        c = Ctx(arch, mnem, ops, comment, pc, nxt, regs)
        effects = classify(c)
        nextpc = log[i + 1][0] if i + 1 < len(log) else None
        branch = [e for e in effects if e[0] == 'BR']
        if branch:
            target, is_call = branch[0][1], branch[0][2]
            if is_call and nextpc == nxt:
                c.fail('the callee was not logged (outside the -dfilter ranges)')
            if target is not None and nextpc not in (target, nxt):
                c.fail('control went to 0x%x, not to the branch target' % (nextpc or 0))
        elif nextpc is not None and nextpc != nxt:
            c.fail('the next logged instruction is 0x%x, not 0x%x: code outside the log ran'
                   % (nextpc, nxt))
        for e in effects:
            if e[0] == 'B':
                events.append(('B', e[1]))
            elif e[0] == 'M':
                _, addr, w, kind, attr = e
                if addr + w <= ram_lo or addr >= ram_hi:
                    if attr:
                        priv = PRIVATE_ATOMIC.get(arch, {}).get(attr)
                        if not priv:
                            c.fail('%s access outside guest RAM: no translation for it' % attr)
                        events.append(('B', priv))
                    else:
                        dropped += 1
                    continue
                off = addr - ram_lo
                if w != granule or off % granule or addr + w > ram_hi:
                    c.fail('guest-RAM access of %d bytes at +%d: not one %d-byte word'
                           % (w, off, granule))
                if kind not in ('R', 'W') or not (attr in ('', 'acq', 'acqpc', 'rel') or
                                                  attr.startswith('amoswap')):
                    c.fail('guest-RAM access of kind %s%s: not a plain load or store'
                           % (kind, '/' + attr if attr else ''))
                events.append((kind, off, attr))
        steps += 1
        i += 1
    return events, dropped, steps
