# SPDX-License-Identifier: MIT
"""
tests/herd/tests.py - the litmus tests `make herd` builds: shape, form, the
probe sequence and policy that give the device thread, the guest threads,
the outcome asked about, and what is expected of it.

Ops are written abstractly and rendered per architecture by litmus.py:
  'W x 1'   store 1 to x          'R y r0'  load y into register r0
  'F mb'    the guest's smp_mb()  'F wmb'   smp_wmb()   'F rmb'  smp_rmb()
The device thread ('d') lists only its accesses, in program order, with
their values and registers: its instructions, barriers included, come from
the probe run (translate.py), and the translator's accesses must match this
list kind for kind and location for location, or the test fails.
Locations: x, y, z are the probe's guest words at +0, +4, +8.

Conditions: 'd:r0=1' (device register), 'g:r0=0' (guest thread g),
'x=2' (final value), joined by ' & '.

Expectation of a row:
  promised   odma promises the outcome cannot happen: herd7 must say Never.
  control    the same instructions with the barriers odma's policy leaves
             out (policy NONE) or a form odma does not promise to order:
             must be Sometimes, which shows the test can see the outcome
             at all (its power). Where a model forbids even the unfenced
             shape (x86-TSO for everything without a write->read pair;
             RC11 for load buffering), the row says so and counts neither way.
  np         "not promised": printed with the model's verdict, never a
             failure (R with a wmb on the device side, on POWER, is the
             documented case).
c11_np marks a row promised on the hardware models whose promise the C11
level does not carry (shown as n.p. in the C11 column, with the reason).
"""

# name, shape, form, seq, policy, device accesses, guests, condition, expect, note
# guests: list of (thread name, [ops]); the device thread is placed first.


def T(shape, form, seq, policy, dev, guests, cond, expect, note='', tso_can=False,
      rc11_can=True, c11_np=''):
    return dict(shape=shape, form=form, seq=seq, policy=policy, dev=dev, guests=guests,
                cond=cond, expect=expect, note=note, tso_can=tso_can, rc11_can=rc11_can,
                c11_np=c11_np)


MP_READER = [('g', ['R y r0', 'F rmb', 'R x r1'])]
MP_WRITER = [('g', ['W x 1', 'F wmb', 'W y 1'])]
MP_DEV_W = ['W x 1', 'W y 1']
MP_DEV_R = ['R y r0', 'R x r1']
SB_GUEST = [('g', ['W y 1', 'F mb', 'R x r0'])]
LB_GUEST = [('g', ['R y r0', 'F mb', 'W x 1'])]
R_GUEST_MB = [('g', ['W y 2', 'F mb', 'R x r0'])]

