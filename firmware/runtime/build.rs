//! Build script: picks the board from the table (firmware/boards-table), tells the code which
//! one it is, and writes its linker scripts.
//!
//! The board is the one a `board-<name>` feature names, or else the target's default emulated
//! board (`thumbv7em-none-eabihf`: mps2-an386, `thumbv7m-none-eabi`: mps2-an385,
//! `thumbv8m.main-none-eabihf`: mps2-an505, `thumbv6m-none-eabi`: microbit). The code sees
//! `DENDRITE_BOARD` (its name, for `dendrite_boards::board`), `DENDRITE_CPU` (its CPU, for the
//! assembler), `cfg(dendrite_arch = "v6m" | "v7m" | "v8m")` (the stack guard),
//! `cfg(dendrite_emulated)` (semihosting always answers, the runtime drives the UART and timer)
//! and `cfg(dendrite_dsp)` (the core has the DSP extension: the int8 kernel uses `SMLAD`).
//!
//! For bare-metal builds it writes the board's `memory.x` (and for an emulated board an empty
//! `device.x`: the runtime's interrupt table) into a directory of its own, on the linker's search
//! path of every binary that links the runtime; the binary's own build script adds `-Tlink.x`.

use dendrite_boards::{Arch, Board, BOARDS};
use std::{env, fs, path::PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../boards-table/src/lib.rs");
    println!("cargo::rustc-check-cfg=cfg(dendrite_arch, values(\"v6m\", \"v7m\", \"v8m\"))");
    println!("cargo::rustc-check-cfg=cfg(dendrite_emulated)");
    println!("cargo::rustc-check-cfg=cfg(dendrite_dsp)");
    println!("cargo::rustc-check-cfg=cfg(dendrite_uart, values(\"cmsdk\", \"nrf51\"))");
    let target = env::var("TARGET").map_err(|e| format!("TARGET: {e}"))?;
    let board = board(&target)?;
    println!("cargo::rustc-env=DENDRITE_BOARD={}", board.name);
    println!("cargo::rustc-env=DENDRITE_CPU={}", board.cpu);
    println!(
        "cargo::rustc-cfg=dendrite_arch=\"{}\"",
        board.arch.cfg_name()
    );
    if board.emulator.is_some() {
        println!("cargo::rustc-cfg=dendrite_emulated");
    }
    if board.dsp {
        println!("cargo::rustc-cfg=dendrite_dsp");
    }
    match board.uart {
        dendrite_boards::Uart::Cmsdk { .. } => println!("cargo::rustc-cfg=dendrite_uart=\"cmsdk\""),
        dendrite_boards::Uart::Nrf51 { .. } => println!("cargo::rustc-cfg=dendrite_uart=\"nrf51\""),
        dendrite_boards::Uart::Hal { .. } => {}
    }
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return Ok(());
    }
    if board.target != target {
        return Err(format!(
            "board {} needs --target {}, not {target} (its core and float ABI differ)",
            board.name, board.target
        ));
    }
    let expected = match board.arch {
        Arch::V6M => "thumbv6m",
        Arch::V7M => "thumbv7",
        Arch::V8MMain => "thumbv8m.main",
    };
    if !target.starts_with(expected) {
        return Err(format!(
            "the table gives {} the wrong architecture",
            board.name
        ));
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    let dir = out.join("link");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let memory = dir.join("memory.x");
    fs::write(&memory, dendrite_boards::memory_x(board))
        .map_err(|e| format!("{}: {e}", memory.display()))?;
    if board.emulator.is_some() {
        let device = dir.join("device.x");
        let text = "/* Device interrupt handlers for cortex-m-rt's `device` feature: none. The \
                    firmware polls its\n * peripherals and never enables an interrupt (see \
                    `__INTERRUPTS` in the runtime). */\n";
        fs::write(&device, text).map_err(|e| format!("{}: {e}", device.display()))?;
    }
    // A search path reaches every binary that links this crate: the one board it was built
    // for (a board's crate turns on its own feature).
    println!("cargo::rustc-link-search={}", dir.display());
    // This crate's own example (the int8 kernel's self-test on the core) is such a binary.
    println!("cargo::rustc-link-arg-examples=-Tlink.x");
    Ok(())
}

/// The board the features name, or the target's default emulated board.
fn board(target: &str) -> Result<&'static Board, String> {
    let feature = |b: &Board| {
        format!(
            "CARGO_FEATURE_BOARD_{}",
            b.name.replace('-', "_").to_uppercase()
        )
    };
    let chosen: Vec<&Board> = BOARDS
        .iter()
        .filter(|b| env::var_os(feature(b)).is_some())
        .collect();
    let names: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
    match chosen[..] {
        [] => dendrite_boards::default_for_target(target)
            .ok_or_else(|| format!("no emulated board runs {target}: choose one of {names:?}")),
        [one] => Ok(one),
        _ => Err(format!(
            "several board features are on ({:?}): choose one",
            chosen.iter().map(|b| b.name).collect::<Vec<_>>()
        )),
    }
}
