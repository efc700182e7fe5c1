//! The toolchain's targets and components: what `rust-toolchain.toml` asks for, what `rustup`
//! says the toolchain active in the repository has, and the `rustup` commands for the rest.
//!
//! rustup installs a toolchain file's targets and components only when it installs the
//! toolchain itself: a user who already has the pinned version (often their `stable`) has none
//! of the Cortex-M targets, and `cargo build` does not add them.

use crate::shell::run;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `rust-toolchain.toml` asks for.
#[derive(Debug, Deserialize)]
pub struct Wanted {
    /// The pinned toolchain, installed under this name when rustup has no active one.
    channel: String,
    /// Targets the firmware builds for.
    #[serde(default)]
    targets: Vec<String>,
    /// Components the checks use (rustfmt, clippy).
    #[serde(default)]
    components: Vec<String>,
    /// rustup's profile for a new install.
    #[serde(default = "minimal")]
    profile: String,
}

fn minimal() -> String {
    "minimal".into()
}

/// The file's one table.
#[derive(Deserialize)]
struct ToolchainFile {
    toolchain: Wanted,
}

impl Wanted {
    /// Reads `rust-toolchain.toml`.
    ///
    /// # Errors
    /// The file cannot be read or has no `[toolchain]` table with a `channel`.
    pub fn read(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// The same toolchain with `targets` alone: an extra target some checks need (the aarch64
    /// host tests), installed by [`ensure`] like the file's own.
    pub fn only_targets(&self, targets: &[&str]) -> Self {
        Self {
            channel: self.channel.clone(),
            targets: targets.iter().map(|&t| t.to_owned()).collect(),
            components: Vec::new(),
            profile: self.profile.clone(),
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(toml::from_str::<ToolchainFile>(text)?.toolchain)
    }
}

/// The `rustup` setup asks and installs with.
pub struct Rustup {
    /// The program.
    program: OsString,
    /// Arguments before rustup's own (none for the real one).
    leading: Vec<OsString>,
    /// Where it runs: the repository, whose `rust-toolchain.toml` selects the toolchain.
    dir: PathBuf,
}

impl Rustup {
    /// `rustup` from the PATH, run in `dir`.
    pub fn on_path(dir: &Path) -> Self {
        Self {
            program: "rustup".into(),
            leading: Vec::new(),
            dir: dir.to_path_buf(),
        }
    }

    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.leading).args(args).current_dir(&self.dir);
        cmd
    }

