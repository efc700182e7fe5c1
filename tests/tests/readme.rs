//! The README's commands, run as a reader types them, and its figures kept where they are
//! checked.
//!
//! Every line of a `console` block that starts with `$ ` is a command, run with `sh -c`; it must
//! exit with status 0. The lines after a command, up to the next one, are its output as the
//! README shows it: each must appear in what the command printed (`…` stands for lines left out).
//!
//! - **Where a command runs.** A `cargo …` or `cd …` command runs at the repository root
//!   (cargo writes under `target/`; a `cd` names its own directory), or in the directory an
//!   HTML comment `<!-- commands run in: DIR -->` before the block names (for blocks that say in
//!   words where to type them). Every other command (`dendrite …`, a pipe into it) runs in a
//!   scratch directory, `target/readme/`, where the repository's top-level entries are linked:
//!   `examples/data/iris.csv` resolves, and the files the commands write (`model.postcard`,
//!   `curves.png`) land there for the commands after them.
//! - **Which `dendrite`.** The one the README's `cargo install --path cli` installs, run with
//!   `CARGO_INSTALL_ROOT` in the scratch directory, first on the `PATH`.
//! - **A reader's own files.** `/path/to/NAME` is the scratch directory's `NAME`: a file a
//!   command above wrote (`model.postcard`), or `trace.csv`, a copy of the example
//!   application's trace.
//! - **Commands that need a board** say so in their comment (`# needs a board: …`) and are not
//!   run; a command that talks to a board (`--serial`, `dendrite flash`, `probe-rs`) without
//!   saying so fails the test.
//! - `cargo xtask test` is the suite this test belongs to, so it is not run again from inside it.
//!
//! The figures: timings, instruction counts and speed-ups vary from machine to machine and
//! version to version, so outside the console blocks (whose output is checked above) the README
//! quotes none; `BENCHMARKS.md` holds them, in tables its commands write.

#![cfg(unix)]

use dendrite_tests::build::repo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What marks a command that is not run here.
const NEEDS_A_BOARD: &str = "# needs a board";

/// One command of a console block.
#[derive(Debug)]
struct Step {
    /// The README's line number, for messages.
    line: usize,
    /// The command as written, without `$ `.
    command: String,
    /// The output lines the README shows under it.
    output: Vec<String>,
    /// The directory named by a `<!-- commands run in: DIR -->` comment before its block.
    dir: Option<String>,
}

/// The console blocks' commands, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let (mut in_console, mut in_other) = (false, false);
    let (mut pending_dir, mut block_dir) = (None, None);
    for (i, line) in readme.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            if in_console || in_other {
                (in_console, in_other) = (false, false);
            } else if info.trim() == "console" {
                in_console = true;
                block_dir = pending_dir.take();
            } else {
                in_other = true;
            }
            continue;
        }
        if in_console {
            if let Some(command) = line.strip_prefix("$ ") {
                steps.push(Step {
                    line: i + 1,
                    command: command.to_owned(),
                    output: Vec::new(),
                    dir: block_dir.clone(),
                });
            } else if let Some(step) = steps.last_mut() {
                step.output.push(line.to_owned());
            }
        } else if !in_other {
            if let Some(dir) = trimmed
                .strip_prefix("<!-- commands run in:")
                .and_then(|rest| rest.strip_suffix("-->"))
            {
                pending_dir = Some(dir.trim().to_owned());
            } else if !trimmed.is_empty() {
                pending_dir = None;
            }
        }
    }
    steps
}

/// Whether a command talks to a real board or debug probe.
fn talks_to_a_board(command: &str) -> bool {
    command.contains("--serial")
        || command.contains("dendrite flash")
        || command.contains("probe-rs")
}

/// The README's prose, outside every fenced block.
fn prose(readme: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (i, line) in readme.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// A measured figure in `line`: a number followed by a unit of time, "instructions", "cycles"
/// or "×" (a speed-up), which only a benchmark run can produce.
fn measured_figure(line: &str) -> Option<String> {
    const UNITS: [&str; 7] = [
        " ms",
        " µs",
        " ns",
        " instructions",
        " cycles",
        "×",
        " s of CPU",
    ];
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        let starts_number =
            c.is_ascii_digit() && (k == 0 || !chars[k - 1].1.is_ascii_alphanumeric());
        if !starts_number {
            continue;
        }
        let end = chars[k..]
            .iter()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
            .map_or(line.len(), |&(e, _)| e);
        let number = line[at..end].trim_end_matches([',', '.']);
        let rest = &line[at + number.len()..];
        // `8×8` is a shape, not a speed-up.
        let shape = rest.starts_with('×') && rest[2..].starts_with(|c: char| c.is_ascii_digit());
        if let Some(unit) = UNITS.iter().find(|u| rest.starts_with(*u) && !shape) {
            return Some(format!("{number}{unit}"));
        }
    }
    None
}

