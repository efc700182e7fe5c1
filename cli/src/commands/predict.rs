//! `dendrite predict`: one input through a model file, with dendrite-core's forward pass.

use anyhow::{Context, Result};
use clap::Args;
use dendrite_core::format::Task;
use dendrite_trainer::regression::target_names;
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// The raw input values, one per feature (standardization is in the model).
    #[arg(required_unless_present = "data", allow_negative_numbers = true)]
    inputs: Vec<f32>,
    /// Predict every row of this CSV file (header line, raw features) and write CSV.
    #[arg(long, conflicts_with = "inputs")]
    data: Option<PathBuf>,
    /// With --data: a column to leave out of the inputs (the label).
    #[arg(long, requires = "data")]
    label: Option<String>,
    /// With --data: feature columns, comma-separated, in the model's input order (default: the
    /// model's feature names, in any column order).
    #[arg(long, requires = "data", value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// With --data: write the predictions here instead of standard output.
    #[arg(long, requires = "data")]
    out: Option<PathBuf>,
    /// Print JSON instead of text (with --data: a JSON array, one object per row).
    #[arg(long)]
    json: bool,
    /// Also run the input on the firmware (under QEMU or on a board) and compare, bit for bit.
    #[command(flatten)]
    device: super::device::DeviceArgs,
}

/// What `predict` reports; outputs are printed with enough digits to round-trip the bits.
#[derive(Debug, Serialize)]
struct Prediction {
    inputs: Vec<f32>,
    /// In the user's units: a regression model's targets, destandardized.
    outputs: Vec<f32>,
    /// None for a regression or anomaly model.
    class: Option<usize>,
    label: Option<String>,
    /// A regression model's target names, one per output.
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<String>>,
    /// An anomaly detector's reconstruction error (dendrite-core's, the device's).
    #[serde(skip_serializing_if = "Option::is_none")]
    reconstruction_error: Option<f32>,
    /// Whether the error is above the model's threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    anomalous: Option<bool>,
    /// An int8 model's raw int8 outputs (`outputs` are them dequantized), to compare with
    /// TFLite's interpreter.
    #[serde(skip_serializing_if = "Option::is_none")]
    quantized_outputs: Option<Vec<i8>>,
}

pub fn run(args: &PredictArgs) -> Result<()> {
    if let Some(data) = &args.data {
        let features = args.features.as_deref();
        let label = args.label.as_deref();
        // Refused, not run on the host in silence: a file's rows go through the device one at a
        // time in a session.
        anyhow::ensure!(
            !args.device.wanted(),
            "predict --data runs on the host only; to run a file's rows on the device, feed them \
             to a session: `dendrite run --model {} --qemu (or --serial PORT) < inputs.txt`",
            args.model.display()
        );
        let out = args.out.as_ref();
        return super::predict_data::run(&args.model, data, label, features, out, args.json);
    }
    if args.device.wanted() {
        return super::device::predict(&args.device, &args.model, &args.inputs, args.json);
    }
    let model = HostModel::load(&args.model)?;
    anyhow::ensure!(
        args.inputs.len() == model.input(),
        "{} takes {} input values, got {}: give one value per feature",
        args.model.display(),
        model.input(),
        args.inputs.len()
    );
    let outputs = model
        .predict(&args.inputs)
        .with_context(|| format!("running {}", args.model.display()))?;
    let quantized_outputs = model
        .predict_quantized(&args.inputs)
        .with_context(|| format!("running {}", args.model.display()))?;
    let class = model.class_of(&outputs);
    let label = class.and_then(|c| model.labels().get(c).cloned());
    let (targets, reconstruction_error, anomalous) = match model.task() {
        Task::Regression { .. } => (Some(target_names(&model)), None, None),
        Task::Anomaly { .. } => {
            let r = model.reconstruction(&args.inputs, &outputs);
            (None, r.map(|r| r.error), r.map(|r| r.anomalous))
        }
        Task::Classification => (None, None, None),
    };
    let prediction = Prediction {
        inputs: args.inputs.clone(),
        outputs: model.values(&outputs),
        class,
        label,
        targets,
        reconstruction_error,
        anomalous,
        quantized_outputs,
    };
    if args.json {
        outln!("{}", serde_json::to_string(&prediction)?);
    } else {
        print_text(&prediction)?;
    }
    Ok(())
}

fn print_text(p: &Prediction) -> anyhow::Result<()> {
    let join = |v: &[f32]| v.iter().map(f32::to_string).collect::<Vec<_>>().join(", ");
    outln!("inputs:  [{}]", join(&p.inputs));
    match &p.targets {
        Some(names) => {
            for (name, v) in names.iter().zip(&p.outputs) {
                outln!("{name}: {v}");
            }
        }
        None => outln!("outputs: [{}]", join(&p.outputs)),
    }
    if let Some(q) = &p.quantized_outputs {
        let q: Vec<String> = q.iter().map(i8::to_string).collect();
        outln!("int8:    [{}]", q.join(", "));
    }
    if let (Some(error), Some(anomalous)) = (p.reconstruction_error, p.anomalous) {
        let verdict = if anomalous { "anomalous" } else { "normal" };
        outln!("reconstruction error: {error} -> {verdict}");
    }
    match (p.class, &p.label) {
        (Some(class), Some(label)) => outln!("class:   {class} ({label})"),
        (Some(class), None) => outln!("class:   {class}"),
        (None, _) => {}
    }
    Ok(())
}
