//! `dendrite export`: a model file as a Keras file that `keras.models.load_model` opens.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use dendrite_trainer::keras::{self, KerasFormat, KerasModel};
use dendrite_trainer::HostModel;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The model file.
    #[arg(long, default_value = "model.postcard")]
    model: PathBuf,
    /// Where to write the Keras file.
    #[arg(long)]
    out: PathBuf,
    /// `keras` (Keras 3's archive) or `h5` (legacy HDF5); default: from --out's extension.
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Keras,
    H5,
}

pub fn run(args: &ExportArgs) -> Result<()> {
    let format = match (args.format, args.out.extension().and_then(|e| e.to_str())) {
        (Some(Format::Keras), _) | (None, Some("keras")) => KerasFormat::Keras,
        (Some(Format::H5), _) | (None, Some("h5" | "hdf5")) => KerasFormat::H5,
        (None, _) => bail!(
            "{}: give a .keras or .h5 file name, or --format keras|h5",
            args.out.display()
        ),
    };
    dendrite_trainer::export::check_output(&args.out, &[&args.model]).context("--out")?;
    let host = HostModel::load(&args.model)?;
    host.require_f32("a Keras export")?;
    let model = KerasModel::from_model_file(&host);
    keras::save(&model, &args.out, format)?;
    outln!(
        "wrote {} ({} inputs, {} Dense layers{})",
        args.out.display(),
        model.input,
        host.layers().len(),
        if model.normalization.is_some() {
            ", a Normalization layer first"
        } else {
            ""
        }
    );
    Ok(())
}
