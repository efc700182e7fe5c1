//! Installing what a fresh machine lacks, before any verb that builds firmware or runs it:
//! the targets and components `rust-toolchain.toml` lists, on the toolchain active in the
//! repository, and qemu-system-arm.

mod toolchain;

use crate::shell::{have, root, run};
use anyhow::{bail, Result};
use std::process::Command;
use toolchain::{Rustup, Wanted};

/// Installs what is missing of the toolchain's targets and components, and QEMU.
///
/// # Errors
/// One line naming what could not be installed and the command that installs it.
pub fn all() -> Result<()> {
    let root = root();
    let wanted = Wanted::read(&root.join("rust-toolchain.toml"))?;
    toolchain::ensure(&Rustup::on_path(&root), &wanted)?;
    qemu()
}

/// qemu-system-arm from the distribution when running as root with apt-get; otherwise the one
/// command that installs it on this system.
fn qemu() -> Result<()> {
    if have("qemu-system-arm") {
        return Ok(());
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let apt = have("apt-get");
    if root_user && apt {
        // A failure here is reported by the check below, with the command to run.
        let _ = run(Command::new("apt-get").args(["update", "-q"])).and_then(|()| {
            run(Command::new("apt-get").args(["install", "-y", "-q", "qemu-system-arm"]))
        });
        if have("qemu-system-arm") {
            return Ok(());
        }
    }
    bail!(
        "qemu-system-arm is not installed (the firmware runs under it); install it {}",
        qemu_hint(std::env::consts::OS, apt, root_user)
    )
}

/// How to install qemu-system-arm on `os` (as `std::env::consts::OS` names it).
fn qemu_hint(os: &str, apt: bool, root_user: bool) -> &'static str {
    match (os, apt, root_user) {
        ("macos", _, _) => "with Homebrew: brew install qemu",
        (_, true, true) => "with: apt-get install -y qemu-system-arm",
        (_, true, false) => "with: sudo apt-get install -y qemu-system-arm",
        _ => {
            "with the system's package manager (Debian/Ubuntu: apt-get install qemu-system-arm; \
              Fedora: dnf install qemu-system-arm; macOS: brew install qemu)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::qemu_hint;

    #[test]
    fn qemu_hint_names_homebrew_on_macos_and_sudo_for_users() {
        assert!(qemu_hint("macos", false, false).ends_with("brew install qemu"));
        assert!(
            qemu_hint("linux", true, false).ends_with("sudo apt-get install -y qemu-system-arm")
        );
        let other = qemu_hint("linux", false, false);
        assert!(other.contains("dnf install qemu-system-arm") && !other.contains('\n'));
    }
}
