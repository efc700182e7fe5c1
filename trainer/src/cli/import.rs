//! `dendrite import`: a Keras model (`.keras`, `.h5`, `.weights.h5` with its configuration)
//! as a model file.

use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::keras::KerasModel;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Keras file: `.keras`, a legacy `.h5` model, or a weights-only `.weights.h5` (with
    /// --config).
    file: PathBuf,
    /// Where to write the model file.
    #[arg(long, default_value = "model.postcard")]
    out: PathBuf,
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
    let model = match &args.config {
        Some(config) => {
            let json = std::fs::read_to_string(config)
                .with_context(|| format!("reading {}", config.display()))?;
            KerasModel::load_weights(&args.file, &json)?
        }
        None => KerasModel::load(&args.file)?,
    };
    let labels = args.classes.clone().unwrap_or_default();
    let features = args.features.clone().unwrap_or_default();
    let preprocessing = model.preprocessing(labels, features);
    let sequential = model.to_sequential()?;
    sequential.save(&args.out, &preprocessing)?;
    print!("{}", sequential.summary());
    if model.normalization.is_some() {
        println!("standardization: the Normalization layer's mean and max(sqrt(variance), 1e-7)");
    }
    println!("task: {}", preprocessing.task.name());
    println!("wrote {}", args.out.display());
    Ok(())
}
