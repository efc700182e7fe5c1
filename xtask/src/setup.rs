//! Installing what a fresh machine lacks, before any verb that builds firmware or runs it:
//! the targets and components `rust-toolchain.toml` lists, on the toolchain active in the
//! repository, and qemu-system-arm; for `cargo xtask test` on x86_64 Linux also what builds and
//! runs the host tests for aarch64 Linux under user-mode emulation ([`aarch64`]).

mod toolchain;

use crate::shell::{have, root, run};
use anyhow::{bail, Result};
use std::process::Command;
use toolchain::{Rustup, Wanted};

/// The second CPU architecture the trainer's determinism is checked on.
pub const AARCH64: &str = "aarch64-unknown-linux-gnu";

/// Installs what is missing of the toolchain's targets and components, and QEMU.
///
/// # Errors
/// One line naming what could not be installed and the command that installs it.
pub fn all() -> Result<()> {
    let root = root();
    let wanted = Wanted::read(&root.join("rust-toolchain.toml"))?;
    toolchain::ensure(&Rustup::on_path(&root), &wanted)?;
    install(&QEMU_SYSTEM_ARM)
}

/// How the aarch64 host tests run on this machine.
pub enum Aarch64 {
    /// Cross-built, then run under user-mode emulation: the emulator, and the linker.
    Emulated {
        /// `qemu-aarch64` (or `qemu-aarch64-static`).
        qemu: &'static str,
        /// The cross linker.
        linker: &'static str,
    },
    /// Not here, and why.
    Skipped(&'static str),
}

/// What the aarch64 host tests need on an x86_64 Linux machine, installed as qemu-system-arm
/// is: the rustup target, a cross linker with aarch64 glibc, and qemu's user-mode emulator.
/// Elsewhere there is nothing to install: an aarch64 host (Apple silicon, aarch64 Linux) runs
/// the same checks natively in the host tests, and qemu's user mode exists only on Linux.
///
/// # Errors
/// One line naming what could not be installed and the command that installs it.
pub fn aarch64() -> Result<Aarch64> {
    if std::env::consts::ARCH == "aarch64" {
        return Ok(Aarch64::Skipped(
            "this machine is aarch64: the host tests above ran the same-bytes checks natively",
        ));
    }
    if std::env::consts::OS != "linux" {
        return Ok(Aarch64::Skipped(
            "qemu's user-mode emulation runs on Linux only; run `cargo xtask test` on Linux or \
             an aarch64 machine (Apple silicon) for the second architecture",
        ));
    }
    let root = root();
    let wanted = Wanted::read(&root.join("rust-toolchain.toml"))?;
    toolchain::ensure(&Rustup::on_path(&root), &wanted.only_targets(&[AARCH64]))?;
    install(&CROSS_LINKER)?;
    install(&QEMU_USER)?;
    let qemu = ["qemu-aarch64", "qemu-aarch64-static"]
        .into_iter()
        .find(|p| have(p))
        .unwrap_or("qemu-aarch64");
    Ok(Aarch64::Emulated {
        qemu,
        linker: CROSS_LINKER.program,
    })
}

/// A program a check needs, and the packages that install it.
struct Tool {
    /// The program looked for on the PATH.
    program: &'static str,
    /// Another program that does as well (`qemu-aarch64-static` for `qemu-aarch64`).
    alternative: Option<&'static str>,
    /// What it is for, in the error.
    purpose: &'static str,
    /// Debian's packages.
    apt: &'static [&'static str],
    /// Fedora's packages.
    dnf: &'static [&'static str],
    /// Homebrew's formula, when it has one.
    brew: Option<&'static str>,
}

const QEMU_SYSTEM_ARM: Tool = Tool {
    program: "qemu-system-arm",
    alternative: None,
    purpose: "the firmware runs under it",
    apt: &["qemu-system-arm"],
    dnf: &["qemu-system-arm"],
    brew: Some("qemu"),
};

const QEMU_USER: Tool = Tool {
    program: "qemu-aarch64",
    alternative: Some("qemu-aarch64-static"),
    purpose: "the aarch64 host tests run under it",
    apt: &["qemu-user"],
    dnf: &["qemu-user"],
    brew: None,
};

const CROSS_LINKER: Tool = Tool {
    program: "aarch64-linux-gnu-gcc",
    alternative: None,
    purpose: "it links the aarch64 host tests",
    apt: &["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
    // Fedora's cross compiler has no aarch64 glibc to link against.
    dnf: &[],
    brew: None,
};

impl Tool {
    fn present(&self) -> bool {
        have(self.program) || self.alternative.is_some_and(have)
    }
}

/// `tool` from the distribution when running as root with apt-get; otherwise the one command
/// that installs it on this system.
fn install(tool: &Tool) -> Result<()> {
    if tool.present() {
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
            run(Command::new("apt-get")
                .args(["install", "-y", "-q"])
                .args(tool.apt))
        });
        if tool.present() {
            return Ok(());
        }
    }
    bail!(
        "{} is not installed ({}); install it {}",
        tool.program,
        tool.purpose,
        hint(tool, std::env::consts::OS, apt, root_user)
    )
}

/// How to install `tool` on `os` (as `std::env::consts::OS` names it).
fn hint(tool: &Tool, os: &str, apt: bool, root_user: bool) -> String {
    let apt_line = tool.apt.join(" ");
    let dnf_line = tool.dnf.join(" ");
    match (os, apt, root_user, tool.brew) {
        ("macos", _, _, Some(formula)) => format!("with Homebrew: brew install {formula}"),
        ("windows", _, _, _) => format!(
            "from https://www.qemu.org/download/#windows and put {}.exe on PATH",
            tool.program
        ),
        (_, true, true, _) => format!("with: apt-get install -y {apt_line}"),
        (_, true, false, _) => format!("with: sudo apt-get install -y {apt_line}"),
        _ => format!(
            "with the system's package manager (Debian/Ubuntu: apt-get install {apt_line}{}{})",
            if dnf_line.is_empty() {
                String::new()
            } else {
                format!("; Fedora: dnf install {dnf_line}")
            },
            tool.brew
                .map(|f| format!("; macOS: brew install {f}"))
                .unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{hint, CROSS_LINKER, QEMU_SYSTEM_ARM, QEMU_USER};

    #[test]
    fn qemu_hint_names_homebrew_on_macos_and_sudo_for_users() {
        let qemu = &QEMU_SYSTEM_ARM;
        assert!(hint(qemu, "macos", false, false).ends_with("brew install qemu"));
        assert!(
            hint(qemu, "linux", true, false).ends_with("sudo apt-get install -y qemu-system-arm")
        );
        let other = hint(qemu, "linux", false, false);
        assert!(other.contains("dnf install qemu-system-arm") && !other.contains('\n'));
        assert!(hint(qemu, "windows", false, false).contains("qemu-system-arm.exe on PATH"));
    }

    #[test]
    fn the_aarch64_tools_come_from_debian_packages_that_exist() {
        assert!(hint(&QEMU_USER, "linux", true, true).ends_with("apt-get install -y qemu-user"));
        assert!(hint(&CROSS_LINKER, "linux", true, false)
            .ends_with("sudo apt-get install -y gcc-aarch64-linux-gnu libc6-dev-arm64-cross"));
    }
}
