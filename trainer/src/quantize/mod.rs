//! Post-training int8 quantization of a float model, with TensorFlow Lite's scheme.
//!
//! - Weights: symmetric int8 per output channel, `scale_j = max_i |w_ji| / 127`, values in
//!   `[-127, 127]`, zero point 0.
//! - Activations: asymmetric int8 per tensor, the range observed on calibration data widened
//!   to include 0, `scale = (max - min) / 255`, the zero point nudged to an integer the way
//!   TFLite's quantizer does (from whichever end gives the smaller error).
//! - Biases: int32, `round(b_j / (input_scale · scale_j))`.
//! - Requantization: [`quantize_multiplier`] of `input_scale · weight_scale / output_scale`,
//!   the f64 product of the f32 scales, as TFLite's kernels derive it.
//! - relu fused as a clamp at the quantized 0; softmax, sigmoid and tanh as TFLite's int8
//!   kernels with their fixed output quantization (1/256 and -128; 1/256 and -128; 1/128
//!   and 0), sigmoid and tanh through tables built with the C library's `expf`/`tanhf` as
//!   TFLite builds them.
//!
//! The standardization stays in f32 before the input quantization: the device standardizes,
//! quantizes, and runs the integer layers.

mod file;
mod model;
mod report;

pub use file::Int8FileError;
pub use model::{Int8Activation, Int8Layer, Int8Model};
pub use report::{compare, Comparison};

use crate::host::HostModel;
use dendrite_core::quant::{
    activation_range, lut_populate, quantize_multiplier, QuantParams, SoftmaxParams,
};
use dendrite_core::{kernel, Activation};

/// Why a model could not be quantized.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum QuantizeError {
    /// No calibration rows, or rows of the wrong width.
    #[error("calibration data has {found} values, not a positive multiple of the model's {inputs} inputs: give at least one row of {inputs} columns")]
    Calibration {
        /// The model's input width.
        inputs: usize,
        /// The number of values given.
        found: usize,
    },
    /// A calibration value or a weight is NaN or infinite.
    #[error("a calibration value or weight is NaN or infinite: clean the data or retrain")]
    NonFinite,
}

/// An int8 model with the float standardization that precedes it.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizedModel {
    /// Per-feature mean subtracted from raw inputs before quantization.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation the centred inputs are divided by.
    pub std: Vec<f32>,
    /// The integer network.
    pub int8: Int8Model,
}

impl QuantizedModel {
    /// Standardizes raw inputs, then runs the int8 network; returns dequantized outputs.
    ///
    /// # Errors
    /// dendrite-core's [`QuantError`](dendrite_core::quant::QuantError) for a wrong input width.
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>, dendrite_core::quant::QuantError> {
        let mut x = x.to_vec();
        kernel::standardize(&mut x, &self.mean, &self.std);
        self.int8.predict(&x)
    }
}

/// TFLite's asymmetric int8 parameters for a range: widened to contain 0, 255 steps, the
/// zero point from the end with the smaller rounding error, rounded and clamped.
///
/// ```
/// use dendrite_trainer::quantize::asymmetric_params;
/// let p = asymmetric_params(0.0, 2.55);
/// assert_eq!((p.scale, p.zero_point), (0.01, -128));
/// ```
pub fn asymmetric_params(min: f32, max: f32) -> QuantParams {
    let (min, max) = (min.min(0.0), max.max(0.0));
    if max == min {
        return QuantParams {
            scale: 1.0,
            zero_point: 0,
        };
    }
    let (qmin, qmax) = (-128.0f64, 127.0f64);
    // The width of the range in f32, as TFLite's converter computes it (its scales agree with
    // this to the bit on the fixtures; a width taken in f64 is an ulp off now and then).
    let scale = f64::from(max - min) / (qmax - qmin);
    let (min, max) = (f64::from(min), f64::from(max));
    let from_min = qmin - min / scale;
    let from_max = qmax - max / scale;
    let zero = if qmin.abs() + (min / scale).abs() < qmax.abs() + (max / scale).abs() {
        from_min
    } else {
        from_max
    };
    QuantParams {
        scale: scale as f32,
        zero_point: zero.round().clamp(qmin, qmax) as i32,
    }
}

