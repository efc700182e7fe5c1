//! `cargo xtask <verb>`: the one entry point for every multi-step job in Dendrite.
//!
//! - `setup`: install what a fresh machine lacks (what rustup lacks of `rust-toolchain.toml`:
//!   the Cortex-M targets, rustfmt, clippy; qemu-system-arm), as `demo`, `test`, `size` and
//!   `cost` do first;
//! - `demo`: train the seed network, put it on the emulated board, show the firmware's answer
//!   next to the host's;
//! - `test`: every check CI runs: formatting, clippy, host tests, firmware build and tests,
//!   the QEMU end-to-end suite, docs;
//! - `size`, `cost`: the firmware's flash, static RAM and stack, and its instructions per
//!   inference under QEMU (`--json` for machines);
//! - `fuzz`: every fuzz target for a while, then the replay of the committed corpora.

mod bench;
mod boards;
mod fuzz;
mod measure;
mod setup;
mod shell;

use anyhow::{bail, Result};
use dendrite_trainer::device::{FirmwareBuild, BOARDS};
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
        "size" => setup::all().and_then(|()| measure::size(rest)),
        "cost" => setup::all().and_then(|()| measure::cost(rest)),
        "bench" => bench::run_verb(rest),
        "fuzz" => fuzz::run_verb(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown verb `{other}`\n\n{USAGE}"),
    }
}

const USAGE: &str = "usage: cargo xtask <verb>

verbs:
  setup          install what a fresh machine lacks (Cortex-M targets, qemu-system-arm)
  demo           train the seed network, run it on the emulated Cortex-M4F, compare with the host
  test           run every check: fmt, clippy, host tests, firmware, QEMU end-to-end suite, docs
  size [--json] [--model FILE] [--board NAME]
                 flash, static RAM and stack of every board's firmware (seed and 16-32-32-4)
  cost [--json] [--model FILE] [--board NAME]
                 instructions per inference under qemu -icount on every emulated board
  bench [--peers] [--reps N] [--w2-samples N] [--only W1,W2,W3] | bench --device
                 host workloads against Keras 3 and PyTorch; --peers writes BENCHMARKS.md
  fuzz [--seconds N] [TARGET...]
                 every fuzz target for N seconds (default 60), then the regression replay";

/// Trains the tutorial network and asks the firmware under QEMU for [0, 0, 0].
fn demo(args: &[String]) -> Result<()> {
    setup::all()?;
    let dir = root().join("target/demo");
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("model.postcard");
    let out = out.to_string_lossy();
    let dendrite = [
        "run",
        "--release",
        "--quiet",
        "-p",
        "dendrite-trainer",
        "--",
    ];
    let mut train = dendrite.to_vec();
    train.extend(["train", "--out", &out]);
    train.extend(args.iter().map(String::as_str));
    cargo(&root(), &train)?;
    let mut predict = dendrite.to_vec();
    predict.extend(["predict", "--model", &out, "--qemu", "0", "0", "0"]);
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
    cargo(&firmware, &["test-host"])?;
    // The images the QEMU suite runs, built before it starts so its tests only wait for cargo
    // to find them up to date; the real boards' images, which only build here.
    boards::check_all(&firmware)?;
    FirmwareBuild::fault_injection(BOARDS[0]).build()?;
    let mut tests = vec!["test", "--release"];
    tests.extend(args.iter().map(String::as_str));
    cargo(&host, &tests)?;
    let docs = ["doc", "--no-deps", "--quiet"];
    shell::cargo_env(&host, &docs, &[("RUSTDOCFLAGS", "-D warnings")])
}
