//! What the scenarios run, built once per test process: the `dendrite` command line (release)
//! and the firmware images.
//!
//! Each helper runs `cargo build` the first time it is called in a process and remembers the
//! result; test threads that ask meanwhile wait for it (a `OnceLock`). Firmware builds in any
//! thread or process take turns in the firmware's one target directory (`FirmwareBuild::build`
//! locks it and copies each image to a directory of its own), and a build with nothing to do
//! takes a fraction of a second, so `cargo xtask test` building everything first costs nothing
//! twice.

use dendrite_link::{FirmwareBuild, FirmwareSource, QemuBoard, QEMU_BOARDS};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The firmware sources of this checkout.
pub fn firmware_source() -> FirmwareSource {
    FirmwareSource::new(repo().join("firmware"))
}

/// The committed seed model, the default firmware's architecture.
pub fn seed_model() -> PathBuf {
    firmware_source().seed_model()
}

/// The `dendrite` executable, built with `--release`.
///
/// # Panics
/// When the build fails, with cargo's output.
pub fn dendrite_cli() -> &'static Path {
    static CLI: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    unwrap_build(CLI.get_or_init(build_cli))
}

/// The firmware image for the seed architecture on the default board.
///
/// # Panics
/// When the build fails, with cargo's output.
pub fn firmware() -> &'static Path {
    static FIRMWARE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    unwrap_build(FIRMWARE.get_or_init(|| {
        FirmwareBuild::default_for(&firmware_source(), QEMU_BOARDS[0])
            .build()
            .map_err(|e| e.to_string())
    }))
}

/// The firmware image for the seed architecture on `board`, built once per process and board.
///
/// # Panics
/// When the build fails, with cargo's output.
pub fn firmware_on(board: QemuBoard) -> PathBuf {
    type Slot = Arc<OnceLock<Result<PathBuf, String>>>;
    static BUILDS: OnceLock<Mutex<HashMap<&'static str, Slot>>> = OnceLock::new();
    if board == QEMU_BOARDS[0] {
        return firmware().to_path_buf();
    }
    let slot = {
        let mut builds = BUILDS
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(builds.entry(board.name).or_default())
    };
    let built = slot.get_or_init(|| {
        FirmwareBuild::default_for(&firmware_source(), board)
            .build()
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// The firmware image built with `--features fault-injection`.
///
/// # Panics
/// When the build fails, with cargo's output.
pub fn fault_injection_firmware() -> &'static Path {
    static FIRMWARE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    unwrap_build(FIRMWARE.get_or_init(|| {
        FirmwareBuild::fault_injection(&firmware_source(), QEMU_BOARDS[0])
            .build()
            .map_err(|e| e.to_string())
    }))
}

fn unwrap_build(built: &'static Result<PathBuf, String>) -> &'static Path {
    match built {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn build_cli() -> Result<PathBuf, String> {
    let root = repo();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "-p",
            "dendrite-cli",
            "--bin",
            "dendrite",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the dendrite CLI failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target.join("release/dendrite"))
}
