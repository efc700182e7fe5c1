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

/// The components `cargo xtask test` needs (also listed in `rust-toolchain.toml`).
const COMPONENTS: [&str; 2] = ["rustfmt", "clippy"];

/// Installs the toolchain's targets and components, and QEMU, if they are missing.
pub fn all() -> Result<()> {
    toolchain()?;
    qemu()
}

/// `rustup toolchain install` in the repository when a target or component of
/// `rust-toolchain.toml` is missing: a plain `cargo build` installs neither.
fn toolchain() -> Result<()> {
    let listed = |what: &str| -> Result<String> {
        let out = Command::new("rustup")
            .args([what, "list", "--installed"])
            .current_dir(root())
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (targets, components) = (listed("target")?, listed("component")?);
    let has = |list: &str, name: &str| list.lines().any(|l| l.trim().starts_with(name));
    let complete =
        TARGETS.iter().all(|t| has(&targets, t)) && COMPONENTS.iter().all(|c| has(&components, c));
    if complete {
        return Ok(());
    }
    run(Command::new("rustup")
        .args(["toolchain", "install"])
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
