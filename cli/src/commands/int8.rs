//! `dendrite quantize` and `dendrite import`: int8 the TFLite way.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::export::{check_output, write_atomically};
use dendrite_trainer::limits::{read_limited, MAX_MODEL_FILE_BYTES};
use dendrite_trainer::quantize::{
    compare, quantize, standardization_step, Comparison, QuantizedModel, StandardizationStep,
};
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

/// Raw rows (row-major) and, when labelled, their class indices.
pub(super) struct Rows {
    pub x: Vec<f32>,
    pub labels: Option<Vec<usize>>,
}

impl Rows {
    /// A CSV file's rows, columns matched to `model`'s features.
    pub fn read(model: &HostModel, path: &Path, label: Option<&str>) -> Result<Self> {
        let (x, labels) = rows_of(model, path, label)?;
        Ok(Rows {
            x,
            labels: label.map(|_| labels),
        })
    }
}

/// What `dendrite quantize` (and `dendrite train` with `[quantize]`) reports.
#[derive(serde::Serialize)]
pub(super) struct Report {
    calibration: Comparison,
    test: Option<Comparison>,
    /// What became of the standardization: `none`, `folded` or `kept_f32`.
    standardization: StandardizationStep,
}

/// Quantizes `float` with the ranges it reaches on `calibration`, and compares float with
/// int8 on the calibration rows and on `test`.
pub(super) fn quantize_and_compare(
    float: &HostModel,
    origin: &Path,
    calibration: &Rows,
    test: Option<&Rows>,
) -> Result<(QuantizedModel, Report)> {
    let int8 = quantize(float, &calibration.x)
        .with_context(|| format!("quantizing {}", origin.display()))?;
    let compared = |rows: &Rows| compare(float, &int8, &rows.x, rows.labels.as_deref());
    let report = Report {
        calibration: compared(calibration)?,
        test: test.map(compared).transpose()?,
        standardization: standardization_step(float, &int8),
    };
    Ok((int8, report))
}

impl Report {
    /// Prints the report as text, or as JSON.
    pub fn print(&self, json: bool) -> Result<()> {
        if json {
            outln!("{}", serde_json::to_string_pretty(self)?);
        } else {
            print_comparison("calibration", &self.calibration)?;
            if let Some(t) = &self.test {
                print_comparison("test", t)?;
            }
            outln!("standardization: {}", self.standardization.describe());
        }
        Ok(())
    }
}

/// Quantizes a model file and reports float against int8.
pub fn run_quantize(args: &QuantizeArgs) -> Result<()> {
    if let Some(out) = &args.out {
        let mut inputs = vec![args.model.as_path(), args.calibration.as_path()];
        inputs.extend(args.test.as_deref());
        check_output(out, &inputs).context("--out")?;
    }
    let float = HostModel::load(&args.model)?;
    float.require_f32("quantizing")?;
    let label = args.label.as_deref();
    let calibration = Rows::read(&float, &args.calibration, label)?;
    let test = args
        .test
        .as_deref()
        .map(|t| Rows::read(&float, t, label))
        .transpose()?;
    let (int8, report) = quantize_and_compare(&float, &args.model, &calibration, test.as_ref())?;
    report.print(args.json)?;
    if let Some(out) = &args.out {
        let bytes = int8.to_model_file(&float)?;
        write_atomically(out, &bytes)?;
        eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
    }
    Ok(())
}

fn print_comparison(name: &str, c: &Comparison) -> anyhow::Result<()> {
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{:.2} %", 100.0 * v));
    let num = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
    outln!("{name} ({} rows):", c.rows);
    outln!(
        "  accuracy  float {:>9}  int8 {:>9}",
        pct(c.float_accuracy),
        pct(c.int8_accuracy)
    );
    outln!(
        "  loss      float {:>9}  int8 {:>9}",
        num(c.float_loss),
        num(c.int8_loss)
    );
    outln!(
        "  same top output on {:.2} % of rows; largest output difference {:.5}",
        100.0 * c.agreement,
        c.max_abs_diff
    );
    outln!(
        "  parameters: float {} bytes, int8 {} bytes",
        c.float_bytes,
        c.int8_bytes
    );
    Ok(())
}

/// Reads a TFLite file, describes it and writes float32 models as model files.
pub fn run_import(args: &ImportArgs) -> Result<()> {
    if let Some(out) = &args.out {
        check_output(out, &[&args.model]).context("--out")?;
    }
    let bytes = read_limited(&args.model, MAX_MODEL_FILE_BYTES)
        .with_context(|| format!("reading {}", args.model.display()))?;
    let imported = import(&bytes).with_context(|| format!("importing {}", args.model.display()))?;
    match &imported {
        Imported::Float { inputs, layers } => {
            let widths: Vec<String> = layers.iter().map(|l| l.bias.len().to_string()).collect();
            outln!("float32 dense model: {inputs}-{}", widths.join("-"));
        }
        Imported::Int8 {
            model,
            float_input,
            float_output,
        } => {
            let per_channel = model.layers.iter().any(|l| l.weight_scales.len() > 1);
            outln!(
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
        write_atomically(out, &model_bytes)?;
        outln!("wrote {}", out.display());
    }
    Ok(())
}
