//! The command line: one module per subcommand.

/// `println!` for the command's output: a write that fails returns the error instead of
/// panicking, and a closed reader (`dendrite info --json | head`) becomes [`StdoutClosed`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::commands::stdout_error)?
    }};
}

/// `print!` for the command's output, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*).map_err($crate::commands::stdout_error)?
    }};
}

mod device;
mod evaluate;
mod export_keras;
mod export_vectors;
mod flash;
mod import;
mod info;
mod initial_weights;
mod int8;
mod model_data;
mod predict;
mod predict_data;
mod run;
mod train;
mod train_data;

use clap::{Parser, Subcommand};

/// Train small dense neural networks the Keras way and run them bit-exactly on Cortex-M.
#[derive(Debug, Parser)]
#[command(name = "dendrite", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model and write it as a model file (no arguments: the seed tutorial).
    Train(train::TrainArgs),
    /// Run a model file on one input with dendrite-core's forward pass, as the firmware does.
    Predict(predict::PredictArgs),
    /// Describe a model file: architecture, parameters, size, checksum.
    Info(info::InfoArgs),
    /// Score a model file on a labelled CSV file: loss, accuracy, per-class scores, confusion.
    Evaluate(evaluate::EvaluateArgs),
    /// Write inputs and the host's expected outputs (f32 bits) for replay on a device.
    ExportVectors(export_vectors::ExportVectorsArgs),
    /// A session: one input per line from standard input, one prediction per line, on the host
    /// or on the firmware (--qemu, --serial PORT).
    Run(run::RunArgs),
    /// Write a model file into a real board's weights region with probe-rs, after checking it
    /// against the firmware's architecture.
    Flash(flash::FlashArgs),
    /// Quantize a model file to int8 the TFLite way and compare float with int8.
    Quantize(int8::QuantizeArgs),
    /// Read a Keras model (.keras, .h5, .weights.h5) or a TFLite flatbuffer of a dense model
    /// (float32 or int8) and write it as a model file.
    Import(import::ImportArgs),
    /// Write a model file as a Keras file (.keras or .h5) that Keras loads.
    Export(export_keras::ExportArgs),
}

/// Runs the subcommand the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Info(args) => info::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::ExportVectors(args) => export_vectors::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Flash(args) => flash::run(&args),
        Command::Quantize(args) => int8::run_quantize(&args),
        Command::Import(args) => import::run(&args),
        Command::Export(args) => export_keras::run(&args),
    }
}

/// Standard output was closed by its reader (a pipe into `head`): the command stops, and
/// `dendrite` exits successfully without an error message, as other command-line tools do.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// The error of a write to standard output: [`StdoutClosed`] for a closed pipe.
pub fn stdout_error(error: std::io::Error) -> anyhow::Error {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::Error::new(error).context("writing to standard output")
    }
}
