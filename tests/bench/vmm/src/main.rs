// SPDX-License-Identifier: MIT
//! odma's relaxed 4-byte ld/st against rust-vmm's vm-memory in one process.
//!
//! The odma kernels are the ones `micro` times (kernels.c, the gcc and the
//! clang copy, linked in as a static library); the vm-memory kernels below
//! walk the same addresses (4-byte steps through a 4 KiB window, reads at
//! guest 0x0, writes at 0x1000) of a one-region GuestMemoryMmap. Every
//! kernel's run count is calibrated to about 0.5 ms, then each round runs
//! every kernel once; reported per kernel: minimum and median ns per access
//! over the rounds, and the paired median (median over rounds of the ratio
//! to odma's gcc relaxed kernel of the same direction in that round).
//!
//! usage: odma-vmm-peer [--quick] [--csv FILE]

use std::ffi::CStr;
use std::io::Write;
use std::os::raw::{c_char, c_int, c_uint, c_ulong};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

#[repr(C)]
struct BenchKernel {
    size: *const c_char,
    pattern: *const c_char,
    variant: *const c_char,
    accesses: c_uint,
    run: extern "C" fn(c_ulong) -> u64,
}

#[repr(C)]
struct BenchSet {
    cc: *const c_char,
    init: extern "C" fn() -> c_int,
    kernels: *const BenchKernel,
    count: usize,
}

extern "C" {
    static bench_set_gcc: BenchSet;
    static bench_set_clang: BenchSet;
}

const RD_BASE: u64 = 0x0;
const WR_BASE: u64 = 0x1000;
const WIN: u64 = 0x1000;

type Mem = GuestMemoryMmap<()>;

/// Every kernel's result goes here, so that no loop can be optimised away
/// (std::hint::black_box is not stable in Debian's rustc 1.63).
static SINK: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
fn vmm_load(m: &Mem, n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        let a = RD_BASE + ((i * 4) & (WIN - 1));
        match m.load::<u32>(GuestAddress(a), Ordering::Relaxed) {
            Ok(v) => acc += v as u64,
            Err(_) => acc += 1 << 40,
        }
    }
    acc
}

#[inline(never)]
fn vmm_store(m: &Mem, n: u64) -> u64 {
    let mut fails = 0u64;
    for i in 0..n {
        let a = WR_BASE + ((i * 4) & (WIN - 1));
        if m.store(i as u32, GuestAddress(a), Ordering::Relaxed).is_err() {
            fails += 1;
        }
    }
    fails
}

#[inline(never)]
fn vmm_read_obj(m: &Mem, n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        let a = RD_BASE + ((i * 4) & (WIN - 1));
        match m.read_obj::<u32>(GuestAddress(a)) {
            Ok(v) => acc += v as u64,
            Err(_) => acc += 1 << 40,
        }
    }
    acc
}

#[inline(never)]
fn vmm_write_obj(m: &Mem, n: u64) -> u64 {
    let mut fails = 0u64;
    for i in 0..n {
        let a = WR_BASE + ((i * 4) & (WIN - 1));
        if m.write_obj(i as u32, GuestAddress(a)).is_err() {
            fails += 1;
        }
    }
    fails
}

enum Run {
    C(extern "C" fn(c_ulong) -> u64),
    Vmm(fn(&Mem, u64) -> u64),
}

struct Kernel {
    name: String,
    pattern: &'static str,
    cc: &'static str,
    run: Run,
    n: u64,
    ns: Vec<f64>,
}

fn cstr(p: *const c_char) -> &'static str {
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?")
}

