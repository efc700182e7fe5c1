//! `dendrite quantize` and `dendrite import`: int8 the TFLite way.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::quantize::{compare, quantize, Comparison, QuantizedModel};
use dendrite_trainer::tflite::{import, Imported};
use dendrite_trainer::HostModel;
use std::path::{Path, PathBuf};

/// `dendrite quantize`.
#[derive(Debug, Args)]
pub struct QuantizeArgs {
    /// The float model file.
    #[arg(long)]
    model: PathBuf,
    /// CSV rows whose activation ranges set the int8 scales (usually the training data).
    #[arg(long)]
    calibration: PathBuf,
    /// Held-out CSV rows to compare float and int8 on, besides the calibration rows.
    #[arg(long)]
    test: Option<PathBuf>,
    /// The label column of the CSV files (for accuracy and loss).
    #[arg(long)]
    label: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Where to write the int8 model file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `dendrite import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The TFLite flatbuffer.
    pub(super) model: PathBuf,
    /// Where to write the model file (f32 or int8 layers, as the TFLite file has them).
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
}

fn rows_of(model: &HostModel, path: &Path, label: Option<&str>) -> Result<(Vec<f32>, Vec<usize>)> {
    let data = read_for_model(model, path, label, None)?;
    let labels = data.labels.iter().map(|&l| l as usize).collect();
    Ok((data.x.iter().copied().collect(), labels))
}

fn compared(
    float: &HostModel,
    int8: &QuantizedModel,
    path: &Path,
    label: Option<&str>,
) -> Result<Comparison> {
    let (x, labels) = rows_of(float, path, label)?;
    let labels = label.map(|_| labels.as_slice());
    Ok(compare(float, int8, &x, labels)?)
}

/// Quantizes a model file and reports float against int8.
pub fn run_quantize(args: &QuantizeArgs) -> Result<()> {
    let float = HostModel::load(&args.model)?;
    let label = args.label.as_deref();
    let (calibration, _) = rows_of(&float, &args.calibration, label)?;
    let int8 = quantize(&float, &calibration)
        .with_context(|| format!("quantizing {}", args.model.display()))?;
    let on_calibration = compared(&float, &int8, &args.calibration, label)?;
    let on_test = args
        .test
        .as_deref()
        .map(|t| compared(&float, &int8, t, label))
        .transpose()?;
    if args.json {
        let report = serde_json::json!({ "calibration": on_calibration, "test": on_test });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_comparison("calibration", &on_calibration);
        if let Some(t) = &on_test {
            print_comparison("test", t);
        }
    }
    if let Some(out) = &args.out {
        let bytes = int8.to_model_bytes(float.labels())?;
        std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
    }
    Ok(())
}

fn print_comparison(name: &str, c: &Comparison) {
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{:.2} %", 100.0 * v));
    let num = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
    println!("{name} ({} rows):", c.rows);
    println!(
        "  accuracy  float {:>9}  int8 {:>9}",
        pct(c.float_accuracy),
        pct(c.int8_accuracy)
    );
    println!(
        "  loss      float {:>9}  int8 {:>9}",
        num(c.float_loss),
        num(c.int8_loss)
    );
    println!(
        "  same top output on {:.2} % of rows; largest output difference {:.5}",
        100.0 * c.agreement,
        c.max_abs_diff
    );
    println!(
        "  parameters: float {} bytes, int8 {} bytes",
        c.float_bytes, c.int8_bytes
    );
}

/// Reads a TFLite file, describes it and writes float32 models as model files.
pub fn run_import(args: &ImportArgs) -> Result<()> {
    let bytes =
        std::fs::read(&args.model).with_context(|| format!("reading {}", args.model.display()))?;
    let imported = import(&bytes).with_context(|| format!("importing {}", args.model.display()))?;
    match &imported {
        Imported::Float { inputs, layers } => {
            let widths: Vec<String> = layers.iter().map(|l| l.bias.len().to_string()).collect();
            println!("float32 dense model: {inputs}-{}", widths.join("-"));
        }
        Imported::Int8 {
            model,
            float_input,
            float_output,
        } => {
            let per_channel = model.layers.iter().any(|l| l.weight_scales.len() > 1);
            println!(
                "int8 dense model: {}-{} ({} weights, {} input, {} output)",
                model.inputs(),
                model
                    .layers
                    .iter()
                    .map(|l| l.units().to_string())
                    .collect::<Vec<_>>()
                    .join("-"),
                if per_channel {
                    "per-channel"
                } else {
                    "per-tensor"
                },
                if *float_input { "float" } else { "int8" },
                if *float_output { "float" } else { "int8" },
            );
        }
    }
    if let Some(out) = &args.out {
        let model_bytes = imported.to_model_bytes()?;
        std::fs::write(out, model_bytes).with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
