//! Installing what a fresh machine lacks.

use crate::shell::{have, root, run};
use anyhow::{bail, Result};
use std::process::Command;

/// The Cortex-M targets the firmware builds for (also listed in `rust-toolchain.toml`).
const TARGETS: [&str; 3] = [
    "thumbv7em-none-eabihf",
    "thumbv7m-none-eabi",
    "thumbv8m.main-none-eabihf",
];

/// Installs the targets and QEMU if they are missing.
pub fn all() -> Result<()> {
    targets()?;
    qemu()
}

/// `rustup target add` for the pinned toolchain: `rust-toolchain.toml` lists the targets, but a
/// plain `cargo build` does not install a missing one.
fn targets() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root())
        .output()?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    let missing: Vec<&str> = TARGETS
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(Command::new("rustup")
        .args(["target", "add"])
        .args(&missing)
        .current_dir(root()))
}

/// qemu-system-arm from the distribution, when running as root; otherwise say how.
fn qemu() -> Result<()> {
    if have("qemu-system-arm") {
        return Ok(());
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !root_user || !have("apt-get") {
        bail!(
            "qemu-system-arm is not installed; install it with:\n    sudo apt-get install -y qemu-system-arm"
        );
    }
    run(Command::new("apt-get").args(["update", "-q"]))?;
    run(Command::new("apt-get").args(["install", "-y", "-q", "qemu-system-arm"]))
}