/// Whether `stdout` has a line showing `expected`: the line trimmed, with each `…` standing for
/// any text (a line that is only `…` stands for lines left out, and blank lines for nothing).
fn printed(stdout: &str, expected: &str) -> bool {
    let expected = expected.trim();
    if expected.is_empty() || expected == "…" {
        return true;
    }
    stdout.lines().any(|line| {
        let mut rest = line;
        expected.split('…').all(|piece| {
            let piece = piece.trim();
            match rest.find(piece) {
                Some(at) => {
                    rest = &rest[at + piece.len()..];
                    true
                }
                None => false,
            }
        })
    })
}

#[test]
fn output_lines_match_with_ellipses() {
    let out = "wrote /home/me/target/demo/model.postcard (196 bytes)\nclass:   0 (female)\n";
    assert!(printed(
        out,
        "wrote …/target/demo/model.postcard (196 bytes)"
    ));
    assert!(printed(out, "  class:   0 (female)"));
    assert!(printed(out, "…"));
    assert!(!printed(
        out,
        "wrote …/target/demo/model.postcard (197 bytes)"
    ));
    assert!(!printed(out, "(196 bytes) … wrote"));
}

#[test]
fn readme_quotes_no_measured_figure_outside_console_blocks() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let found: Vec<String> = prose(&readme)
        .into_iter()
        .filter_map(|(n, line)| measured_figure(line).map(|f| format!("line {n}: {f}")))
        .collect();
    assert!(
        found.is_empty(),
        "README.md quotes measured figures outside console blocks (they drift from \
         BENCHMARKS.md's generated tables: refer to those instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn figure_finder_finds_timings_and_counts_but_not_sizes() {
    assert_eq!(
        measured_figure("takes 12.3 ms here"),
        Some("12.3 ms".into())
    );
    assert_eq!(measured_figure("1,946× Keras"), Some("1,946×".into()));
    assert_eq!(
        measured_figure("148 instructions."),
        Some("148 instructions".into())
    );
    assert_eq!(measured_figure("a 16 KiB region, 65,535 units"), None);
    assert_eq!(measured_figure("thumbv7m, W1 to W4"), None);
    assert_eq!(measured_figure("the 8×8 digits"), None);
}

#[test]
fn console_blocks_are_parsed_with_their_output_and_directory() {
    let text = "x\n<!-- commands run in: a/b -->\n```console\n$ one # c\nout 1\n…\n$ two\n```\n\
                ```\n$ not a command\n```\n```console\n$ three\n```\n";
    let steps = steps(text);
    let summary: Vec<(&str, &[String], Option<&str>)> = steps
        .iter()
        .map(|s| (s.command.as_str(), &s.output[..], s.dir.as_deref()))
        .collect();
    let out = ["out 1".to_owned(), "…".to_owned()];
    assert_eq!(
        summary,
        [
            ("one # c", &out[..], Some("a/b")),
            ("two", &[][..], Some("a/b")),
            ("three", &[][..], None),
        ]
    );
}

/// The scratch directory: emptied, with the repository's top-level entries linked in.
fn scratch(root: &Path) -> PathBuf {
    let dir = root.join("target/readme");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target/readme");
    for entry in std::fs::read_dir(root).expect("the repository") {
        let entry = entry.expect("an entry");
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), dir.join(&name)).expect("a link");
    }
    let trace = root.join("examples/firmware-app/traces/seed.csv");
    std::fs::copy(trace, dir.join("trace.csv")).expect("the example's trace");
    dir
}

#[test]
fn readme_commands_run_as_written() {
    let root = repo();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let scratch = scratch(&root);
    let bin = scratch.join("install/bin");
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("a PATH");
    let steps = steps(&readme);
    assert!(steps.len() > 10, "the README's console blocks: {steps:?}");
    for step in &steps {
        if step.command.contains(NEEDS_A_BOARD) {
            continue;
        }
        assert!(
            !talks_to_a_board(&step.command),
            "README.md line {}: `{}` needs a board; say so with `{NEEDS_A_BOARD}: …`",
            step.line,
            step.command
        );
        if step.command.trim() == "cargo xtask test" {
            continue;
        }
        let command = step
            .command
            .replace("/path/to/", &format!("{}/", scratch.display()));
        let at_root = command.starts_with("cargo ") || command.starts_with("cd ");
        let dir = match (&step.dir, at_root) {
            (Some(dir), _) => root.join(dir),
            (None, true) => root.clone(),
            (None, false) => scratch.clone(),
        };
        eprintln!("README.md line {}: $ {command}", step.line);
        let out = Command::new("sh")
            .args(["-c", &command])
            .current_dir(&dir)
            .env("PATH", &path)
            .env("CARGO_INSTALL_ROOT", scratch.join("install"))
            .env_remove("DENDRITE_FIRMWARE")
            .env_remove("DENDRITE_FIRMWARE_DIR")
            .env_remove("DENDRITE_MODEL")
            .env_remove("DENDRITE_TRACE")
            .output()
            .expect("sh runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "README.md line {}: `{}` failed ({}) in {}:\n{stdout}\n{stderr}",
            step.line,
            step.command,
            out.status,
            dir.display()
        );
        for expected in &step.output {
            assert!(
                printed(&stdout, expected),
                "README.md line {}: `{}` did not print `{expected}`; it printed:\n{stdout}",
                step.line,
                step.command
            );
        }
    }
}
