//! `dendrite info`: what a model file holds.

use anyhow::Result;
use clap::Args;
use dendrite_core::format::{DType, Task};
use dendrite_core::quant::QuantParams;
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The model file.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Info {
    file: PathBuf,
    architecture: String,
    /// `f32` or `int8`: the type of the weights.
    dtype: &'static str,
    input: usize,
    /// An int8 model's input quantization (of the standardized inputs, or of the raw ones
    /// when the model stores no standardization).
    #[serde(skip_serializing_if = "Option::is_none")]
    input_quantization: Option<Quant>,
    /// An int8 model's output quantization (`outputs = scale · (q - zero_point)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    output_quantization: Option<Quant>,
    layers: Vec<LayerInfo>,
    params: usize,
    /// Bytes of weights, biases and (int8) requantization parameters.
    parameter_bytes: usize,
    /// `classification`, `regression` or `anomaly`.
    task: &'static str,
    features: Vec<String>,
    labels: Vec<String>,
    /// The anomaly threshold, for an autoencoder.
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f32>,
    mean: Vec<f32>,
    std: Vec<f32>,
    file_size: usize,
    crc32: String,
}

#[derive(Debug, Serialize)]
struct LayerInfo {
    name: String,
    units: usize,
    activation: &'static str,
    params: usize,
    /// `f32` or `int8`.
    dtype: &'static str,
    /// Bytes the layer's parameters take: f32 weights and biases, or int8 weights, int32
    /// biases, int32 multipliers and their shifts.
    bytes: usize,
    /// An int8 layer's quantization.
    #[serde(skip_serializing_if = "Option::is_none")]
    int8: Option<Int8Info>,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Quant {
    scale: f32,
    zero_point: i32,
}

impl From<QuantParams> for Quant {
    fn from(p: QuantParams) -> Self {
        Quant {
            scale: p.scale,
            zero_point: p.zero_point,
        }
    }
}

#[derive(Debug, Serialize)]
struct Int8Info {
    /// The layer's input.
    input: Quant,
    /// The fully-connected step's output.
    output: Quant,
    /// After the layer's softmax, logistic or tanh (equal to `output` without one).
    activation_output: Quant,
    /// `per-channel` when the output units' requantization multipliers differ, else
    /// `per-tensor`.
    scaling: &'static str,
    /// The fused activation's clamp, in int8 units.
    clamp: (i8, i8),
}

pub fn run(args: &InfoArgs) -> Result<()> {
    let model = HostModel::load(&args.file)?;
    let info = describe(&model, args.file.clone());
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print_text(&info)?;
    }
    Ok(())
}

fn describe(model: &HostModel, file: PathBuf) -> Info {
    let mut fan_in = model.input();
    let int8 = model.int8_layers();
    let layers: Vec<LayerInfo> = model
        .layers()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let params = (fan_in + 1) * l.units;
            fan_in = l.units;
            let q = int8.and_then(|m| m.layers.get(i));
            LayerInfo {
                name: l.name.clone(),
                units: l.units,
                activation: l.activation.name(),
                params,
                dtype: dtype_name(l.dtype),
                bytes: q.map_or(4 * params, |q| {
                    q.weights.len() + 4 * (q.bias.len() + q.multiplier.len()) + q.shift.len()
                }),
                int8: q.map(|q| Int8Info {
                    input: q.input.into(),
                    output: q.output.into(),
                    activation_output: q.activation_output.into(),
                    scaling: if q
                        .multiplier
                        .iter()
                        .zip(&q.shift)
                        .all(|p| Some(p) == q.multiplier.first().zip(q.shift.first()))
                    {
                        "per-tensor"
                    } else {
                        "per-channel"
                    },
                    clamp: (q.activation_min, q.activation_max),
                }),
            }
        })
        .collect();
    let (mean, std) = model.standardization();
    Info {
        file,
        architecture: model.architecture().to_string(),
        dtype: if int8.is_some() { "int8" } else { "f32" },
        input: model.input(),
        input_quantization: int8.and_then(|m| m.input()).map(Quant::from),
        output_quantization: int8.and_then(|m| m.output()).map(Quant::from),
        parameter_bytes: layers.iter().map(|l| l.bytes).sum(),
        layers,
        params: model.param_count(),
        task: model.task().name(),
        features: model.features().to_vec(),
        labels: model.labels().to_vec(),
        threshold: match model.task() {
            Task::Anomaly { threshold } => Some(*threshold),
            _ => None,
        },
        mean: mean.to_vec(),
        std: std.to_vec(),
        file_size: model.file_len(),
        crc32: format!("{:#010x}", model.crc()),
    }
}

fn dtype_name(dtype: DType) -> &'static str {
    match dtype {
        DType::I8 => "int8",
        _ => "f32",
    }
}

fn print_text(info: &Info) -> anyhow::Result<()> {
    outln!("file:          {}", info.file.display());
    outln!("architecture:  {} ({})", info.architecture, info.dtype);
    if let Some(q) = info.input_quantization {
        outln!(
            "input int8:    scale {}, zero point {}",
            q.scale,
            q.zero_point
        );
    }
    for l in &info.layers {
        outln!(
            "  {:<12} {:>5} units  {:<8} {:>6} params  {:<4} {:>7} bytes",
            l.name,
            l.units,
            l.activation,
            l.params,
            l.dtype,
            l.bytes
        );
        if let Some(q) = &l.int8 {
            outln!(
                "  {:<12} out scale {} zero point {}, {} weights, clamp [{}, {}]",
                "",
                q.activation_output.scale,
                q.activation_output.zero_point,
                q.scaling,
                q.clamp.0,
                q.clamp.1
            );
        }
    }
    if let Some(q) = info.output_quantization {
        outln!(
            "output int8:   scale {}, zero point {} (outputs dequantized)",
            q.scale,
            q.zero_point
        );
    }
    outln!(
        "parameters:    {} ({} bytes)",
        info.params,
        info.parameter_bytes
    );
    outln!("task:          {}", info.task);
    if !info.features.is_empty() {
        outln!("features:      {}", info.features.join(", "));
    }
    if !info.labels.is_empty() {
        let what = if info.task == "regression" {
            "targets:  "
        } else {
            "classes:  "
        };
        outln!("{what}     {}", info.labels.join(", "));
    }
    if let Some(threshold) = info.threshold {
        outln!("threshold:     {threshold} (reconstruction error above it is an anomaly)");
    }
    outln!("standardize:   mean {:?}, std {:?}", info.mean, info.std);
    outln!("file size:     {} bytes", info.file_size);
    outln!("CRC-32:        {}", info.crc32);
    Ok(())
}
