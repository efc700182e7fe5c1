//! Build script: puts this board's `memory.x` on the linker's path and links with cortex-m-rt's
//! `link.x` (the HAL's PAC supplies `device.x`).

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=memory.x");
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        eprintln!("error: cargo did not set OUT_DIR");
        std::process::exit(1);
    };
    if let Err(e) = fs::copy("memory.x", out.join("memory.x")) {
        eprintln!("error: copying memory.x: {e}");
        std::process::exit(1);
    }
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rustc-link-arg-bins=-Tlink.x");
}
