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
//! The standardization and the input quantization: TFLite quantizes its input per tensor (one
//! scale, one zero point), so a per-feature standardization cannot fold into it. The
//! standardization folds exactly, and the model file then stores none (mean 0, std 1), when
//! every feature has mean 0 and the same power-of-two std `p` (among them the identity of
//! `standardize = false` and of imported models) and the input scale `s` lies in
//! `[f32::EPSILON, 1e30]`: the folded input scale is `s · p`, an exact product, and for every
//! finite input `x`, `round((x / p) / s)` and `round(x / (s · p))` are the same rounding of the
//! same real number, so the int8 inputs, and every output, are the bits the unfolded model
//! computes. An anomaly detector's standardization never folds: it is also the autoencoder's
//! target, which the reconstruction error compares the outputs with. Any other standardization
//! (per-feature means and stds, the usual case, or a non-power-of-two std whose division
//! rounds) stays an f32 step before the input quantization: the host and the device standardize, quantize, and run the integer layers.
//! [`standardization_step`] says which a quantized model got.

mod file;
mod model;
mod report;

pub use file::Int8FileError;
pub use model::{Int8Activation, Int8Layer, Int8Model};
pub use report::{compare, Comparison, Truth};

use crate::host::HostModel;
use dendrite_core::quant::{
    self as quant, activation_range, lut_populate, quantize_multiplier, QuantError, QuantParams,
    SoftmaxParams,
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
    /// The model already has int8 layers.
    #[error("the model is already int8: quantize the f32 model file it came from")]
    AlreadyInt8,
    /// A layer's activation has no int8 form in Dendrite.
    #[error("layer {layer}: activation {activation} has no int8 form (TFLite's is a lookup table Dendrite does not have): use linear, relu, relu6, sigmoid, tanh or softmax, or keep the f32 model")]
    UnsupportedActivation {
        /// The layer's name.
        layer: String,
        /// Its activation.
        activation: Activation,
    },
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
    /// dendrite-core's [`QuantError`] for a wrong input width.
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>, QuantError> {
        self.predict_both(x).map(|(real, _)| real)
    }

    /// Standardizes raw inputs, quantizes them with the input's parameters (TFLite's
    /// `QUANTIZE`), runs dendrite-core's int8 layers, and returns the outputs both dequantized
    /// (TFLite's `DEQUANTIZE`) and as the raw int8 values.
    ///
    /// # Errors
    /// dendrite-core's [`QuantError`] for a wrong input width or a malformed network.
    pub fn predict_both(&self, x: &[f32]) -> Result<(Vec<f32>, Vec<i8>), QuantError> {
        let (Some(input), Some(output)) = (self.int8.input(), self.int8.output()) else {
            return Err(QuantError::Malformed);
        };
        if x.len() != self.int8.inputs() {
            return Err(QuantError::WrongLength);
        }
        let mut x = x.to_vec();
        kernel::standardize(&mut x, &self.mean, &self.std);
        let mut q = vec![0i8; x.len()];
        quant::quantize_all(&x, input, &mut q);
        let out = self.int8.predict_quantized(&q)?;
        let mut real = vec![0.0f32; out.len()];
        quant::dequantize_all(&out, output, &mut real);
        Ok((real, out))
    }

    /// Whether the model stores no standardization (every mean 0, every std 1).
    pub fn has_identity_standardization(&self) -> bool {
        is_identity(&self.mean, &self.std)
    }
}

fn is_identity(mean: &[f32], std: &[f32]) -> bool {
    mean.iter().all(|&m| m == 0.0) && std.iter().all(|&s| s == 1.0)
}

/// What became of a float model's standardization in its int8 model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardizationStep {
    /// The float model has none (mean 0, std 1): nothing to fold.
    None,
    /// Folded into the input quantization (exact; see the [module](self) documentation).
    Folded,
    /// Kept as an f32 step before the input quantization (per-feature, or not exact).
    KeptF32,
}

impl StandardizationStep {
    /// One line for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "none (the model has no standardization)",
            Self::Folded => "folded into the input quantization (exact)",
            Self::KeptF32 => {
                "kept as an f32 step before the input quantization (TFLite's input quantization \
                 is per tensor; the standardization is per feature or not exactly foldable)"
            }
        }
    }
}

