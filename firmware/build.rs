//! Build script: links with cortex-m-rt's `link.x`, this board's `memory.x` and `device.x`, for bare-metal
//! builds only (host builds of the library, for its unit tests, link nothing special).

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    for file in ["memory.x", "device.x"] {
        if let Err(e) = fs::copy(file, out.join(file)) {
            eprintln!("error: copying {file} to {}: {e}", out.display());
            std::process::exit(1);
        }
        println!("cargo:rerun-if-changed={file}");
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
