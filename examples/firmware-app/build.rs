//! Build script: the linker scripts, and the recorded trace as a Rust table.
//!
//! The trace is `traces/seed.csv`, or the CSV file named by `DENDRITE_TRACE` (relative to this
//! directory). Each line becomes one row of its leading numbers (a header line, or a trailing
//! label column, is skipped); the program feeds the model the first `INPUT` values of each row.

use dendrite_app_common::build::{link_scripts, write_trace};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(e) =
        link_scripts(&["memory.x", "device.x"]).and_then(|()| write_trace("traces/seed.csv"))
    {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
