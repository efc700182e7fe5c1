//! Build script: picks the board, then links with cortex-m-rt's `link.x`, the board's
//! `boards/<board>/memory.x` and `boards/mps2-device.x`, for bare-metal builds only (host builds of the
//! library, for its unit tests, link nothing special).
//!
//! The board is the one a `board-<name>` feature names, or else the target's default board:
//! `thumbv7em-none-eabihf` mps2-an386 (Cortex-M4F), `thumbv7m-none-eabi` mps2-an385 (Cortex-M3),
//! `thumbv8m.main-none-eabihf` mps2-an505 (Cortex-M33). The code sees it as
//! `cfg(dendrite_board = "<name>")`.

// A build script runs on the host: a panic there is a failed build with its message, so the
// firmware's panic-free lints do not apply to it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::{env, fs, path::PathBuf};

/// Every emulated board: its name and the Rust target its core needs.
const BOARDS: [(&str, &str); 4] = [
    ("mps2-an386", "thumbv7em-none-eabihf"),
    ("mps2-an385", "thumbv7m-none-eabi"),
    ("mps2-an500", "thumbv7em-none-eabihf"),
    ("mps2-an505", "thumbv8m.main-none-eabihf"),
];

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo::rerun-if-changed=build.rs");
    let names: Vec<String> = BOARDS.iter().map(|(b, _)| format!("\"{b}\"")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(dendrite_board, values({}))",
        names.join(", ")
    );
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return Ok(());
    }
    let target = env::var("TARGET").map_err(|e| format!("TARGET: {e}"))?;
    let board = board(&target)?;
    println!("cargo::rustc-cfg=dendrite_board=\"{board}\"");
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    // In a directory of its own, named to the linker by this package's binaries only: a
    // `rustc-link-search` would reach the boards in `boards/` that depend on this library and
    // bring them this memory.x.
    let dir = out.join("link");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let memory = format!("boards/{board}/memory.x");
    // Not in this directory: the linker looks for INCLUDEd scripts in its working directory
    // (the workspace root) first, where the boards in `boards/` would find them too.
    for (from, to) in [
        (memory.as_str(), "memory.x"),
        ("boards/mps2-device.x", "device.x"),
    ] {
        fs::copy(from, dir.join(to)).map_err(|e| format!("copying {from}: {e}"))?;
        println!("cargo::rerun-if-changed={from}");
    }
    println!("cargo::rustc-link-arg-bins=-L{}", dir.display());
    println!("cargo::rustc-link-arg-bins=-Tlink.x");
    Ok(())
}

/// The board the features name, or the target's default; an error for a board whose core
/// the target does not fit.
fn board(target: &str) -> Result<&'static str, String> {
    let chosen: Vec<(&str, &str)> = BOARDS
        .iter()
        .copied()
        .filter(|(name, _)| {
            let feature = format!(
                "CARGO_FEATURE_BOARD_{}",
                name.replace('-', "_").to_uppercase()
            );
            env::var_os(feature).is_some()
        })
        .collect();
    match chosen[..] {
        [] => BOARDS
            .iter()
            .find(|(_, t)| *t == target)
            .map(|(name, _)| *name)
            .ok_or_else(|| format!("no board runs {target}: build for one of {BOARDS:?}")),
        [(name, t)] if t == target => Ok(name),
        [(name, t)] => Err(format!(
            "board {name} needs --target {t}, not {target} (its core and float ABI differ)"
        )),
        _ => Err(format!(
            "several board features are on ({chosen:?}): choose one"
        )),
    }
}
