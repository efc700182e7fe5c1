//! An int8 dense network as borrowed slices: the layers TFLite's converter produces for a
//! Keras dense model (fully connected with a fused relu/relu6, then optionally softmax,
//! logistic or tanh), run with TFLite's reference kernels.

use super::dot::{Dot, Scalar};
use super::ops::{
    dequantize, fully_connected_with, lookup, quantize, softmax_in_place, Lut, Requantize,
    SoftmaxParams,
};

/// The affine quantization of a tensor: `real = scale · (q - zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams {
    /// The size of one integer step.
    pub scale: f32,
    /// The integer that stands for 0.0, in `[-128, 127]`.
    pub zero_point: i32,
}

/// What follows a layer's fully-connected step (its fused relu/relu6 is in the clamp of
/// [`Requantize`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantizedActivation<'a> {
    /// Nothing: the layer's output is the fully-connected output.
    None,
    /// TFLite's int8 softmax; the output has scale 1/256 and zero point -128.
    Softmax(SoftmaxParams),
    /// A 256-entry table (TFLite's int8 logistic and tanh).
    Lut(&'a Lut),
}

/// One int8 dense layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizedDense<'a> {
    /// `OUT × IN` symmetric int8 weights, row-major (TFLite's `[out, in]`).
    pub weights: &'a [i8],
    /// `OUT` int32 biases, in units of `input_scale · weight_scale`.
    pub bias: &'a [i32],
    /// Zero points, output scaling and the fused activation's clamp.
    pub requantize: Requantize<'a>,
    /// What follows the fully-connected step.
    pub activation: QuantizedActivation<'a>,
}

impl QuantizedDense<'_> {
    /// The number of output units.
    pub fn units(&self) -> usize {
        self.bias.len()
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.weights.len().checked_div(self.bias.len()).unwrap_or(0)
    }

    /// Runs the layer with the inner products of `D` ([`Scalar`] unless a target plugs in a
    /// faster [`Dot`]): `x` has [`inputs`](Self::inputs) values, `out`
    /// [`units`](Self::units). A softmax or a table runs in place on `out`: no other buffer.
    ///
    /// Every int8 network of dendrite-core runs its layers through this function, so the host
    /// and the device compute the same bits.
    #[inline(always)]
    pub fn forward_with<D: Dot>(&self, x: &[i8], out: &mut [i8]) {
        fully_connected_with::<D>(x, self.weights, self.bias, &self.requantize, out);
        match self.activation {
            QuantizedActivation::None => {}
            QuantizedActivation::Lut(lut) => lookup(lut, out),
            QuantizedActivation::Softmax(params) => {
                let units = self.units().min(out.len());
                if let Some(out) = out.get_mut(..units) {
                    softmax_in_place(out, &params);
                }
            }
        }
    }

    fn is_consistent(&self) -> bool {
        let units = self.units();
        let scales = self.requantize.multiplier.len();
        units > 0
            && self.inputs() > 0
            && self.weights.len() == units * self.inputs()
            && (scales == 1 || scales == units)
            && self.requantize.shift.len() == scales
            && self.requantize.activation_min <= self.requantize.activation_max
            && self.requantize.shift.iter().all(|s| (-31..=30).contains(s))
    }
}

/// Why an int8 network cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuantError {
    /// The network has no layer, a layer has no unit, or a layer's arrays disagree in length.
    Malformed,
    /// A layer's input width differs from the previous layer's output width.
    ShapeMismatch,
    /// The input, output or scratch slice has the wrong length.
    WrongLength,
}

impl core::fmt::Display for QuantError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Malformed => "int8 network is malformed: a layer's arrays disagree in length",
            Self::ShapeMismatch => "int8 network's layer widths do not chain",
            Self::WrongLength => "input, output or scratch buffer has the wrong length",
        })
    }
}

impl core::error::Error for QuantError {}

/// An int8 dense network: quantized input, [`QuantizedDense`] layers, quantized output.
///
/// # Examples
/// ```
/// use dendrite_core::quant::*;
/// let (m, s) = quantize_multiplier(0.5);
/// let layer = QuantizedDense {
///     weights: &[1, -1],
///     bias: &[0],
///     requantize: Requantize {
///         input_zero_point: 0, output_zero_point: 0, multiplier: &[m], shift: &[s],
///         activation_min: -128, activation_max: 127,
///     },
///     activation: QuantizedActivation::None,
/// };
/// let layers = [layer];
/// let model = QuantizedModel {
///     input: QuantParams { scale: 0.1, zero_point: 0 },
///     layers: &layers,
///     output: QuantParams { scale: 0.05, zero_point: 0 },
/// };
/// let mut scratch = [0i8; 16];
/// let mut out = [0.0f32];
/// model.predict(&[1.0, 0.2], &mut scratch, &mut out)?;
/// // q(x) = [10, 2]; 10 - 2 = 8; 8 · 0.5 = 4; 4 · 0.05 = 0.2.
/// assert_eq!(out, [0.2]);
/// # Ok::<(), QuantError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantizedModel<'a> {
    /// The input tensor's quantization.
    pub input: QuantParams,
    /// The layers, first to last.
    pub layers: &'a [QuantizedDense<'a>],
    /// The output tensor's quantization.
    pub output: QuantParams,
}

