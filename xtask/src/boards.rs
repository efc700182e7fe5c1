//! Every board's firmware, built and checked for `cargo xtask test`: the emulated boards' images
//! (which the QEMU suite then runs), the Cortex-M3's soft-float self-test under QEMU, and the
//! real boards' images (which cannot run here) with clippy and a flash budget.

use anyhow::{ensure, Context, Result};
use dendrite_trainer::device::{firmware, hardware, FirmwareBuild, BOARDS, HARDWARE};
use object::{Object, ObjectSection};
use std::path::Path;

use crate::shell::cargo;

/// The most flash a seed-model image may take on any board: a regression guard well above every
/// board's seed image (BENCHMARKS.md, "Device: every core and board"), far below any board's
/// flash.
const SEED_FLASH_BUDGET: u64 = 16 * 1024;

/// Builds and checks every board's firmware.
pub fn check_all(firmware_dir: &Path) -> Result<()> {
    // The default board is linted by the caller; the others' board support differs by cfg.
    for target in ["thumbv7m-none-eabi", "thumbv8m.main-none-eabihf"] {
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
    eprintln!("$ building the firmware for every emulated board");
    for &board in BOARDS {
        let elf = FirmwareBuild::default_for(board).build()?;
        within_budget(&elf, board.name)?;
    }
    // The Thumb-2 soft float against compiler-builtins, on the Cortex-M3 under QEMU.
    let selftest = [
        "run",
        "--release",
        "--example",
        "selftest",
        "--features",
        "selftest",
        "--target",
        "thumbv7m-none-eabi",
    ];
    cargo(&firmware_dir.join("softfloat"), &selftest)?;
    for hw in HARDWARE {
        let dir = hw.dir();
        cargo(&dir, &["clippy", "--release", "--", "-D", "warnings"])?;
        let elf = hardware::build(hw, false)?;
        within_budget(&elf, hw.name)?;
    }
    Ok(())
}

/// Flash (`.vector_table + .text + .rodata + .data`) of a seed-model image within the budget.
fn within_budget(elf: &Path, board: &str) -> Result<()> {
    let bytes = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let file =
        object::File::parse(&*bytes).with_context(|| format!("parsing {}", elf.display()))?;
    let flash: u64 = [".vector_table", ".text", ".rodata", ".data"]
        .iter()
        .filter_map(|name| file.section_by_name(name))
        .map(|s| s.size())
        .sum();
    eprintln!(
        "  {board}: {flash} bytes of flash ({})",
        firmware::seed_model().display()
    );
    ensure!(
        flash <= SEED_FLASH_BUDGET,
        "{board}: the seed image takes {flash} bytes of flash, over the {SEED_FLASH_BUDGET}-byte \
         budget ({})",
        elf.display()
    );
    Ok(())
}
