//! `dendrite quantize` and `dendrite import`: int8 the TFLite way.

use super::model_data::{read_for_model, read_numeric};
use anyhow::{Context, Result};
use clap::Args;
use dendrite_core::format::Task;
use dendrite_trainer::data::Dataset;
use dendrite_trainer::export::{check_output, write_atomically};
use dendrite_trainer::limits::{read_limited, MAX_MODEL_FILE_BYTES};
use dendrite_trainer::quantize::{
    compare, quantize, standardization_step, Comparison, QuantizedModel, StandardizationStep, Truth,
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
    /// The label column of the CSV files, for the scores: the classes (accuracy and
    /// cross-entropy), a regression's target columns, comma-separated (squared and absolute
    /// errors in the targets' units), or an anomaly detector's 0/1 column (its flag's accuracy)
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

/// What is known of a CSV file's rows: the owned form of [`Truth`].
pub(super) enum Known {
    /// Class indices (classification).
    Classes(Vec<usize>),
    /// Targets, row-major, in their units (regression).
    Targets(Vec<f32>),
    /// 0/1 anomaly labels (anomaly detection).
    Anomalies(Vec<bool>),
}

/// Raw rows (row-major) and, when labelled, what they are.
pub(super) struct Rows {
    pub x: Vec<f32>,
    pub known: Option<Known>,
}

impl Rows {
    /// A CSV file's rows, columns matched to `model`'s features; `label` names the class column
    /// (classification), the target columns, comma-separated (regression), or a 0/1 column
    /// marking anomalous rows (anomaly detection).
    pub fn read(model: &HostModel, path: &Path, label: Option<&str>) -> Result<Self> {
        let Some(label) = label else {
            let data = match model.task() {
                Task::Classification => read_for_model(model, path, None, None)?,
                _ => read_numeric(model, path, None, &[])?,
            };
            check_width(model, path, &data)?;
            return Ok(Rows {
                x: data.x.iter().copied().collect(),
                known: None,
            });
        };
        if let Task::Classification = model.task() {
            let data = read_for_model(model, path, Some(label), None)?;
            return Ok(Rows {
                x: data.x.iter().copied().collect(),
                known: Some(Known::Classes(
                    data.labels.iter().map(|&l| l as usize).collect(),
                )),
            });
        }
        let columns: Vec<String> = label.split(',').map(|c| c.trim().to_owned()).collect();
        let mut data = read_numeric(model, path, None, &columns)?;
        let y = data.take_columns(&columns, path)?;
        check_width(model, path, &data)?;
        let known = match model.task() {
            Task::Regression { .. } => {
                anyhow::ensure!(
                    y.ncols() == model.output(),
                    "{}: --label names {} target columns, but the model has {} outputs",
                    path.display(),
                    y.ncols(),
                    model.output()
                );
                Known::Targets(y.iter().copied().collect())
            }
            _ => Known::Anomalies(y.column(0).iter().map(|&v| v != 0.0).collect()),
        };
        Ok(Rows {
            x: data.x.iter().copied().collect(),
            known: Some(known),
        })
    }

    fn truth(&self) -> Option<Truth<'_>> {
        self.known.as_ref().map(|k| match k {
            Known::Classes(c) => Truth::Classes(c),
            Known::Targets(t) => Truth::Targets(t),
            Known::Anomalies(a) => Truth::Anomalies(a),
        })
    }
}

fn check_width(model: &HostModel, path: &Path, data: &Dataset) -> Result<()> {
    anyhow::ensure!(
        data.x.ncols() == model.input(),
        "{}: {} feature columns ({}), but the model takes {} inputs: name the label column \
         with --label",
        path.display(),
        data.x.ncols(),
        data.features.join(", "),
        model.input()
    );
    Ok(())
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
    let compared = |rows: &Rows| compare(float, &int8, &rows.x, rows.truth());
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
    let pair = |what: &str, f: String, q: String| {
        outln!("  {what:<9} float {f:>9}  int8 {q:>9}");
        Ok::<(), anyhow::Error>(())
    };
    outln!("{name} ({} rows):", c.rows);
    match c.task {
        "regression" => {
            pair("mse", num(c.float_loss), num(c.int8_loss))?;
            pair("mae", num(c.float_mae), num(c.int8_mae))?;
            outln!(
                "  largest output difference {:.5} (in the targets' units)",
                c.max_abs_diff
            );
        }
        "anomaly" => {
            pair("error", num(c.float_loss), num(c.int8_loss))?;
            pair("accuracy", pct(c.float_accuracy), pct(c.int8_accuracy))?;
            outln!(
                "  same anomaly flag on {} of rows; largest output difference {:.5}",
                pct(c.agreement),
                c.max_abs_diff
            );
        }
        _ => {
            pair("accuracy", pct(c.float_accuracy), pct(c.int8_accuracy))?;
            pair("loss", num(c.float_loss), num(c.int8_loss))?;
            outln!(
                "  same top output on {} of rows; largest output difference {:.5}",
                pct(c.agreement),
                c.max_abs_diff
            );
        }
    }
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
        Imported::Float {
            inputs,
            standardization,
            layers,
        } => {
            let widths: Vec<String> = layers.iter().map(|l| l.bias.len().to_string()).collect();
            outln!("float32 dense model: {inputs}-{}", widths.join("-"));
            if standardization.is_some() {
                // TFLite multiplies by the reciprocal the converter stored; the file divides.
                outln!("standardization: (x - mean) / std, folded from the operators on the input (std = 1 / a MUL's factor)");
            }
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
