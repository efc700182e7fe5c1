//! The example applications, checked for `cargo xtask test`: both formatted; the embassy one
//! (`examples/firmware-app-embassy`, for the nRF52840-DK, which cannot run here) linted and
//! built, its seed image within the boards' flash budget. The QEMU one
//! (`examples/firmware-app`) is built and run by the end-to-end suite
//! (`tests/tests/firmware_app.rs`), which compares its lines with the host's.

use anyhow::Result;
use std::path::Path;

use crate::boards::within_budget;
use crate::shell::cargo;

/// The examples, each its own workspace.
const EXAMPLES: [&str; 2] = ["examples/firmware-app", "examples/firmware-app-embassy"];

/// The embassy example and its binary.
const EMBASSY: &str = "examples/firmware-app-embassy";
const EMBASSY_ELF: &str = "target/thumbv7em-none-eabihf/release/dendrite-firmware-app-embassy";

/// Checks the examples under the repository `root`.
pub fn check_all(root: &Path) -> Result<()> {
    for example in EXAMPLES {
        cargo(&root.join(example), &["fmt", "--", "--check"])?;
    }
    let embassy = root.join(EMBASSY);
    cargo(&embassy, &["clippy", "--release", "--", "-D", "warnings"])?;
    cargo(&embassy, &["build", "--release"])?;
    within_budget(
        &embassy.join(EMBASSY_ELF),
        "nrf52840-dk (embassy example)",
        &embassy.join("models/seed.postcard"),
    )
}
