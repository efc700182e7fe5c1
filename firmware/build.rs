//! Build script: links the QEMU image with cortex-m-rt's `link.x`, for bare-metal builds only
//! (host builds of the library, for its unit tests, link nothing special). The board's
//! `memory.x` comes from dendrite-runtime, which writes it from the board table.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(dendrite_softfloat)");
    // Cargo.toml links dendrite-softfloat for this target (the Cortex-M3).
    if std::env::var("TARGET").as_deref() == Ok("thumbv7m-none-eabi") {
        println!("cargo::rustc-cfg=dendrite_softfloat");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo::rustc-link-arg-bins=-Tlink.x");
    }
}
