//! `dendrite import`: a Keras model (`.keras`, `.h5`, `.weights.h5` with its configuration)
//! as a model file; a TFLite flatbuffer goes to the TFLite importer.

use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::keras::KerasModel;
use dendrite_trainer::limits::{read_limited, MAX_MODEL_FILE_BYTES};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Keras file (`.keras`, a legacy `.h5` model, or a weights-only `.weights.h5` with
    /// --config) or a TFLite flatbuffer (`.tflite`).
    file: PathBuf,
    /// Where to write the model file (Keras: default model.postcard; TFLite: without it the
    /// model is only described).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Class names, comma-separated, one per output (default: none, classes are indices).
    #[arg(long, value_delimiter = ',')]
    classes: Option<Vec<String>>,
    /// Input feature names, comma-separated, one per input (default: none).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// The model's configuration JSON (`model.to_json()`), for a weights-only file.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn run(args: &ImportArgs) -> Result<()> {
    // Before any work: the output is writable and is none of the inputs (by inode, so a link
    // to the input counts).
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("model.postcard"));
    if args.out.is_some() || !is_tflite(&args.file) {
        let mut inputs = vec![args.file.as_path()];
        inputs.extend(args.config.as_deref());
        dendrite_trainer::export::check_output(&out, &inputs).context("--out")?;
    }
    if is_tflite(&args.file) {
        return super::int8::run_import(&super::int8::ImportArgs {
            model: args.file.clone(),
            out: args.out.clone(),
        });
    }
    let model = match &args.config {
        Some(config) => {
            let json = read_limited(config, MAX_MODEL_FILE_BYTES)
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|e| {
                        std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())
                    })
                })
                .with_context(|| format!("reading {}", config.display()))?;
            KerasModel::load_weights(&args.file, &json)?
        }
        None => KerasModel::load(&args.file)?,
    };
    let labels = args.classes.clone().unwrap_or_default();
    let features = args.features.clone().unwrap_or_default();
    let preprocessing = model.preprocessing(labels, features);
    let sequential = model.to_sequential()?;
    sequential.save(&out, &preprocessing)?;
    out!("{}", sequential.summary());
    if model.normalization.is_some() {
        outln!("standardization: the Normalization layer's mean and max(sqrt(variance), 1e-7)");
    }
    outln!("task: {}", preprocessing.task.name());
    outln!("wrote {}", out.display());
    Ok(())
}

/// A TFLite flatbuffer: the `.tflite` extension, or the file identifier `TFL3` at byte 4.
fn is_tflite(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e == "tflite") {
        return true;
    }
    let mut head = [0u8; 8];
    dendrite_trainer::limits::open_regular(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head[4..8] == b"TFL3")
}
