//! Build script: links the self-test example (examples/selftest.rs) with cortex-m-rt's `link.x`
//! and the memory layout, written from the board table, of the QEMU board that runs it: the
//! mps2-an385 (Cortex-M3) for thumbv7m, the microbit (Cortex-M0) for thumbv6m. The library
//! itself needs only the `armv6m` cfg, which picks `src/armv6m.s` over `src/armv7m.s`.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/armv7m.s");
    println!("cargo::rerun-if-changed=src/armv6m.s");
    println!("cargo::rustc-check-cfg=cfg(armv6m)");
    // ARMv6-M (Cortex-M0/M0+) has no Thumb-2: its routines are the Thumb-1 ones.
    let armv6m = env::var("TARGET").is_ok_and(|t| t.starts_with("thumbv6m"));
    if armv6m {
        println!("cargo::rustc-cfg=armv6m");
    }
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    println!("cargo::rerun-if-changed=../boards-table/src/lib.rs");
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        eprintln!("error: cargo did not set OUT_DIR");
        std::process::exit(1);
    };
    let board = if armv6m {
        &dendrite_boards::MICROBIT
    } else {
        &dendrite_boards::MPS2_AN385
    };
    let memory = dendrite_boards::memory_x(board);
    if let Err(e) = fs::write(out.join("memory.x"), memory) {
        eprintln!("error: writing memory.x: {e}");
        std::process::exit(1);
    }
    println!("cargo::rustc-link-arg-examples=-L{}", out.display());
    println!("cargo::rustc-link-arg-examples=-Tlink.x");
}
