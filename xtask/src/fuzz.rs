//! `cargo xtask fuzz [--seconds N] [TARGET…]`: every fuzz target in `fuzz/` for N seconds each,
//! then the replay of the committed corpora and crash regressions that CI runs.
//!
//! New inputs the fuzzer finds go to `target/fuzz-corpus/<target>`, not into the committed
//! corpus: `cargo +nightly fuzz cmin` decides what is worth committing (see `fuzz/README.md`).
//! A crash stops the run; libFuzzer leaves the input in `fuzz/artifacts/<target>`.

use crate::shell::{cargo, have, root, run};
use anyhow::{bail, Context, Result};
use std::process::Command;

/// The targets, in `fuzz/Cargo.toml`'s order.
pub const TARGETS: [&str; 8] = [
    "model_decode",
    "frame_decode",
    "firmware_serve",
    "protocol_diff",
    "csv_read",
    "spec_parse",
    "keras_read",
    "tflite_read",
];

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

/// Runs the verb.
pub fn run_verb(args: &[String]) -> Result<()> {
    let (seconds, targets) = parse(args)?;
    tools()?;
    let fuzz = root().join("fuzz");
    for target in &targets {
        let scratch = root().join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("creating {}", scratch.display()))?;
        let committed = format!("corpus/{target}");
        let time = format!("-max_total_time={seconds}");
        run(Command::new("cargo")
            .args(["+nightly", "fuzz", "run", target])
            .arg(&scratch)
            .args([committed.as_str(), "--", &time, "-timeout=10"])
            .args(["-rss_limit_mb=2048", "-print_final_stats=1"])
            .current_dir(&fuzz))?;
    }
    cargo(
        &root(),
        &["test", "-p", "dendrite-tests", "--test", "fuzz_regressions"],
    )
}

/// `--seconds N` and target names (all when none is named).
fn parse(args: &[String]) -> Result<(u64, Vec<&'static str>)> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            let value = args.next().context("--seconds needs a number")?;
            seconds = value
                .parse()
                .with_context(|| format!("--seconds: `{value}` is not a whole number"))?;
        } else if let Some(&target) = TARGETS.iter().find(|t| **t == arg) {
            targets.push(target);
        } else {
            bail!(
                "unknown fuzz target `{arg}` (targets: {})",
                TARGETS.join(", ")
            );
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    Ok((seconds, targets))
}

/// A nightly toolchain and cargo-fuzz (libFuzzer needs the sanitizer flags only nightly has).
fn tools() -> Result<()> {
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    if !have("cargo-fuzz") {
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}
