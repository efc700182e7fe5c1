//! `dendrite`: train a small dense network the Keras way, export it as a model file, and
//! inspect or run model files with the same forward pass as the firmware.

mod commands;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = commands::Cli::parse();
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of the output went away (`dendrite info --json | head`): nothing is wrong.
        Err(error) if error.is::<commands::StdoutClosed>() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once: a cause whose text an outer message
/// already quotes (as `path: No such file or directory`) is not repeated, and line breaks in
/// foreign messages become spaces.
fn one_line(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
