//! The build scripts' side (feature `build`): the recorded trace as a Rust table, and the
//! linker scripts on the linker's path.
//!
//! ```no_run
//! use dendrite_app_common::build::{link_scripts, write_trace};
//!
//! // The `main` of an example application's build.rs:
//! if let Err(e) = link_scripts(&["memory.x"]).and_then(|()| write_trace("traces/seed.csv")) {
//!     eprintln!("error: {e}");
//!     std::process::exit(1);
//! }
//! ```
//!
//! and in the program, `include!(concat!(env!("OUT_DIR"), "/trace.rs"));` defines
//! `static TRACE: [&[f32]; N]`.

use std::path::{Path, PathBuf};
use std::{env, fmt, fs, io};

/// The environment variable that names another trace (relative to the application's directory).
pub const TRACE_ENV: &str = "DENDRITE_TRACE";

/// Copies `scripts` (`memory.x`, …) from the application's directory to `OUT_DIR` and puts it
/// on the linker's search path.
///
/// # Errors
///
/// [`BuildError`] when `OUT_DIR` is not set or a script cannot be copied.
pub fn link_scripts(scripts: &[&str]) -> Result<(), BuildError> {
    let out = out_dir()?;
    for script in scripts {
        fs::copy(script, out.join(script)).map_err(|e| BuildError::io(script, e))?;
        println!("cargo:rerun-if-changed={script}");
    }
    println!("cargo:rustc-link-search={}", out.display());
    Ok(())
}

/// Writes `OUT_DIR/trace.rs`, the table `static TRACE: [&[f32]; N]` of the trace `default`, or
/// of the CSV file that `DENDRITE_TRACE` names: one row per line with numbers (see
/// [`trace_table`]). Cargo reruns the build script when either changes.
///
/// # Errors
///
/// [`BuildError`] when `OUT_DIR` is not set, or the trace cannot be read or the table written.
pub fn write_trace(default: &str) -> Result<(), BuildError> {
    println!("cargo:rerun-if-env-changed={TRACE_ENV}");
    let trace = env::var_os(TRACE_ENV)
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from);
    println!("cargo:rerun-if-changed={}", trace.display());
    let text = fs::read_to_string(&trace).map_err(|e| BuildError::io(&trace, e))?;
    let code = trace_table(&text, &trace.display().to_string());
    let path = out_dir()?.join("trace.rs");
    fs::write(&path, code).map_err(|e| BuildError::io(&path, e))
}

/// The Rust source of `static TRACE: [&[f32]; N]` for a CSV `text` read from `source`: for each
/// line, its leading fields that are finite numbers (a header line, with none, is skipped; a
/// trailing label column ends the row). Each value is written so that it reads back to the same
/// bits.
pub fn trace_table(text: &str, source: &str) -> String {
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
    format!(
        "/// The trace's rows: the leading numbers of each line of `{}`.\n\
         static TRACE: [&[f32]; {count}] = [\n{rows}];\n",
        source.escape_default()
    )
}

fn out_dir() -> Result<PathBuf, BuildError> {
    env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or(BuildError::NoOutDir)
}

/// Why a build script's step failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// Cargo did not set `OUT_DIR`: not run as a build script.
    NoOutDir,
    /// A file could not be read, copied or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

impl BuildError {
    fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        BuildError::Io {
            path: path.as_ref().to_owned(),
            source,
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoOutDir => f.write_str("cargo did not set OUT_DIR (not a build script?)"),
            BuildError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::NoOutDir => None,
            BuildError::Io { source, .. } => Some(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::trace_table;

    #[test]
    fn the_table_keeps_the_leading_numbers_of_each_line() {
        let csv = "weight,height,age\n1.42, 1.05,-0.88,male\n\nnan,1\n0.1,inf,2\n-3e-7\n";
        assert_eq!(
            trace_table(csv, "traces/seed.csv"),
            "/// The trace's rows: the leading numbers of each line of `traces/seed.csv`.\n\
             static TRACE: [&[f32]; 3] = [\n&[1.42,1.05,-0.88,],\n&[0.1,],\n&[-3e-7,],\n];\n"
        );
    }

    #[test]
    fn the_tables_values_read_back_to_the_same_bits() {
        let values = [0.1f32, -1.234_567_9e-6, f32::MIN_POSITIVE, 16_777_217.0];
        let csv: Vec<String> = values.iter().map(|v| format!("{v:e}")).collect();
        let table = trace_table(&csv.join(","), "t.csv");
        let row = table.lines().nth(2).unwrap();
        let parsed: Vec<f32> = row
            .trim_start_matches("&[")
            .trim_end_matches(",],")
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&parsed), bits(&values));
    }
}