fn time_run(k: &Kernel, mem: &Mem, n: u64) -> f64 {
    let t0 = Instant::now();
    let v = match k.run {
        Run::C(f) => f(n as c_ulong),
        Run::Vmm(f) => f(mem, n),
    };
    SINK.fetch_add(v, Ordering::Relaxed);
    t0.elapsed().as_nanos() as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let mut quick = false;
    let mut csv: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--csv" => csv = args.next(),
            _ => {
                eprintln!("usage: odma-vmm-peer [--quick] [--csv FILE]");
                std::process::exit(2);
            }
        }
    }
    let rounds = if quick { 3 } else { 21 };
    let run_ns = if quick { 1e5 } else { 5e5 };

    let mem: Mem = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), 0x10000)])
        .expect("vm-memory: cannot map guest memory");

    // The vm-memory kernels must do what they claim: a stored value loads
    // back (1027 stores wrap the 4 KiB window: the last, 1026, lands at +8).
    if vmm_store(&mem, 1027) != 0 || vmm_write_obj(&mem, 1027) != 0 {
        eprintln!("vm-memory: store/write_obj failed");
        std::process::exit(1);
    }
    let back: u32 = mem.load(GuestAddress(WR_BASE + 8), Ordering::Relaxed).unwrap();
    let obj: u32 = mem.read_obj(GuestAddress(WR_BASE + 8)).unwrap();
    if back != 1026 || obj != 1026 {
        eprintln!("vm-memory: read back {} / {}, expected 1026", back, obj);
        std::process::exit(1);
    }

    let mut ks: Vec<Kernel> = Vec::new();
    for set in unsafe { [&bench_set_gcc, &bench_set_clang] } {
        let cc = cstr(set.cc);
        if (set.init)() != 0 {
            eprintln!("odma kernels ({}): init failed", cc);
            std::process::exit(1);
        }
        let table = unsafe { std::slice::from_raw_parts(set.kernels, set.count) };
        for k in table {
            let (size, pattern, variant) = (cstr(k.size), cstr(k.pattern), cstr(k.variant));
            if size == "4B" && (pattern == "rd" || pattern == "wr")
                && (variant == "raw" || variant == "relaxed")
            {
                let name = if variant == "raw" {
                    if pattern == "rd" { "raw volatile load" } else { "raw volatile store" }
                } else if pattern == "rd" {
                    "odma dma_ld_le32_relaxed"
                } else {
                    "odma dma_st_le32_relaxed"
                };
                ks.push(Kernel { name: name.to_string(), pattern: if pattern == "rd" { "rd" } else { "wr" },
                                 cc, run: Run::C(k.run), n: 64, ns: Vec::new() });
            }
        }
    }
    let rust: [(&str, &'static str, fn(&Mem, u64) -> u64); 4] = [
        ("vm-memory load::<u32>(Relaxed)", "rd", vmm_load),
        ("vm-memory read_obj::<u32>", "rd", vmm_read_obj),
        ("vm-memory store::<u32>(Relaxed)", "wr", vmm_store),
        ("vm-memory write_obj::<u32>", "wr", vmm_write_obj),
    ];
    for (name, pattern, f) in rust {
        ks.push(Kernel { name: name.to_string(), pattern, cc: "rustc", run: Run::Vmm(f), n: 64, ns: Vec::new() });
    }
    if ks.len() != 12 {
        eprintln!("expected 8 odma kernels from kernels.c, found {}", ks.len() - 4);
        std::process::exit(1);
    }

    for i in 0..ks.len() {
        while time_run(&ks[i], &mem, ks[i].n) < run_ns && ks[i].n < (1 << 30) {
            ks[i].n *= 2;
        }
    }
    for _ in 0..rounds {
        for i in 0..ks.len() {
            let t = time_run(&ks[i], &mem, ks[i].n) / ks[i].n as f64;
            ks[i].ns.push(t);
        }
    }

    let reference = |pattern: &str| {
        ks.iter()
            .position(|k| k.cc == "gcc" && k.pattern == pattern && k.name.starts_with("odma"))
            .unwrap()
    };
    let mut out = csv.map(|p| {
        std::fs::OpenOptions::new().append(true).create(true).open(&p)
            .unwrap_or_else(|e| { eprintln!("{}: {}", p, e); std::process::exit(1) })
    });
    println!("| 4-byte access | built by | ns min (median) | x odma gcc relaxed: paired median |");
    println!("|---|---|---:|---:|");
    for pattern in ["rd", "wr"] {
        let r = reference(pattern);
        for k in ks.iter().filter(|k| k.pattern == pattern) {
            let mut s = k.ns.clone();
            let med = median(&mut s);
            let (min, max) = (s[0], s[s.len() - 1]);
            let mut ratio: Vec<f64> = k.ns.iter().zip(ks[r].ns.iter()).map(|(a, b)| a / b).collect();
            let pmed = median(&mut ratio);
            println!("| {} | {} | {:.2} ({:.2}) | {:.2} |", k.name, k.cc, min, med, pmed);
            if let Some(f) = out.as_mut() {
                writeln!(f, "peer,4B,{},{},{},ns,{:.4},{:.4},{:.4},{}", pattern, k.name, k.cc, med, min, max, rounds).unwrap();
                writeln!(f, "peer,4B,{},{},{},xodma,{:.4},{:.4},{:.4},{}", pattern, k.name, k.cc, pmed, ratio[0], ratio[ratio.len() - 1], rounds).unwrap();
            }
        }
    }
    println!("\n({} interleaved rounds of about {:.1} ms per kernel; one process)", rounds, run_ns / 1e6);
}
