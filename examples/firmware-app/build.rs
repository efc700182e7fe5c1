//! Build script: the linker scripts, and the recorded trace as a Rust table.
//!
//! The trace is `traces/seed.csv`, or the CSV file named by `DENDRITE_TRACE` (relative to this
//! directory). Each line becomes one row of its leading numbers (a header line, or a trailing
//! label column, is skipped); the program feeds the model the first `INPUT` values of each row.

use std::{env, fs, path::PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    for script in ["memory.x", "device.x"] {
        fs::copy(script, out.join(script)).map_err(|e| format!("{script}: {e}"))?;
        println!("cargo:rerun-if-changed={script}");
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DENDRITE_TRACE");

    let trace = env::var_os("DENDRITE_TRACE")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("traces/seed.csv"), PathBuf::from);
    println!("cargo:rerun-if-changed={}", trace.display());
    let text = fs::read_to_string(&trace).map_err(|e| format!("{}: {e}", trace.display()))?;
    let mut rows = String::new();
    let mut count = 0;
    for line in text.lines() {
        let values: Vec<f32> = line
            .split(',')
            .map_while(|field| field.trim().parse::<f32>().ok().filter(|v| v.is_finite()))
            .collect();
        if values.is_empty() {
            continue;
        }
        rows.push_str("&[");
        for v in values {
            // `Debug` is the shortest representation that reads back to the same bits.
            rows.push_str(&format!("{v:?},"));
        }
        rows.push_str("],\n");
        count += 1;
    }
    let code = format!(
        "/// The trace's rows: the leading numbers of each line of `{}`.\n\
         static TRACE: [&[f32]; {count}] = [\n{rows}];\n",
        trace.display()
    );
    fs::write(out.join("trace.rs"), code).map_err(|e| format!("trace.rs: {e}"))
}
