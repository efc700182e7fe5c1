//! Every board's firmware, built and checked for `cargo xtask test`: the emulated boards' images
//! (which the QEMU suite then runs), the Cortex-M3's and Cortex-M0's soft-float self-tests and
//! the int8 kernel's self-test (on every emulated core) under QEMU, and the real boards' images
//! (which cannot run here) with a flash budget; and clippy on every crate of the firmware
//! workspace, package by package.

use anyhow::{ensure, Context, Result};
use dendrite_link::{FirmwareBuild, QemuBoard, QEMU_BOARDS, REAL_BOARDS};
use object::{Object, ObjectSection};
use std::path::Path;

use crate::shell::{cargo, firmware_source};

/// The most flash a seed-model image may take on any board: a regression guard above every
/// board's seed image (BENCHMARKS.md, "Device: every core and board"; the largest is the
/// Raspberry Pi Pico's, with the RP2040 HAL and the Cortex-M0+'s soft float), far below any
/// board's flash.
const SEED_FLASH_BUDGET: u64 = 20 * 1024;

/// Clippy on every crate of the firmware workspace, one package and target at a time: the
/// application for each emulated board's target (the board support differs by cfg), its
/// libraries and their unit tests on the host (`cargo clippy-host`), and each real board's
/// crate in its directory.
///
/// Never `cargo clippy --workspace`: it would build the real boards' crates together, for one
/// target, with their features unified: dendrite-runtime with three `board-*` features at once
/// (its build script accepts one), and critical-section with cortex-m's single-core
/// implementation and rp2040-hal's dual-core one at once (two `restore-state-*` features, a
/// compile error). Each board's crate builds alone, for its own target, as users build it.
pub fn clippy_all(firmware_dir: &Path) -> Result<()> {
    let mut targets: Vec<&str> = QEMU_BOARDS.iter().map(|b| b.target).collect();
    targets.sort_unstable();
    targets.dedup();
    for target in targets {
        let clippy = [
            "clippy",
            "--release",
            "--target",
            target,
            "--",
            "-D",
            "warnings",
        ];
        cargo(firmware_dir, &clippy)?;
    }
    cargo(firmware_dir, &["clippy-host", "--", "-D", "warnings"])?;
    for hw in REAL_BOARDS {
        let dir = hw.dir(&firmware_source());
        cargo(&dir, &["clippy", "--release", "--", "-D", "warnings"])?;
    }
    Ok(())
}

/// Builds and checks every board's firmware.
pub fn check_all(firmware_dir: &Path) -> Result<()> {
    eprintln!("$ building the firmware for every emulated board");
    for &board in QEMU_BOARDS {
        let elf = FirmwareBuild::default_for(&firmware_source(), board).build()?;
        within_budget(&elf, board.name, &firmware_source().seed_model())?;
    }
    // The soft float against compiler-builtins, under QEMU: the Thumb-2 routines on the
    // Cortex-M3, the Thumb-1 ones on the Cortex-M0.
    for target in ["thumbv7m-none-eabi", "thumbv6m-none-eabi"] {
        let selftest = [
            "run",
            "--release",
            "--example",
            "selftest",
            "--features",
            "selftest",
            "--target",
            target,
        ];
        cargo(&firmware_dir.join("softfloat"), &selftest)?;
    }
    // The runtime's int8 kernel (SMLAD on the cores with the DSP extension) against the
    // portable loop, on every emulated core.
    for &board in QEMU_BOARDS {
        int8_selftest(firmware_dir, board)?;
    }
    for hw in REAL_BOARDS {
        let elf = hw.build(&firmware_source(), false)?;
        within_budget(&elf, hw.name, &firmware_source().seed_model())?;
    }
    Ok(())
}

/// Runs `firmware/runtime/examples/int8_selftest.rs` on `board` under QEMU, built with the
/// board's feature and CPU in the firmware builds' shared target directory.
fn int8_selftest(firmware_dir: &Path, board: QemuBoard) -> Result<()> {
    let target_dir = firmware_source().target_dir();
    let target_dir = target_dir.to_string_lossy().into_owned();
    let feature = board.feature();
    let target = board.target;
    let runner = format!(
        "target.{target}.runner='qemu-system-arm -machine {} -cpu {} -display none -monitor none \
         -serial stdio -semihosting-config enable=on,target=native -kernel'",
        board.machine, board.cpu
    );
    let mut args = vec![
        "run",
        "--release",
        "-p",
        "dendrite-runtime",
        "--example",
        "int8_selftest",
        "--target",
        target,
        "--features",
        &feature,
        "--target-dir",
        &target_dir,
        "--config",
        &runner,
    ];
    let cpu;
    if let Some(name) = board.target_cpu {
        cpu = format!("target.{target}.rustflags=['-C', 'target-cpu={name}']");
        args.extend(["--config", &cpu]);
    }
    cargo(firmware_dir, &args)
}

/// Flash (`.vector_table + .text + .rodata + .data`) of a seed-model image (`model`) within the
/// budget.
pub fn within_budget(elf: &Path, board: &str, model: &Path) -> Result<()> {
    let bytes = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let file =
        object::File::parse(&*bytes).with_context(|| format!("parsing {}", elf.display()))?;
    let flash: u64 = [".vector_table", ".text", ".rodata", ".data"]
        .iter()
        .filter_map(|name| file.section_by_name(name))
        .map(|s| s.size())
        .sum();
    eprintln!("  {board}: {flash} bytes of flash ({})", model.display());
    ensure!(
        flash <= SEED_FLASH_BUDGET,
        "{board}: the seed image takes {flash} bytes of flash, over the {SEED_FLASH_BUDGET}-byte \
         budget ({})",
        elf.display()
    );
    Ok(())
}
