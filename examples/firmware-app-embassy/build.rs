//! Build script: memory.x on the linker's path, and the recorded trace as a Rust table.
//!
//! The trace is `traces/seed.csv`, or the CSV file named by `DENDRITE_TRACE` (relative to this
//! directory), read as `examples/firmware-app` reads it (`dendrite-app-common`).

use dendrite_app_common::build::{link_scripts, write_trace};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The interrupt table's device.x comes from embassy-nrf's PAC (`rt`).
    if let Err(e) = link_scripts(&["memory.x"]).and_then(|()| write_trace("traces/seed.csv")) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