impl QuantizedModel<'_> {
    /// The number of inputs (0 for a network without layers).
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, QuantizedDense::inputs)
    }

    /// The number of outputs (0 for a network without layers).
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, QuantizedDense::units)
    }

    /// The scratch length [`predict_quantized`](Self::predict_quantized) needs: two
    /// activations of the widest layer (each layer reads one and writes the other).
    pub fn scratch_len(&self) -> usize {
        2 * self
            .layers
            .iter()
            .map(|l| l.units().max(l.inputs()))
            .max()
            .unwrap_or(0)
    }

    /// Checks that every layer is consistent and the widths chain.
    ///
    /// # Errors
    /// [`QuantError::Malformed`] or [`QuantError::ShapeMismatch`].
    pub fn validate(&self) -> Result<(), QuantError> {
        if self.layers.is_empty() || !self.layers.iter().all(QuantizedDense::is_consistent) {
            return Err(QuantError::Malformed);
        }
        let chained = self
            .layers
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.units() == b.inputs()));
        if chained {
            Ok(())
        } else {
            Err(QuantError::ShapeMismatch)
        }
    }

    /// Runs the network on int8 inputs, writing its int8 outputs: what TFLite's interpreter
    /// computes for a model with int8 input and output tensors.
    ///
    /// # Errors
    /// [`QuantError::WrongLength`] when `x`, `out` or `scratch` has the wrong length; the
    /// errors of [`validate`](Self::validate).
    pub fn predict_quantized(
        &self,
        x: &[i8],
        scratch: &mut [i8],
        out: &mut [i8],
    ) -> Result<(), QuantError> {
        self.predict_quantized_with::<Scalar>(x, scratch, out)
    }

    /// [`predict_quantized`](Self::predict_quantized) with the inner products of `D` (see
    /// [`Dot`]): the same bits.
    ///
    /// # Errors
    /// As [`predict_quantized`](Self::predict_quantized).
    pub fn predict_quantized_with<D: Dot>(
        &self,
        x: &[i8],
        scratch: &mut [i8],
        out: &mut [i8],
    ) -> Result<(), QuantError> {
        self.validate()?;
        let width = scratch.len() / 2;
        if x.len() != self.inputs() || out.len() != self.outputs() || width * 2 < self.scratch_len()
        {
            return Err(QuantError::WrongLength);
        }
        let (a, b) = scratch.split_at_mut(width);
        let (mut current, mut next) = (a, b);
        let n = x.len();
        current
            .get_mut(..n)
            .ok_or(QuantError::WrongLength)?
            .copy_from_slice(x);
        let mut len = n;
        for layer in self.layers {
            let units = layer.units();
            let input = current.get(..len).ok_or(QuantError::WrongLength)?;
            let output = next.get_mut(..units).ok_or(QuantError::WrongLength)?;
            layer.forward_with::<D>(input, output);
            core::mem::swap(&mut current, &mut next);
            len = units;
        }
        out.copy_from_slice(current.get(..len).ok_or(QuantError::WrongLength)?);
        Ok(())
    }

    /// The scratch length [`predict`](Self::predict) needs: [`scratch_len`](Self::scratch_len)
    /// plus the quantized inputs and outputs.
    pub fn predict_scratch_len(&self) -> usize {
        self.scratch_len() + self.inputs() + self.outputs()
    }

    /// Runs the network on real inputs: quantizes them (TFLite's `QUANTIZE`), runs
    /// [`predict_quantized`](Self::predict_quantized), and dequantizes the outputs (TFLite's
    /// `DEQUANTIZE`). `scratch` needs [`predict_scratch_len`](Self::predict_scratch_len).
    ///
    /// # Errors
    /// As [`predict_quantized`](Self::predict_quantized).
    pub fn predict(
        &self,
        x: &[f32],
        scratch: &mut [i8],
        out: &mut [f32],
    ) -> Result<(), QuantError> {
        self.predict_with::<Scalar>(x, scratch, out)
    }

    /// [`predict`](Self::predict) with the inner products of `D` (see [`Dot`]): the same bits.
    ///
    /// # Errors
    /// As [`predict_quantized`](Self::predict_quantized).
    pub fn predict_with<D: Dot>(
        &self,
        x: &[f32],
        scratch: &mut [i8],
        out: &mut [f32],
    ) -> Result<(), QuantError> {
        if scratch.len() < self.predict_scratch_len()
            || x.len() != self.inputs()
            || out.len() != self.outputs()
        {
            return Err(QuantError::WrongLength);
        }
        let (work, io) = scratch.split_at_mut(self.scratch_len());
        let (q_in, q_out) = io.split_at_mut(x.len());
        quantize_all(x, self.input, q_in);
        let q_out = q_out.get_mut(..out.len()).ok_or(QuantError::WrongLength)?;
        self.predict_quantized_with::<D>(q_in, work, q_out)?;
        dequantize_all(q_out, self.output, out);
        Ok(())
    }
}

/// TFLite's `QUANTIZE` on a tensor: [`quantize`] of each value of `x` into `q`, in order.
#[inline(always)]
pub fn quantize_all(x: &[f32], params: QuantParams, q: &mut [i8]) {
    for (q, &v) in q.iter_mut().zip(x) {
        *q = quantize(v, params.scale, params.zero_point);
    }
}

/// TFLite's `DEQUANTIZE` on a tensor: [`dequantize`] of each value of `q` into `out`, in order.
#[inline(always)]
pub fn dequantize_all(q: &[i8], params: QuantParams, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(q) {
        *o = dequantize(v, params.scale, params.zero_point);
    }
}
