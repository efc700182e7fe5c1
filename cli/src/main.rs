//! `dendrite`: train a small dense network the Keras way, export it as a model file, and
//! inspect or run model files with the same forward pass as the firmware.

mod commands;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = commands::Cli::parse();
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
