//! An int8 model file's integer network as JSON, for peers written in other languages (the
//! device benchmark's TFLite Micro and embedded-nn peers, `bench/device/run.py`): each layer's
//! weights, biases, multipliers, shifts, zero points, clamp and softmax parameters, and the
//! given raw inputs as the int8 network sees them (standardized, then quantized with the
//! input's parameters: TFLite's `QUANTIZE`).
//!
//! ```text
//! cargo run --release -p dendrite-trainer --example int8_export -- MODEL INPUTS.csv
//! ```
//!
//! `INPUTS.csv` holds one raw input per line, comma-separated, no header.

use std::process::ExitCode;

use dendrite_core::quant;
use dendrite_trainer::quantize::Int8Activation;
use dendrite_trainer::HostModel;
use serde_json::{json, Value};

fn main() -> ExitCode {
    match run() {
        Ok(doc) => {
            println!("{doc}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<Value, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, inputs] = args.as_slice() else {
        return Err("usage: int8_export MODEL INPUTS.csv".into());
    };
    let host = HostModel::load(model).map_err(|e| e.to_string())?;
    let int8 = host
        .int8()
        .ok_or_else(|| format!("{model} is an f32 model: quantize it first"))?;
    let input = int8
        .int8
        .input()
        .ok_or_else(|| format!("{model} has no int8 layer"))?;
    let text = std::fs::read_to_string(inputs).map_err(|e| format!("reading {inputs}: {e}"))?;
    let mut quantized = Vec::new();
    for (line_no, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut row = line
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<Result<Vec<f32>, _>>()
            .map_err(|e| format!("{inputs} line {}: {e}", line_no + 1))?;
        if row.len() != host.input() {
            return Err(format!(
                "{inputs} line {}: {} values, the model takes {}",
                line_no + 1,
                row.len(),
                host.input()
            ));
        }
        dendrite_core::kernel::standardize(&mut row, &int8.mean, &int8.std);
        let mut q = vec![0i8; row.len()];
        quant::quantize_all(&row, input, &mut q);
        quantized.push(q);
    }
    let layers: Vec<Value> = int8
        .int8
        .layers
        .iter()
        .map(|l| {
            let (softmax, lut) = match &l.activation {
                Int8Activation::None => (Value::Null, Value::Null),
                Int8Activation::Softmax(p) => (
                    json!({
                        "input_multiplier": p.input_multiplier,
                        "input_left_shift": p.input_left_shift,
                        "diff_min": p.diff_min,
                    }),
                    Value::Null,
                ),
                Int8Activation::Logistic(t) | Int8Activation::Tanh(t) => {
                    (Value::Null, json!(t.to_vec()))
                }
            };
            json!({
                "units": l.units(),
                "inputs": l.inputs(),
                "weights": l.weights,
                "bias": l.bias,
                "multiplier": l.multiplier,
                "shift": l.shift,
                "input_zero_point": l.input.zero_point,
                "output_zero_point": l.output.zero_point,
                "activation_min": l.activation_min,
                "activation_max": l.activation_max,
                "softmax": softmax,
                "lut": lut,
            })
        })
        .collect();
    Ok(json!({
        "model": model,
        "architecture": host.architecture().to_string(),
        "layers": layers,
        "quantized_inputs": quantized,
    }))
}
