//! `cargo xtask <verb>`: the one entry point for every multi-step job in Dendrite.
//!
//! - `setup`: install what a fresh machine lacks (the pinned toolchain's Cortex-M targets,
//!   qemu-system-arm);
//! - `demo`: train the seed network, put it on the emulated board, show the firmware's answer
//!   next to the host's;
//! - `test`: every check CI runs: formatting, clippy, host tests, firmware build and tests,
//!   the QEMU end-to-end suite, docs.

mod setup;
mod shell;

use anyhow::{bail, Result};
use shell::{cargo, root};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (verb, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(v, r)| (v.as_str(), r));
    match verb {
        "setup" => setup::all(),
        "demo" => demo(rest),
        "test" => test(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown verb `{other}`\n\n{USAGE}"),
    }
}

const USAGE: &str = "usage: cargo xtask <verb>

verbs:
  setup   install what a fresh machine lacks (Cortex-M targets, qemu-system-arm)
  demo    train the seed network, run it on the emulated Cortex-M4F, compare with the host
  test    run every check: fmt, clippy, host tests, firmware, QEMU end-to-end suite, docs";

/// Trains the tutorial network and asks the firmware under QEMU for [0, 0, 0].
fn demo(args: &[String]) -> Result<()> {
    setup::all()?;
    let out = root().join("target/demo/model.postcard");
    let out = out.to_string_lossy();
    let mut train = vec![
        "run",
        "--release",
        "--quiet",
        "-p",
        "dendrite-trainer",
        "--",
    ];
    train.extend(["train", "--out", &out]);
    train.extend(args.iter().map(String::as_str));
    cargo(&root(), &train)?;
    let predict = [
        "run",
        "--release",
        "--quiet",
        "-p",
        "dendrite-trainer",
        "--",
        "predict",
        "--model",
        &out,
        "--qemu",
        "0",
        "0",
        "0",
    ];
    cargo(&root(), &predict)
}

/// Everything CI checks, in the order that fails fastest.
fn test(args: &[String]) -> Result<()> {
    setup::all()?;
    let host = root();
    let firmware = host.join("firmware");
    cargo(&host, &["fmt", "--all", "--", "--check"])?;
    cargo(&firmware, &["fmt", "--all", "--", "--check"])?;
    cargo(&host, &["clippy", "--all-targets", "--", "-D", "warnings"])?;
    cargo(&firmware, &["clippy", "--release", "--", "-D", "warnings"])?;
    cargo(&firmware, &["build", "--release"])?;
    let mut tests = vec!["test", "--release"];
    tests.extend(args.iter().map(String::as_str));
    cargo(&host, &tests)?;
    let docs = ["doc", "--no-deps", "--quiet"];
    shell::cargo_env(&host, &docs, &[("RUSTDOCFLAGS", "-D warnings")])
}