    /// A query's standard output, `None` when rustup answers with an error.
    fn query(&self, args: &[&str]) -> Result<Option<String>> {
        let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
        let out = self.command(&args).output().map_err(|e| {
            anyhow::anyhow!(
                "could not run rustup ({e}): Dendrite's targets come from rust-toolchain.toml \
                 through rustup; install it from https://rustup.rs"
            )
        })?;
        Ok(out
            .status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// Runs an install command, echoing it; whether it succeeded.
    fn install(&self, args: &[String]) -> bool {
        run(&mut self.command(args)).is_ok()
    }
}

/// Installs what the active toolchain lacks of `wanted`, then checks it is there.
///
/// # Errors
/// One line naming what is still missing and the rustup command that installs it.
pub fn ensure(rustup: &Rustup, wanted: &Wanted) -> Result<()> {
    let name = active(rustup, wanted)?;
    let before = missing(rustup, &name, wanted)?;
    if before.is_empty() {
        return Ok(());
    }
    for args in before.commands(&name, &wanted.profile) {
        // A failure is reported by the check below, which names what is left.
        if !rustup.install(&args) {
            break;
        }
    }
    let after = missing(rustup, &name, wanted)?;
    if after.is_empty() {
        return Ok(());
    }
    let commands: Vec<String> = after
        .commands(&name, &wanted.profile)
        .iter()
        .map(|args| format!("rustup {}", args.join(" ")))
        .collect();
    bail!(
        "could not install {}; run: {}",
        after.describe(&name),
        commands.join(" && ")
    )
}

/// The toolchain active in the repository: rustup's answer, or the pinned channel when rustup
/// has none installed (it then names no toolchain).
fn active(rustup: &Rustup, wanted: &Wanted) -> Result<String> {
    let answer = rustup.query(&["show", "active-toolchain"])?;
    Ok(answer
        .as_deref()
        .and_then(|out| out.split_whitespace().next())
        .map_or_else(|| wanted.channel.clone(), str::to_owned))
}

/// What of `wanted` the toolchain `name` lacks.
#[derive(Debug)]
struct Missing {
    /// The toolchain itself (then every target and component too).
    toolchain: bool,
    targets: Vec<String>,
    components: Vec<String>,
}

fn missing(rustup: &Rustup, name: &str, wanted: &Wanted) -> Result<Missing> {
    let toolchains = rustup.query(&["toolchain", "list"])?.unwrap_or_default();
    // `1.95.0` is listed as `1.95.0-x86_64-unknown-linux-gnu`.
    let installed = toolchains
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .any(|t| t == name || t.strip_prefix(name).is_some_and(|s| s.starts_with('-')));
    if !installed {
        return Ok(Missing {
            toolchain: true,
            targets: wanted.targets.clone(),
            components: wanted.components.clone(),
        });
    }
    let list = |what| {
        let args = [what, "list", "--installed", "--toolchain", name];
        rustup.query(&args).map(Option::unwrap_or_default)
    };
    let (targets, components) = (list("target")?, list("component")?);
    let absent = |wanted: &[String], listed: &str, matches: fn(&str, &str) -> bool| {
        let mut absent = wanted.to_vec();
        absent.retain(|w| !listed.lines().any(|l| matches(l.trim(), w)));
        absent
    };
    Ok(Missing {
        toolchain: false,
        targets: absent(&wanted.targets, &targets, |l, w| l == w),
        // Components are listed with the host's triple: `clippy-x86_64-unknown-linux-gnu`.
        components: absent(&wanted.components, &components, |l, w| {
            l == w || l.strip_prefix(w).is_some_and(|s| s.starts_with('-'))
        }),
    })
}

impl Missing {
    fn is_empty(&self) -> bool {
        !self.toolchain && self.targets.is_empty() && self.components.is_empty()
    }

    /// rustup's arguments for each command that installs what is missing.
    fn commands(&self, name: &str, profile: &str) -> Vec<Vec<String>> {
        let owned = |args: &[&str]| args.iter().map(|&a| a.to_owned()).collect::<Vec<_>>();
        if self.toolchain {
            let mut args = owned(&["toolchain", "install", name, "--profile", profile]);
            for (flag, list) in [
                ("--component", &self.components),
                ("--target", &self.targets),
            ] {
                if !list.is_empty() {
                    args.extend([flag.to_owned(), list.join(",")]);
                }
            }
            return vec![args];
        }
        let mut commands = Vec::new();
        for (what, list) in [("target", &self.targets), ("component", &self.components)] {
            if !list.is_empty() {
                let mut args = owned(&[what, "add", "--toolchain", name]);
                args.extend(list.iter().cloned());
                commands.push(args);
            }
        }
        commands
    }

    /// What is missing, in words: "toolchain 1.95.0 with targets a, b and components c", or
    /// "targets a, b and components c on toolchain 1.95.0-x86_64-unknown-linux-gnu".
    fn describe(&self, name: &str) -> String {
        let mut parts = Vec::new();
        for (what, list) in [("targets", &self.targets), ("components", &self.components)] {
            if !list.is_empty() {
                parts.push(format!("{what} {}", list.join(", ")));
            }
        }
        let parts = parts.join(" and ");
        match (self.toolchain, parts.is_empty()) {
            (true, true) => format!("toolchain {name}"),
            (true, false) => format!("toolchain {name} with {parts}"),
            (false, _) => format!("{parts} on toolchain {name}"),
        }
    }
}

#[cfg(all(test, unix))]
mod tests;
