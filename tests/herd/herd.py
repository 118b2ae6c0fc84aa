#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
tests/herd/herd.py - `make herd`: litmus tests built from the instructions
gcc and clang emit for odma's promises, judged by herd7 on the official
models (aarch64.cat, ppc.cat, riscv.cat, x86tso.cat) and at the C11 level
(rc11.cat). See tests/herd/README.md.

  herd.py [--out DIR] [--include DIR] [--jobs N] [--no-mutant] [--keep-going]

Steps, for every column (architecture x compiler):
 1. build tests/herd/probe.c statically (and as an object, whose functions
    give the -dfilter ranges);
 2. run every (sequence, policy) the tests need under qemu-user with
    -singlestep -d nochain,exec,cpu, and turn the executed instructions into
    the device thread (translate.py);
 3. write each test (tests.py) as a litmus file with the guest threads in
    the Linux idiom (litmus.py) and run herd7 on it;
 4. judge: promised -> Never, control -> Sometimes, not promised -> shown.
The C11 column takes the device thread from odma's own trace (ODMA_TRACE):
accesses become relaxed atomics, mb/wmb/rmb the seq_cst/release/acquire
fences that odma_mb()/odma_wmb()/odma_rmb() are outside x86.
Last, the pipeline's own test: a copy of the library whose
dma_write_publish has no wmb must fail the MP publish test on every weak
architecture column and on C11.
"""

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
import litmus  # noqa: E402
import selftest  # noqa: E402
import tests as spec  # noqa: E402
from translate import TranslateError, device_thread, parse_log, parse_objdump  # noqa: E402

CI = os.environ.get('CI') == 'true'

# column, arch, herd arch, model, compiler argv, binutils prefix, qemu
COLUMNS = [
    ('aarch64 gcc', 'aarch64', 'AArch64', 'aarch64.cat', ['aarch64-linux-gnu-gcc'],
     'aarch64-linux-gnu-', 'qemu-aarch64'),
    ('aarch64 clang', 'aarch64', 'AArch64', 'aarch64.cat',
     ['clang', '--target=aarch64-linux-gnu'], 'aarch64-linux-gnu-', 'qemu-aarch64'),
    ('ppc64le gcc', 'ppc64le', 'PPC', 'ppc.cat', ['powerpc64le-linux-gnu-gcc'],
     'powerpc64le-linux-gnu-', 'qemu-ppc64le'),
    ('ppc64le clang', 'ppc64le', 'PPC', 'ppc.cat', ['clang', '--target=powerpc64le-linux-gnu'],
     'powerpc64le-linux-gnu-', 'qemu-ppc64le'),
    ('riscv64 gcc', 'riscv64', 'RISCV', 'riscv.cat', ['riscv64-linux-gnu-gcc'],
     'riscv64-linux-gnu-', 'qemu-riscv64'),
    ('riscv64 clang', 'riscv64', 'RISCV', 'riscv.cat', ['clang', '--target=riscv64-linux-gnu'],
     'riscv64-linux-gnu-', 'qemu-riscv64'),
    ('x86-64 gcc', 'x86-64', 'X86', 'x86tso.cat', ['gcc'], '', 'qemu-x86_64'),
    ('x86-64 clang', 'x86-64', 'X86', 'x86tso.cat', ['clang'], '', 'qemu-x86_64'),
]
C11 = ('C11 rc11', 'c11', 'C', 'rc11.cat', ['gcc'], '', None)
CFLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-g', '-fno-pie']
LOCNAME = {0: 'x', 4: 'y', 8: 'z'}
# Helpers outside probe.o that odma's inline code may call: their code is
# logged too (anything else called is caught by translate.py).
HELPERS = re.compile(r'^(__aarch64_(ld|swp|cas)\w+|__atomic_\w+|__sync_\w+)$')


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def have(prog):
    return shutil.which(prog) is not None


def find_herd():
    """(argv prefix, where) or (None, why)."""
    env = os.environ.get('HERD7')
    cands = []
    if env:
        cands.append(env)
    p = shutil.which('herd7')
    if p:
        cands.append(p)
    cands.append(os.path.join(TOP, '..', 'shared', 'tools', 'herdtools7', 'bin', 'herd7'))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            lib = os.path.join(os.path.dirname(os.path.abspath(c)), '..', 'lib')
            argv = [c]
            if os.path.isfile(os.path.join(lib, 'aarch64.cat')):
                argv += ['-I', os.path.abspath(lib)]
            return argv, os.path.abspath(c)
        if env and c == env:
            return None, 'HERD7=%s is not an executable file' % env
    return None, 'herd7 not found (HERD7=..., PATH, ../shared/tools/herdtools7)'


class Column:
    def __init__(self, name, arch, harch, model, cc, prefix, qemu):
        self.name, self.arch, self.harch, self.model = name, arch, harch, model
        self.cc, self.prefix, self.qemu = cc, prefix, qemu
        self.events = {}  # (seq, policy) -> list of device ops, or an error string
        self.skip = None

    def tool(self, t):
        return self.prefix + t


def build(col, out, include):
    """Build the probe for one column; returns None or a reason to skip/fail."""
    d = os.path.join(out, 'bin')
    os.makedirs(d, exist_ok=True)
    tag = col.name.replace(' ', '-')
    src = os.path.join(HERE, 'probe.c')
    if col.arch == 'c11':
        col.bin = os.path.join(d, 'probe-trace')
        r = run(col.cc + [f for f in CFLAGS if f != '-fno-pie'] +
                ['-DPROBE_TRACE', '-I' + include, src, '-o', col.bin])
        return r.stderr.strip() or 'build failed' if r.returncode else None
    col.bin = os.path.join(d, 'probe-' + tag)
    obj = col.bin + '.o'
    # Compiled once; the static binary is linked from the same object.
    for argv in (col.cc + CFLAGS + ['-I' + include, '-c', src, '-o', obj],
                 col.cc + ['-static', obj, '-o', col.bin]):
        r = run(argv)
        if r.returncode:
            return 'build failed: %s\n%s' % (' '.join(argv), r.stderr.strip())
    r = run([col.tool('objdump'), '-d', '-w', '--no-show-raw-insn', col.bin])
    if r.returncode:
        return 'objdump failed: ' + r.stderr.strip()
    col.dis = parse_objdump(r.stdout, col.arch)
    syms = {}
    for line in run([col.tool('nm'), '-S', col.bin]).stdout.splitlines():
        p = line.split()
        if len(p) == 4:
            syms.setdefault(p[3], []).append((int(p[0], 16), int(p[1], 16), p[2]))
    funcs = set()
    for line in run([col.tool('nm'), '--defined-only', obj]).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'tT':
            funcs.add(p[2])
    ranges = []
    for name, lst in syms.items():
        if name in funcs or HELPERS.match(name):
            for a, s, t in lst:
                if t in 'tTwWiI' and s:
                    ranges.append((a, s))
    if not ranges:
        return 'no function ranges for -dfilter'
    col.ranges = ','.join('0x%x+0x%x' % r for r in sorted(ranges))
    col.syms = syms
    ram = syms.get('probe_ram')
    if not ram or len(ram) != 1:
        return 'probe_ram not found in the symbol table'
    col.ram = (ram[0][0], ram[0][0] + ram[0][1])
    col.stop = syms['probe_end'][0][:2]
    if col.stop not in ranges:
        return 'probe_end is not in the logged ranges'
    return None


_ONE_INSN = {}


def one_insn_flag(qemu):
    """-one-insn-per-tb where QEMU has it (8.1 renamed -singlestep), else
    -singlestep (Debian bookworm's 7.2)."""
    if qemu not in _ONE_INSN:
        h = run([qemu, '-h']).stdout
        _ONE_INSN[qemu] = '-one-insn-per-tb' if '-one-insn-per-tb' in h else '-singlestep'
    return _ONE_INSN[qemu]


def probe_events(col, seq, policy, out):
    """The device thread for one run, as concrete ops; raises TranslateError."""
    if col.arch == 'c11':
        r = run([col.bin, seq, policy])
        if r.returncode:
            raise TranslateError('probe %s %s: %s' % (seq, policy, r.stderr.strip()))
        ops = []
        for tok in r.stdout.split():
            m = re.match(r'^([RW])@0x([0-9a-f]+)\+(\d+)$', tok)
            if m:
                off = int(m.group(2), 16) - 0x1000
                if int(m.group(3)) != 4 or off not in LOCNAME:
                    raise TranslateError('trace access %s is not one probe word' % tok)
                ops.append((m.group(1), off, ''))
            elif tok in ('mb', 'wmb', 'rmb'):
                ops.append(('B', tok))
            elif tok != 'notify':
                raise TranslateError('trace token %s not understood' % tok)
        return ops
    start = col.syms['seq_' + seq][0][:2]
    log = os.path.join(out, 'logs', '%s.%s.%s.log' % (col.name.replace(' ', '-'), seq, policy))
    os.makedirs(os.path.dirname(log), exist_ok=True)
    r = run([col.qemu, one_insn_flag(col.qemu), '-d', 'nochain,exec,cpu', '-dfilter', col.ranges,
             '-D', log, col.bin, seq, policy])
    if r.returncode:
        raise TranslateError('%s %s %s exited %d: %s' % (col.qemu, seq, policy, r.returncode,
                                                         r.stderr.strip()))
    with open(log) as f:
        entries = parse_log(f.read(), col.arch)
    events, dropped, steps = device_thread(col.arch, col.dis, entries, start, col.stop,
                                           col.ram[0], col.ram[1])
    os.unlink(log)  # large; the litmus file keeps what was learnt
    return events


def merge(col, events, dev):
    """Device template accesses + the run's events -> concrete ops."""
    want = litmus.parse_ops(dev)
    ops, k = [], 0
    for e in events:
        if e[0] == 'B':
            ops.append(e)
            continue
        kind, off, attr = e
        if k >= len(want):
            raise TranslateError('the probe made more guest-RAM accesses than the test '
                                 'expects: %s' % fmt_events(events))
        w = want[k]
        if w[0] != kind or w[1] != LOCNAME.get(off):
            raise TranslateError('access %d is %s %s, the test expects %s %s: %s'
                                 % (k, kind, LOCNAME.get(off, '+%d' % off), w[0], w[1],
                                    fmt_events(events)))
        ops.append((w[0], w[1], w[2], attr))
        k += 1
    if k != len(want):
        raise TranslateError('the probe made %d guest-RAM accesses, the test expects %d: %s'
                             % (k, len(want), fmt_events(events)))
    return ops


def fmt_events(events):
    out = []
    for e in events:
        if e[0] == 'B':
            out.append(e[1])
        else:
            out.append('%s%s %s' % (e[0], ' (%s)' % e[2] if e[2] else '',
                                    LOCNAME.get(e[1], e[1])))
    return '; '.join(out)


def herd_verdict(herd, model, path):
    r = run(herd + ['-model', model, path])
    m = re.search(r'^Observation \S+ (Never|Sometimes|Always) ', r.stdout, re.M)
    if not m:
        raise TranslateError('herd7 gave no verdict for %s: %s %s' % (path, r.stdout.strip(),
                                                                      r.stderr.strip()))
    return m.group(1)


def test_id(t):
    return re.sub(r'[^A-Za-z0-9]+', '_', '%s_%s_%s' % (t['shape'], t['form'], t['policy']))


def expected(t, col):
    """'Never', 'Sometimes' or None (not promised: shown, not judged)."""
    if t['expect'] == 'np' or (col.harch == 'C' and t['c11_np']):
        return None
    if t['expect'] == 'promised':
        return 'Never'
    if col.harch == 'X86' and not t['tso_can']:
        return 'Never'
    if col.harch == 'C' and not t['rc11_can']:
        return 'Never'
    return 'Sometimes'


def evaluate(cols, tests, herd, out, jobs):
    """Fill cell[(test index, column name)] = (verdict or 'ERROR', expected, message)."""
    cells = {}
    jobs_list = []
    for ti, t in enumerate(tests):
        for col in cols:
            if col.skip:
                continue
            ev = col.events.get((t['seq'], t['policy']))
            if isinstance(ev, str):
                cells[(ti, col.name)] = ('ERROR', expected(t, col), ev)
                continue
            try:
                dev = merge(col, ev, t['dev'])
                threads = [('d', dev)] + [(n, litmus.parse_ops(o)) for n, o in t['guests']]
                name = test_id(t)
                text = litmus.render(col.harch, name, threads, litmus.parse_cond(t['cond']),
                                     '%s, %s, policy %s, %s' % (t['shape'], t['form'],
                                                                t['policy'], col.name))
            except (TranslateError, litmus.RenderError) as e:
                cells[(ti, col.name)] = ('ERROR', expected(t, col), str(e))
                continue
            d = os.path.join(out, 'litmus', col.name.replace(' ', '-'))
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, name + '.litmus')
            with open(path, 'w') as f:
                f.write(text)
            jobs_list.append((ti, col, path))

    def one(job):
        ti, col, path = job
        try:
            return ti, col, herd_verdict(herd, col.model, path), ''
        except TranslateError as e:
            return ti, col, 'ERROR', str(e)

    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        for ti, col, v, msg in ex.map(one, jobs_list):
            cells[(ti, col.name)] = (v, expected(tests[ti], col), msg)
    return cells