TESTS = [
    # MP: device writes, guest reads flag, rmb, body.
    T('MP', 'publish', 'publish', 'none', MP_DEV_W, MP_READER, 'g:r0=1 & g:r1=0', 'promised',
      'dma_write_publish: body, wmb, flag'),
    T('MP', 'st;st', 'st_st', 'strict', MP_DEV_W, MP_READER, 'g:r0=1 & g:r1=0', 'promised'),
    T('MP', 'st;st', 'st_st', 'pcie', MP_DEV_W, MP_READER, 'g:r0=1 & g:r1=0', 'promised'),
    T('MP', 'st;st', 'st_st', 'pcie-relaxed', MP_DEV_W, MP_READER, 'g:r0=1 & g:r1=0', 'np',
      'PCIE_RELAXED: W->W gets no barrier'),
    T('MP', 'st;release st', 'st_strel', 'none', MP_DEV_W, MP_READER, 'g:r0=1 & g:r1=0',
      'promised'),
    T('MP', 'st;st', 'st_st', 'none', MP_DEV_W, MP_READER, 'g:r0=1 & g:r1=0', 'control'),
    # MP: guest writes body, wmb, flag; device reads.
    T('MP', 'consume', 'consume', 'none', MP_DEV_R, MP_WRITER, 'd:r0=1 & d:r1=0', 'promised',
      'dma_read_consume: flag, rmb, body'),
    T('MP', 'ld;ld', 'ld_ld', 'strict', MP_DEV_R, MP_WRITER, 'd:r0=1 & d:r1=0', 'promised'),
    T('MP', 'ld;ld', 'ld_ld', 'pcie', MP_DEV_R, MP_WRITER, 'd:r0=1 & d:r1=0', 'np',
      'PCIE: the reader\'s R->R gets no barrier'),
    T('MP', 'acquire ld;ld', 'ldacq_ld', 'pcie', MP_DEV_R, MP_WRITER, 'd:r0=1 & d:r1=0',
      'promised'),
    T('MP', 'ld;ld', 'ld_ld', 'none', MP_DEV_R, MP_WRITER, 'd:r0=1 & d:r1=0', 'control'),
    # SB: device st; ld against a guest mb.
    T('SB', 'st;ld', 'st_ld', 'strict', ['W x 1', 'R y r0'], SB_GUEST, 'd:r0=0 & g:r0=0',
      'promised'),
    T('SB', 'st;ld', 'st_ld', 'pcie', ['W x 1', 'R y r0'], SB_GUEST, 'd:r0=0 & g:r0=0',
      'promised'),
    T('SB', 'st;ld', 'st_ld', 'pcie-relaxed', ['W x 1', 'R y r0'], SB_GUEST, 'd:r0=0 & g:r0=0',
      'promised'),
    T('SB', 'st;ld', 'st_ld', 'none', ['W x 1', 'R y r0'], SB_GUEST, 'd:r0=0 & g:r0=0',
      'control', tso_can=True),
    # SB: publish a record (flag x, body y), notify barrier, read the guest's z.
    T('SB', 'publish;notify;ld', 'pub_notify_ld', 'strict', ['W y 1', 'W x 1', 'R z r0'],
      [('g', ['W z 1', 'F mb', 'R x r0'])], 'd:r0=0 & g:r0=0', 'promised'),
    T('SB', 'publish;notify;ld', 'pub_notify_ld', 'pcie', ['W y 1', 'W x 1', 'R z r0'],
      [('g', ['W z 1', 'F mb', 'R x r0'])], 'd:r0=0 & g:r0=0', 'promised'),
    T('SB', 'publish;notify;ld', 'pub_notify_ld', 'none', ['W y 1', 'W x 1', 'R z r0'],
      [('g', ['W z 1', 'F mb', 'R x r0'])], 'd:r0=0 & g:r0=0', 'control', tso_can=True),
    # LB: device ld; st against a guest mb.
    T('LB', 'ld;st', 'ld_st', 'strict', ['R x r0', 'W y 1'], LB_GUEST, 'd:r0=1 & g:r0=1',
      'promised'),
    T('LB', 'ld;st', 'ld_st', 'pcie', ['R x r0', 'W y 1'], LB_GUEST, 'd:r0=1 & g:r0=1', 'np',
      'PCIE: R->W gets no barrier'),
    T('LB', 'ld;st', 'ld_st', 'none', ['R x r0', 'W y 1'], LB_GUEST, 'd:r0=1 & g:r0=1',
      'control', rc11_can=False),
    # S, device writes: W x=2; W y=1 || R y; mb; W x=1.
    T('S', 'st;st', 'st_st', 'strict', ['W x 2', 'W y 1'], LB_GUEST, 'g:r0=1 & x=2',
      'promised'),
    T('S', 'st;st', 'st_st', 'pcie', ['W x 2', 'W y 1'], LB_GUEST, 'g:r0=1 & x=2', 'promised'),
    T('S', 'st;st', 'st_st', 'none', ['W x 2', 'W y 1'], LB_GUEST, 'g:r0=1 & x=2', 'control'),
    # S, device reads: W y=2; wmb; W x=1 || R x; W y=1.
    T('S', 'ld;st', 'ld_st', 'strict', ['R x r0', 'W y 1'],
      [('g', ['W y 2', 'F wmb', 'W x 1'])], 'd:r0=1 & y=2', 'promised'),
    T('S', 'ld;st', 'ld_st', 'pcie', ['R x r0', 'W y 1'],
      [('g', ['W y 2', 'F wmb', 'W x 1'])], 'd:r0=1 & y=2', 'np', 'PCIE: R->W gets no barrier'),
    T('S', 'ld;st', 'ld_st', 'none', ['R x r0', 'W y 1'],
      [('g', ['W y 2', 'F wmb', 'W x 1'])], 'd:r0=1 & y=2', 'control'),
    # 2+2W: W x=1; W y=2 || W y=1; W x=2; final x=1 and y=1.
    T('2+2W', 'st;st', 'st_st', 'strict', ['W x 1', 'W y 2'],
      [('g', ['W y 1', 'F wmb', 'W x 2'])], 'x=1 & y=1', 'np',
      'wmb on both sides: allowed by LKMM and C11'),
    T('2+2W', 'st;mb;st', 'st_mb_st', 'none', ['W x 1', 'W y 2'],
      [('g', ['W y 1', 'F mb', 'W x 2'])], 'x=1 & y=1', 'promised', 'odma_mb() between'),
    T('2+2W', 'st;st', 'st_st', 'none', ['W x 1', 'W y 2'],
      [('g', ['W y 1', 'F wmb', 'W x 2'])], 'x=1 & y=1', 'control'),
    # R, device on the wmb side: W x=1; W y=1 || W y=2; mb; R x.
    T('R', 'st;st', 'st_st', 'strict', MP_DEV_W, R_GUEST_MB, 'y=2 & g:r0=0', 'np',
      'needs mb on both sides (POWER: R+lwsync+sync)'),
    T('R', 'st;mb;st', 'st_mb_st', 'none', MP_DEV_W, R_GUEST_MB, 'y=2 & g:r0=0', 'promised',
      'odma_mb() between'),
    T('R', 'st;st', 'st_st', 'none', MP_DEV_W, R_GUEST_MB, 'y=2 & g:r0=0', 'control'),
    # R, device on the mb side: W y=1; mb; W x=1... as the device's st;ld:
    # W x=2; R y || W y=1; mb; W x=1.
    T('R', 'st;ld (mb side)', 'st_ld', 'strict', ['W x 2', 'R y r0'],
      [('g', ['W y 1', 'F mb', 'W x 1'])], 'x=2 & d:r0=0', 'promised'),
    T('R', 'st;ld (mb side)', 'st_ld', 'pcie-relaxed', ['W x 2', 'R y r0'],
      [('g', ['W y 1', 'F mb', 'W x 1'])], 'x=2 & d:r0=0', 'promised'),
    T('R', 'st;ld (mb side)', 'st_ld', 'none', ['W x 2', 'R y r0'],
      [('g', ['W y 1', 'F mb', 'W x 1'])], 'x=2 & d:r0=0', 'control', tso_can=True),
    # WRC: guest W x=1 || device R x; W y=1 || guest R y; rmb; R x.
    T('WRC', 'ld;st', 'ld_st', 'strict', ['R x r0', 'W y 1'],
      [('g', ['W x 1']), ('h', ['R y r0', 'F rmb', 'R x r1'])],
      'd:r0=1 & h:r0=1 & h:r1=0', 'promised',
      c11_np='C11: an acquire fence gives the later relaxed store no release semantics, so '
      'nothing carries x=1 to h; the hardware rmbs (dmb ishld, lwsync, fence r,rw or '
      'stronger) are cumulative and forbid it'),
    T('WRC', 'ld;st', 'ld_st', 'pcie', ['R x r0', 'W y 1'],
      [('g', ['W x 1']), ('h', ['R y r0', 'F rmb', 'R x r1'])],
      'd:r0=1 & h:r0=1 & h:r1=0', 'np', 'PCIE: R->W gets no barrier'),
    T('WRC', 'ld;st', 'ld_st', 'none', ['R x r0', 'W y 1'],
      [('g', ['W x 1']), ('h', ['R y r0', 'F rmb', 'R x r1'])],
      'd:r0=1 & h:r0=1 & h:r1=0', 'control'),
]

# Sequences and policies the probe must run (one qemu run each).
RUNS = sorted({(t['seq'], t['policy']) for t in TESTS})
