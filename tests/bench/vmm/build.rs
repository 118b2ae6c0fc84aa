// SPDX-License-Identifier: MIT
// Links odma's micro-benchmark kernels (tests/bench/kernels.c, built once
// with gcc and once with clang) as a static library, so that the peer and
// odma are timed in one process, in the same interleaved rounds.
fn main() {
    let dir = std::env::var("ODMA_KERNELS_DIR")
        .expect("set ODMA_KERNELS_DIR to the directory holding libodmakernels.a");
    println!("cargo:rerun-if-env-changed=ODMA_KERNELS_DIR");
    println!("cargo:rerun-if-changed={}/libodmakernels.a", dir);
    println!("cargo:rustc-link-search=native={}", dir);
    println!("cargo:rustc-link-lib=static=odmakernels");
}