def collect(cols, runs, out, jobs):
    work = [(col, s, p) for col in cols if not col.skip for s, p in runs]

    def one(job):
        col, s, p = job
        try:
            return col, s, p, probe_events(col, s, p, out)
        except TranslateError as e:
            return col, s, p, str(e)

    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        for col, s, p, ev in ex.map(one, work):
            col.events[(s, p)] = ev


def make_columns(out, include, jobs):
    cols = [Column(*c) for c in COLUMNS + [C11]]

    def one(col):
        need = [col.cc[0], col.tool('objdump') if col.qemu else None, col.qemu]
        miss = [n for n in need if n and not have(n)]
        if miss:
            col.skip = 'not installed: ' + ', '.join(miss)
        else:
            why = build(col, out, include)
            if why:
                col.skip = 'FAILED: ' + why

    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, cols))
    return cols


def cell_text(v, exp, expect_kind, col):
    if v == 'ERROR':
        return 'ERROR'
    if exp is None:
        return '%s (n.p.)' % v
    if v != exp:
        return '**%s FAIL**' % v
    if expect_kind == 'control' and exp == 'Never':
        return 'Never (%s)' % ('TSO' if col.harch == 'X86' else 'RC11')
    return v


def mutate(include, out):
    """A copy of the library whose dma_write_publish has no wmb."""
    dst = os.path.join(out, 'mutant', 'include')
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    shutil.copytree(include, dst)
    path = os.path.join(dst, 'odma', 'publish.h')
    with open(path) as f:
        lines = f.read().split('\n')
    # The fence call inside the publish function (its first line is the
    # definition, up to the closing brace in column 0).
    first = next((i for i, l in enumerate(lines)
                  if re.search(r'\b(odma|dma)_write_publish\(', l) and '{' not in l
                  and not l.startswith((' ', '\t', '#', '/', '*'))), None)
    hits = []
    if first is not None:
        last = next((i for i in range(first, len(lines)) if lines[i].startswith('}')),
                    len(lines))
        hits = [i for i in range(first, last)
                if re.search(r'\bodma__fence\(', lines[i]) and 'DMA_VARIANT_PUBLISH' in lines[i]]
    if len(hits) != 1:
        raise TranslateError('mutant: expected one odma__fence(..., DMA_VARIANT_PUBLISH) line in '
                             'the publish function of odma/publish.h, found %d' % len(hits))
    del lines[hits[0]]
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return dst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    ap.add_argument('--out', default=os.path.join(TOP, 'build', 'herd'))
    ap.add_argument('--include', default=os.path.join(TOP, 'include'))
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--no-mutant', action='store_true')
    args = ap.parse_args()
    t0 = time.time()
    # The translator's own checks first: they need neither herd7 nor qemu.
    st = selftest.run()
    st_bad = [r for r in st if not r[1]]
    for desc, _, detail in st_bad:
        print('FAIL translator self-test: %s: %s' % (desc, detail))
    print('translator self-test: %d checks, %d failed' % (len(st), len(st_bad)))
    herd, where = find_herd()
    if not herd:
        print('herd: %s.' % where)
        print('herd: get it with `opam install herdtools7` (any 7.5x), or point HERD7= at a '
              'herd7 binary (a lib/ beside its bin/ is used as the model directory).')
        if CI:
            print('herd: %d passed, %d failed' % (len(st) - len(st_bad), len(st_bad) + 1))
            return 1
        print('SKIP herd: herd7 not available (only the translator self-test ran)')
        print('herd: %d passed, %d failed' % (len(st) - len(st_bad), len(st_bad)))
        return 1 if st_bad else 0
    print('herd7: %s' % where)
    out = os.path.abspath(args.out)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    tests = spec.TESTS
    cols = make_columns(out, args.include, args.jobs)
    t_build = time.time()
    passed, failed = len(st) - len(st_bad), len(st_bad)
    for col in cols:
        if col.skip:
            print('column %s: %s' % (col.name, col.skip))
            if col.skip.startswith('FAILED') or CI:
                failed += 1
    collect(cols, spec.RUNS, out, args.jobs)
    t_qemu = time.time()
    cells = evaluate(cols, tests, herd, out, args.jobs)
    t_herd = time.time()
    live = [c for c in cols if not c.skip]

    # The device thread of every run, as translated.
    print()
    print('Device threads as executed (barriers and guest-RAM accesses between the markers):')
    print()
    print('| sequence | policy | ' + ' | '.join(c.name for c in live) + ' |')
    print('|---|---|' + '---|' * len(live))
    for s, p in spec.RUNS:
        row = []
        for c in live:
            ev = c.events.get((s, p))
            row.append('ERROR' if isinstance(ev, str) else fmt_events(ev))
        print('| %s | %s | %s |' % (s, p, ' | '.join(row)))

    print()
    print('Verdicts (herd7: can the outcome happen?). Never/Sometimes as herd7 says; '
          'n.p. = not promised by odma (shown, not judged).')
    print()
    print('| shape | form | policy | expect | ' + ' | '.join(c.name for c in live) + ' |')
    print('|---|---|---|---|' + '---|' * len(live))
    errors = []
    for ti, t in enumerate(tests):
        row = []
        for c in live:
            v, exp, msg = cells[(ti, c.name)]
            row.append(cell_text(v, exp, t['expect'], c))
            if v == 'ERROR':
                failed += 1
                errors.append('%s / %s: %s' % (test_id(t), c.name, msg))
            elif exp is not None:
                if v == exp:
                    passed += 1
                else:
                    failed += 1
                    errors.append('%s / %s: herd7 says %s, expected %s' % (test_id(t), c.name,
                                                                          v, exp))
        ex = {'promised': 'Never', 'control': 'Sometimes', 'np': 'n.p.'}[t['expect']]
        print('| %s | %s | %s | %s | %s |' % (t['shape'], t['form'], t['policy'], ex,
                                             ' | '.join(row)))
    print()
    for note in sorted({(t['shape'], t['form'], t['note']) for t in tests if t['note']}):
        print('- %s %s: %s' % note)
    for note in sorted({(t['shape'], t['form'], t['c11_np']) for t in tests if t['c11_np']}):
        print('- %s %s, C11 column: %s' % note)

    # The pipeline's own test.
    if not args.no_mutant:
        print()
        mutant_ok, mutant_msg = run_mutant(args, herd, out)
        print(mutant_msg)
        if mutant_ok:
            passed += 1
        else:
            failed += 1
    for e in errors:
        print('FAIL ' + e)
    print()
    t_end = time.time()
    print('herd: litmus files in %s' % os.path.join(out, 'litmus'))
    print('herd: run time %.0f s (builds %.0f s, qemu runs and translation %.0f s, herd7 %.0f '
          's, mutant %.0f s); %d litmus tests judged'
          % (t_end - t0, t_build - t0, t_qemu - t_build, t_herd - t_qemu, t_end - t_herd,
             sum(1 for v in cells.values() if v[0] != 'ERROR')))
    print('herd: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


def run_mutant(args, herd, out):
    mout = os.path.join(out, 'mutant')
    try:
        inc = mutate(args.include, out)
    except TranslateError as e:
        return False, 'mutant: ' + str(e)
    tests = [t for t in spec.TESTS if t['seq'] == 'publish']
    cols = make_columns(os.path.join(mout, 'build'), inc, args.jobs)
    collect(cols, sorted({(t['seq'], t['policy']) for t in tests}), mout, args.jobs)
    cells = evaluate(cols, tests, herd, mout, args.jobs)
    caught, missed = [], []
    for c in cols:
        if c.skip:
            continue
        v = [cells[(ti, c.name)][0] for ti in range(len(tests))]
        if any(x == 'ERROR' for x in v):
            missed.append('%s (ERROR)' % c.name)
        elif c.harch == 'X86':
            continue  # TSO orders the two stores anyway: no wmb instruction to remove
        elif 'Sometimes' in v:
            caught.append(c.name)
        else:
            missed.append(c.name)
    ok = bool(caught) and not missed
    return ok, ('mutant (dma_write_publish without its wmb): MP publish %s on %s%s: %s'
                % ('Sometimes', ', '.join(caught) or 'no column',
                   '; still Never on ' + ', '.join(missed) if missed else '',
                   'caught, ok' if ok else 'FAIL, the pipeline cannot see a missing barrier'))


if __name__ == '__main__':
    sys.exit(main())
