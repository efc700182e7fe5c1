//! `cargo xtask <verb>`: the one entry point for every multi-step job in Dendrite.
//!
//! - `setup`: install what a fresh machine lacks (what rustup lacks of `rust-toolchain.toml`:
//!   the Cortex-M targets, rustfmt, clippy; qemu-system-arm), as `demo`, `test`, `size` and
//!   `cost` do first; on x86_64 Linux also what `test` builds and runs the aarch64 host tests
//!   with (the rustup target, a cross linker, qemu-user);
//! - `demo`: train the seed network, put it on the emulated board, show the firmware's answer
//!   next to the host's;
//! - `test`: every check CI runs: formatting, clippy, host tests, firmware build and tests, the
//!   example applications (the embassy one built, not run), the QEMU end-to-end suite, docs;
//! - `size`, `cost`: the firmware's flash, static RAM and stack, and its instructions per
//!   inference under QEMU (`--json` for machines);
//! - `fuzz`: every fuzz target for a while, then the replay of the committed corpora;
//! - `uf2`: a UF2 file of the Pico firmware or of a model file, for the Pico's USB boot loader;
//! - `docs`: rewrite the generated parts of the documentation (the spec keys' tables).

mod bench;
mod boards;
mod examples;
mod fuzz;
mod measure;
mod setup;
mod shell;
mod uf2;

use anyhow::{bail, Result};
use dendrite_link::{FirmwareBuild, QEMU_BOARDS};
use shell::{cargo, root};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (verb, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(v, r)| (v.as_str(), r));
    // `cargo xtask VERB --help` shows the verbs and their options, whatever the verb.
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    match verb {
        "setup" => setup::all().and_then(|()| setup::aarch64().map(drop)),
        "demo" => demo(rest),
        "test" => test(rest),
        "size" => setup::all().and_then(|()| measure::size(rest)),
        "cost" => setup::all().and_then(|()| measure::cost(rest)),
        "bench" => bench::run_verb(rest),
        "fuzz" => fuzz::run_verb(rest),
        "uf2" => uf2::run_verb(rest),
        "docs" => docs(),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown verb `{other}`\n\n{USAGE}"),
    }
}

const USAGE: &str = "usage: cargo xtask <verb>

verbs:
  setup          install what a fresh machine lacks (Cortex-M targets, qemu-system-arm; on x86_64
                 Linux the aarch64 target, cross linker and qemu-user `test` uses)
  demo           train the seed network, run it on the emulated Cortex-M4F, compare with the host
  test           run every check: fmt, clippy, host tests, firmware, QEMU end-to-end suite, docs
  size [--json] [--model FILE] [--board NAME]
                 flash, static RAM, stack and network RAM of every board's firmware (network
                 RAM: the network value + one pass's stack, beyond the caller's input and outputs)
  cost [--json] [--model FILE] [--board NAME]
                 instructions per inference under qemu -icount on every emulated board
  bench [--peers] [--reps N] [--w2-samples N] [--only W1,W2,W3] | bench --device
                 host workloads against Keras 3 and PyTorch; --peers writes BENCHMARKS.md
  fuzz [--seconds N] [TARGET...]
                 every fuzz target for N seconds (default 60), then the regression replay
  uf2 --model FILE [--out OUT] | uf2 --firmware [ELF] [--out OUT]
                 a UF2 file for the Raspberry Pi Pico's USB boot loader (BOOTSEL): the model at
                 its WEIGHTS region, or the firmware (default: boards/rp-pico's release build)
  docs           rewrite docs/spec-reference.md's key tables from the spec's types";

/// The trainer's determinism tests built for aarch64 Linux and run under qemu-aarch64: the
/// model files `trainer/tests/same_bytes.rs` pins come out byte for byte as on x86_64.
fn aarch64_tests(host: &std::path::Path) -> Result<()> {
    match setup::aarch64()? {
        setup::Aarch64::Emulated { qemu, linker } => {
            let runner = format!("{qemu} -L /usr/aarch64-linux-gnu");
            let args = [
                "test",
                "--release",
                "--target",
                setup::AARCH64,
                "-p",
                "dendrite-trainer",
                "--no-default-features",
                "--test",
                "same_bytes",
                "--test",
                "seed_model",
            ];
            shell::cargo_env(
                host,
                &args,
                &[
                    ("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", linker),
                    ("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER", &runner),
                ],
            )
        }
        setup::Aarch64::Skipped(why) => {
            eprintln!("aarch64 host tests under qemu-aarch64: skipped: {why}");
            Ok(())
        }
    }
}

/// Rewrites the generated tables of `docs/spec-reference.md`.
fn docs() -> Result<()> {
    let path = root().join("docs/spec-reference.md");
    let doc = std::fs::read_to_string(&path)?;
    let Some(new) = dendrite_trainer::spec::reference::regenerate(&doc) else {
        bail!(
            "{}: the lines `{}` and `{}` are missing",
            path.display(),
            dendrite_trainer::spec::reference::BEGIN,
            dendrite_trainer::spec::reference::END
        );
    };
    if new != doc {
        std::fs::write(&path, new)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Trains the tutorial network and asks the firmware under QEMU for [0, 0, 0].
fn demo(args: &[String]) -> Result<()> {
    setup::all()?;
    let dir = root().join("target/demo");
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("model.postcard");
    let out = out.to_string_lossy();
    let dendrite = ["run", "--release", "--quiet", "-p", "dendrite-cli", "--"];
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
    boards::clippy_all(&firmware)?;
    cargo(&firmware, &["test-host"])?;
    // The images the QEMU suite runs, built before it starts so its tests only wait for cargo
    // to find them up to date; the real boards' images, which only build here.
    boards::check_all(&firmware)?;
    // The example applications' formatting; the embassy one's lint and build (no board here).
    examples::check_all(&host)?;
    FirmwareBuild::fault_injection(&shell::firmware_source(), QEMU_BOARDS[0]).build()?;
    let mut tests = vec!["test", "--release"];
    tests.extend(args.iter().map(String::as_str));
    cargo(&host, &tests)?;
    aarch64_tests(&host)?;
    let docs = ["doc", "--no-deps", "--quiet"];
    shell::cargo_env(&host, &docs, &[("RUSTDOCFLAGS", "-D warnings")])
}
