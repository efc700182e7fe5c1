//! Build script: links with cortex-m-rt's `link.x`. The board's `memory.x` (with the boot2
//! region) comes from dendrite-runtime (its `board-rp-pico` feature), written from the board
//! table; rp2040-pac supplies `device.x`.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-link-arg-bins=-Tlink.x");
}
