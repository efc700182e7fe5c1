//! Build script: links the QEMU image with cortex-m-rt's `link.x`, for bare-metal builds only
//! (host builds of the library, for its unit tests, link nothing special). The board's
//! `memory.x` comes from dendrite-runtime, which writes it from the board table.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(dendrite_softfloat)");
    // Cargo.toml links dendrite-softfloat for these targets (the Cortex-M3 and M0, no FPU).
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "thumbv7m-none-eabi" || target == "thumbv6m-none-eabi" {
        println!("cargo::rustc-cfg=dendrite_softfloat");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo::rustc-link-arg-bins=-Tlink.x");
    }
}