/// Quantizes `model` with the ranges it reaches on `calibration` (raw rows, row-major).
///
/// # Errors
/// [`QuantizeError::Calibration`] for an empty or ragged calibration set;
/// [`QuantizeError::NonFinite`] for a NaN or infinite value.
pub fn quantize(model: &HostModel, calibration: &[f32]) -> Result<QuantizedModel, QuantizeError> {
    let inputs = model.input();
    if inputs == 0 || calibration.is_empty() || !calibration.len().is_multiple_of(inputs) {
        return Err(QuantizeError::Calibration {
            inputs,
            found: calibration.len(),
        });
    }
    let ranges = calibrate(model, calibration)?;
    let (mean, std) = model.standardization();
    let mut input = asymmetric_params(ranges[0].0, ranges[0].1);
    let mut layers = Vec::new();
    for (layer, &(lo, hi)) in model.layers().iter().zip(&ranges[1..]) {
        let fan_in = layer.kernel.len() / layer.units.max(1);
        let output = asymmetric_params(lo, hi);
        let (weights, weight_scales) = quantize_weights(&layer.kernel, fan_in);
        let bias = layer
            .bias
            .iter()
            .zip(&weight_scales)
            .map(|(&b, &s)| round_i32(f64::from(b) / (f64::from(input.scale) * f64::from(s))))
            .collect();
        let (multiplier, shift) = weight_scales
            .iter()
            .map(|&s| {
                quantize_multiplier(f64::from(input.scale) * f64::from(s) / f64::from(output.scale))
            })
            .unzip();
        let (activation_min, activation_max) = activation_range(
            layer.activation == Activation::Relu,
            false,
            output.scale,
            output.zero_point,
        );
        let (activation, activation_output) = output_activation(layer.activation, output);
        layers.push(Int8Layer {
            weights,
            bias,
            weight_scales,
            multiplier,
            shift,
            input,
            output,
            activation_min,
            activation_max,
            activation,
            activation_output,
        });
        input = activation_output;
    }
    Ok(QuantizedModel {
        mean: mean.to_vec(),
        std: std.to_vec(),
        int8: Int8Model { layers },
    })
}

/// The activation after the fully-connected step and the quantization of its output.
fn output_activation(
    activation: Activation,
    fc_output: QuantParams,
) -> (Int8Activation, QuantParams) {
    let sigmoid_out = QuantParams {
        scale: 1.0 / 256.0,
        zero_point: -128,
    };
    let table = |out: QuantParams, f: fn(f32) -> f32| {
        Box::new(lut_populate(
            fc_output.scale,
            fc_output.zero_point,
            out.scale,
            out.zero_point,
            f,
        ))
    };
    match activation {
        Activation::Linear | Activation::Relu => (Int8Activation::None, fc_output),
        Activation::Softmax => (
            Int8Activation::Softmax(SoftmaxParams::new(1.0, f64::from(fc_output.scale))),
            sigmoid_out,
        ),
        // std's f32 functions are the C library's `expf` and `tanhf`, which TFLite calls.
        Activation::Sigmoid => (
            Int8Activation::Logistic(table(sigmoid_out, |x| 1.0 / (1.0 + (-x).exp()))),
            sigmoid_out,
        ),
        Activation::Tanh => {
            let out = QuantParams {
                scale: 1.0 / 128.0,
                zero_point: 0,
            };
            (Int8Activation::Tanh(table(out, f32::tanh)), out)
        }
    }
}

/// Symmetric per-channel int8 weights: `scale_j = max |w_j| / 127`; an all-zero row gets
/// scale 1.
fn quantize_weights(kernel: &[f32], fan_in: usize) -> (Vec<i8>, Vec<f32>) {
    let mut weights = Vec::with_capacity(kernel.len());
    let mut scales = Vec::new();
    for row in kernel.chunks(fan_in.max(1)) {
        let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        weights.extend(
            row.iter()
                .map(|&w| (w / scale).round().clamp(-127.0, 127.0) as i8),
        );
        scales.push(scale);
    }
    (weights, scales)
}

fn round_i32(x: f64) -> i32 {
    x.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// Min and max of the standardized input and of each layer's quantized tensor (the output of
/// the fully-connected step with a fused relu applied; the logits before a softmax, sigmoid or
/// tanh) over the calibration rows.
fn calibrate(model: &HostModel, rows: &[f32]) -> Result<Vec<(f32, f32)>, QuantizeError> {
    let (mean, std) = model.standardization();
    let mut ranges = vec![(f32::INFINITY, f32::NEG_INFINITY); model.layers().len() + 1];
    let widen = |r: &mut (f32, f32), v: &[f32]| {
        for &x in v {
            r.0 = r.0.min(x);
            r.1 = r.1.max(x);
        }
    };
    for row in rows.chunks_exact(model.input()) {
        if row.iter().any(|v| !v.is_finite()) {
            return Err(QuantizeError::NonFinite);
        }
        let mut x = row.to_vec();
        kernel::standardize(&mut x, mean, std);
        widen(&mut ranges[0], &x);
        for (layer, range) in model.layers().iter().zip(&mut ranges[1..]) {
            let mut z = vec![0.0; layer.units];
            kernel::affine(&x, &layer.kernel, &layer.bias, &mut z);
            if layer.activation == Activation::Relu {
                Activation::Relu.apply(&mut z);
            }
            widen(range, &z);
            if !matches!(layer.activation, Activation::Linear | Activation::Relu) {
                layer.activation.apply(&mut z);
            }
            x = z;
        }
    }
    if ranges.iter().any(|r| !r.0.is_finite() || !r.1.is_finite()) {
        return Err(QuantizeError::NonFinite);
    }
    Ok(ranges)
}
