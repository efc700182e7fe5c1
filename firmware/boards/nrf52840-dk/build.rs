//! Build script: links with cortex-m-rt's `link.x`. The board's `memory.x` comes from
//! dendrite-runtime (its `board-<name>` feature), written from the board table; the HAL's PAC
//! supplies `device.x`.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-link-arg-bins=-Tlink.x");
}