/// What [`quantize`] did with `float`'s standardization to make `int8`.
pub fn standardization_step(float: &HostModel, int8: &QuantizedModel) -> StandardizationStep {
    let (mean, std) = float.standardization();
    if is_identity(mean, std) {
        StandardizationStep::None
    } else if int8.has_identity_standardization() {
        StandardizationStep::Folded
    } else {
        StandardizationStep::KeptF32
    }
}

/// The power of two `p` that a standardization with every mean 0 and every std `p` divides by,
/// when it folds exactly into an input scale `scale` (see the [module](self) documentation).
fn foldable(mean: &[f32], std: &[f32], scale: f32) -> Option<f32> {
    let p = *std.first()?;
    let power_of_two = p.is_normal() && p > 0.0 && p.to_bits() & 0x007f_ffff == 0;
    let folded = scale * p;
    (power_of_two
        && mean.iter().all(|&m| m == 0.0)
        && std.iter().all(|&s| s.to_bits() == p.to_bits())
        && (f32::EPSILON..=1e30).contains(&scale)
        && folded.is_normal()
        && folded / p == scale)
        .then_some(p)
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
/// [`QuantizeError::NonFinite`] for a NaN or infinite value;
/// [`QuantizeError::UnsupportedActivation`] for an activation with no int8 form (all but
/// linear, relu, relu6, sigmoid, tanh and softmax).
pub fn quantize(model: &HostModel, calibration: &[f32]) -> Result<QuantizedModel, QuantizeError> {
    if model.int8().is_some() {
        return Err(QuantizeError::AlreadyInt8);
    }
    if let Some(layer) = model.layers().iter().find(|l| !has_int8_form(l.activation)) {
        return Err(QuantizeError::UnsupportedActivation {
            layer: layer.name.clone(),
            activation: layer.activation,
        });
    }
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
        // A relu6 is TFLite's fused relu6: the clamp at the quantized 0 and 6, nothing after.
        let (activation_min, activation_max) = activation_range(
            layer.activation == Activation::Relu,
            layer.activation == Activation::Relu6,
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
    let first_scale = layers.first().map_or(0.0, |l| l.input.scale);
    // An autoencoder's standardization is also its target (the reconstruction error compares
    // the outputs with the standardized inputs): it stays in the file.
    let autoencoder = matches!(model.task(), dendrite_core::format::Task::Anomaly { .. });
    let fold = foldable(mean, std, first_scale).filter(|_| !autoencoder);
    if let (Some(p), Some(first)) = (fold, layers.first_mut()) {
        // The integer layers are unchanged (the bias and the multipliers keep the standardized
        // scale); only the raw inputs' quantization takes the standardization in.
        first.input.scale = first_scale * p;
        return Ok(QuantizedModel {
            mean: vec![0.0; inputs],
            std: vec![1.0; inputs],
            int8: Int8Model { layers },
        });
    }
    Ok(QuantizedModel {
        mean: mean.to_vec(),
        std: std.to_vec(),
        int8: Int8Model { layers },
    })
}

/// Whether `quantize` turns `activation` into int8: TFLite's fused clamps (relu, relu6), its
/// softmax, and its logistic and tanh tables.
fn has_int8_form(activation: Activation) -> bool {
    matches!(
        activation,
        Activation::Linear
            | Activation::Relu
            | Activation::Relu6
            | Activation::Sigmoid
            | Activation::Tanh
            | Activation::Softmax
    )
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
        Activation::Linear | Activation::Relu | Activation::Relu6 => {
            (Int8Activation::None, fc_output)
        }
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
        // Refused by `quantize` before any layer is built.
        _ => (Int8Activation::None, fc_output),
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
/// the fully-connected step with a fused relu or relu6 applied; the logits before a softmax,
/// sigmoid or tanh) over the calibration rows.
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
            let fused = matches!(layer.activation, Activation::Relu | Activation::Relu6);
            if fused {
                layer.activation.apply(&mut z);
            }
            widen(range, &z);
            if !fused {
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
