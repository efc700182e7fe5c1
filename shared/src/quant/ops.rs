//! TFLite's int8 reference kernels over slices: fully connected, quantize, dequantize,
//! softmax, and the 256-entry lookup table its logistic and tanh use.

use super::dot::{Dot, Scalar, DOT_CHUNK};
use super::fixed::{
    exp_on_negative_values, multiply_by_quantized_multiplier_greater_than_one, quantize_multiplier,
    reciprocal, rounding_divide_by_pot, rounding_doubling_high_mul, Rescale, ZeroPoint,
};

/// The requantization of a fully-connected layer: zero points, the output scaling and the
/// fused activation's clamp.
///
/// `multiplier` and `shift` hold one entry per output unit (per-channel weights) or a single
/// entry for all of them (per-tensor weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requantize<'a> {
    /// The input tensor's zero point.
    pub input_zero_point: i32,
    /// The output tensor's zero point.
    pub output_zero_point: i32,
    /// Q0.31 significands of `input_scale · weight_scale / output_scale`.
    pub multiplier: &'a [i32],
    /// Their power-of-two exponents.
    pub shift: &'a [i32],
    /// The lowest output value: -128, or the quantized 0 of a fused relu.
    pub activation_min: i8,
    /// The highest output value: 127, or the quantized 6 of a fused relu6.
    pub activation_max: i8,
}

/// TFLite's int8 fully-connected reference kernel (`reference_integer_ops::FullyConnected` and
/// `FullyConnectedPerChannel`): for each unit `j`,
/// `acc = Σ_i w_ji · (x_i - input_zero_point) + bias_j`, scaled by
/// [`multiply_by_quantized_multiplier`](super::fixed::multiply_by_quantized_multiplier), shifted
/// by the output zero point and clamped.
///
/// Weights are symmetric (zero point 0), as TFLite's int8 specification requires. Integer sums
/// do not depend on order, so any faster kernel that computes the same sums gives the same bits.
///
/// # Shapes
/// `x`: `IN`; `weights`: `OUT × IN`, row-major (TFLite's `[out, in]`); `bias` and `out`: `OUT`;
/// `params.multiplier` and `params.shift`: `OUT` or 1. Units beyond the shortest slice are
/// left untouched.
///
/// # Examples
/// ```
/// use dendrite_core::quant::{fully_connected, quantize_multiplier, Requantize};
/// let (m, s) = quantize_multiplier(0.5);
/// let params = Requantize {
///     input_zero_point: -1, output_zero_point: 3, multiplier: &[m], shift: &[s],
///     activation_min: -128, activation_max: 127,
/// };
/// let mut out = [0i8; 1];
/// // (2·(4+1) + 1·(-2+1)) + 5 = 14; 14 · 0.5 = 7; + 3 = 10.
/// fully_connected(&[4, -2], &[2, 1], &[5], &params, &mut out);
/// assert_eq!(out, [10]);
/// ```
pub fn fully_connected(
    x: &[i8],
    weights: &[i8],
    bias: &[i32],
    params: &Requantize,
    out: &mut [i8],
) {
    fully_connected_with::<Scalar>(x, weights, bias, params, out);
}

/// [`fully_connected`] with the inner products from `D` (a target's faster kernel: see
/// [`Dot`]): the same bits as [`Scalar`] for any `D` that meets the contract.
///
/// The units go through `D` in chunks of up to [`DOT_CHUNK`] (one [`Dot::with_sums`] call
/// each, the sums started from the biases), then through a requantization loop that holds the
/// layer's constants in registers.
#[inline(always)]
pub fn fully_connected_with<D: Dot>(
    x: &[i8],
    weights: &[i8],
    bias: &[i32],
    params: &Requantize,
    out: &mut [i8],
) {
    let n = x.len();
    if n == 0 {
        return;
    }
    let (Some(_), Some(_)) = (params.multiplier.first(), params.shift.first()) else {
        return;
    };
    let per_channel = params.multiplier.len() > 1;
    let units = out.len().min(bias.len()).min(weights.len() / n);
    // Units whose scaling is missing (a malformed per-channel layer) are left untouched.
    let units = if per_channel {
        units.min(params.multiplier.len()).min(params.shift.len())
    } else {
        units
    };
    let (Some(weights), Some(out), Some(bias)) = (
        weights.get(..units * n),
        out.get_mut(..units),
        bias.get(..units),
    ) else {
        return;
    };
    let input_offset = params.input_zero_point.wrapping_neg();
    let zero_point = ZeroPoint::new(params.output_zero_point);
    let chunks = weights
        .chunks(DOT_CHUNK * n)
        .zip(out.chunks_mut(DOT_CHUNK))
        .zip(bias.chunks(DOT_CHUNK));
    for (first, ((block, out), bias)) in (0..).step_by(DOT_CHUNK).zip(chunks) {
        let scales = if per_channel {
            match (
                params.multiplier.get(first..first + out.len()),
                params.shift.get(first..first + out.len()),
            ) {
                (Some(m), Some(s)) => Some((m, s)),
                _ => return,
            }
        } else {
            None
        };
        chunk::<D>(
            x,
            input_offset,
            block,
            bias,
            scales,
            zero_point,
            params,
            out,
        );
    }
}

/// One chunk of a layer: its sums from `D` ([`Dot::with_sums`]), then their requantization.
///
/// Out of line, so that one frame holds the chunk's sums whichever layer calls it (each layer's
/// inlined copy would reserve its own: on the Cortex-M4F, 272 more bytes of stack for
/// 16-32-32-4), for one call per chunk.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn chunk<D: Dot>(
    x: &[i8],
    input_offset: i32,
    weights: &[i8],
    bias: &[i32],
    scales: Option<(&[i32], &[i32])>,
    zero_point: Option<ZeroPoint>,
    params: &Requantize,
    out: &mut [i8],
) {
    D::with_sums(x, input_offset, weights, bias, |acc| {
        // The units the kernel's own loop requantizes (per-channel scales, an int8 zero point,
        // no fused activation's clamp), if any; then the rest, if any, in dendrite-core's.
        let done = match (scales, zero_point) {
            (Some((ms, ss)), Some(zero_point))
                if (params.activation_min, params.activation_max) == (i8::MIN, i8::MAX) =>
            {
                D::requantize_prefix(acc, ms, ss, zero_point.round(), out)
            }
            _ => 0,
        };
        if done < out.len() {
            requantize::<D>(acc, scales, zero_point, params, out, done);
        }
    });
}

/// The requantization of a chunk's sums `acc` into `out` from unit `first` on (the kernel's
/// loop wrote those before): `scales` per unit (per-channel) or `params`' first (per-tensor),
/// the output zero point, the clamp.
///
/// Out of line too: its loop then has the registers to itself (inlined into [`chunk`], the
/// Cortex-M4F build keeps a constant of the loop on the stack).
#[inline(never)]
fn requantize<D: Dot>(
    acc: &[i32],
    scales: Option<(&[i32], &[i32])>,
    zero_point: Option<ZeroPoint>,
    params: &Requantize,
    out: &mut [i8],
    first: usize,
) {
    let scales = scales.map(|(ms, ss)| {
        (
            ms.get(first..).unwrap_or(&[]),
            ss.get(first..).unwrap_or(&[]),
        )
    });
    let (Some(acc), Some(out)) = (acc.get(first..), out.get_mut(first..)) else {
        return;
    };
    let (min, max) = (params.activation_min, params.activation_max);
    match (scales, zero_point) {
        // Every layer of a model file: per-channel scales, an int8 zero point.
        (Some((ms, ss)), Some(zero_point)) => {
            let units = out.iter_mut().zip(acc).zip(ms.iter().zip(ss));
            let rescaled = units.map(|((o, &sum), (&m, &s))| {
                (
                    o,
                    Rescale::new(m, s).apply_offset_by(sum, zero_point, D::mul_high),
                )
            });
            if (min, max) == (i8::MIN, i8::MAX) {
                // No fused activation's clamp: int8's range only (`SSAT` on ARMv7-M).
                rescaled.for_each(|(o, v)| *o = v.clamp(-128, 127) as i8);
            } else {
                let (min, max) = (i32::from(min), i32::from(max));
                rescaled.for_each(|(o, v)| *o = clamp(v, min, max));
            }
        }
        _ => {
            // Per-tensor scaling (one for the layer) or a zero point beyond int8's range.
            let (min, max) = (i32::from(min), i32::from(max));
            let zero_point = params.output_zero_point;
            let (Some(&m0), Some(&s0)) = (params.multiplier.first(), params.shift.first()) else {
                return;
            };
            let shared = Rescale::new(m0, s0);
            for (j, (o, &sum)) in out.iter_mut().zip(acc).enumerate() {
                let rescale = match scales {
                    Some((ms, ss)) => match (ms.get(j), ss.get(j)) {
                        (Some(&m), Some(&s)) => Rescale::new(m, s),
                        _ => return,
                    },
                    None => shared,
                };
                *o = clamp(rescale.apply(sum).saturating_add(zero_point), min, max);
            }
        }
    }
}

/// `v` clamped to `[min, max]`, as int8.
///
/// `max(min).min(max)`: `clamp`'s result for `min <= max` (every valid layer), without its
/// assertion (a panic path in the loop; a malformed layer's values are unspecified, not a
/// panic).
#[inline(always)]
fn clamp(v: i32, min: i32, max: i32) -> i8 {
    v.max(min).min(max) as i8
}

/// One real value to int8, as TFLite's `QUANTIZE` reference kernel (`AffineQuantize`) does:
/// `round(x / scale) + zero_point`, the division in f32, ties away from zero, clamped to
/// `[-128, 127]`.
///
/// ```
/// use dendrite_core::quant::quantize;
/// assert_eq!(quantize(0.25, 0.5, -3), -2); // 0.5 -> 1
/// assert_eq!(quantize(1e9, 0.1, 0), 127);
/// ```
#[inline(always)]
pub fn quantize(x: f32, scale: f32, zero_point: i32) -> i8 {
    round_to_i32(x / scale)
        .saturating_add(zero_point)
        .clamp(-128, 127) as i8
}

/// `libm::roundf(y) as i32` (half away from zero, then Rust's saturating cast, NaN to 0) from
/// the bits of `y`, in integer instructions only: no library call, and no soft-float routine on
/// a core without an FPU.
///
/// With `y = ±m · 2^(e - 23)` (`m` the 24-bit significand): below 1/2 the result is 0; for
/// `e < 23` the magnitude is `(m + 2^(22 - e)) >> (23 - e)` (half rounded up, on the
/// magnitude: away from zero); from `e = 23` on `y` is an integer, `m << (e - 23)`, which fits
/// below `e = 31`; from there the cast saturates (and NaN gives 0).
#[inline(always)]
fn round_to_i32(y: f32) -> i32 {
    let bits = y.to_bits();
    let negative = bits >> 31 != 0;
    let exponent = ((bits >> 23) & 0xFF) as i32 - 127;
    let significand = (bits & 0x7F_FFFF) | 0x80_0000;
    let magnitude = if exponent < -1 {
        0
    } else if exponent < 23 {
        (significand + (1 << (22 - exponent))) >> (23 - exponent)
    } else if exponent < 31 {
        significand << (exponent - 23)
    } else if y.is_nan() {
        return 0;
    } else if negative {
        return i32::MIN;
    } else {
        return i32::MAX;
    };
    // `magnitude < 2^31`.
    if negative {
        (magnitude as i32).wrapping_neg()
    } else {
        magnitude as i32
    }
}

/// One int8 value back to a real: `scale · (q - zero_point)`, TFLite's `DEQUANTIZE` (computed
/// there in f64 and rounded once to f32; the product of a float and a 9-bit integer is exact in
/// f64, so a single f32 multiplication gives the same bits).
///
/// ```
/// use dendrite_core::quant::dequantize;
/// assert_eq!(dequantize(-1, 0.5, -3), 1.0);
/// ```
#[inline(always)]
pub fn dequantize(q: i8, scale: f32, zero_point: i32) -> f32 {
    scale * (i32::from(q) - zero_point) as f32
}

/// The clamp TFLite derives from a fused activation and the output tensor's quantization
/// (`CalculateActivationRangeQuantized`): relu clamps below at the quantized 0, relu6 also above
/// at the quantized 6.
///
/// Returns `(min, max)`.
pub fn activation_range(relu: bool, relu6: bool, scale: f32, zero_point: i32) -> (i8, i8) {
    let quantized = |f: f32| {
        (libm::roundf(f / scale) as i32)
            .saturating_add(zero_point)
            .clamp(-128, 127) as i8
    };
    match (relu, relu6) {
        (_, true) => (quantized(0.0), quantized(6.0)),
        (true, false) => (quantized(0.0), 127),
        (false, false) => (-128, 127),
    }
}

/// The fixed parameters of TFLite's int8 softmax reference kernel, derived from the input
/// scale and `beta` as TFLite's `SoftmaxPrepare` does for its reference kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxParams {
    /// Q0.31 significand of `beta · input_scale · 2^26`, capped at `2^31 - 1`.
    pub input_multiplier: i32,
    /// Its left shift.
    pub input_left_shift: i32,
    /// Input differences from the row maximum below this give an output of -128.
    pub diff_min: i32,
}

/// The integer bits of the scaled differences fed to the exponential: Q5.26.
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// The integer bits of the sum of exponentials: Q12.19.
const ACCUMULATION_INTEGER_BITS: i32 = 12;
/// The longest softmax row whose exponentials [`softmax`] keeps between its two passes.
const CACHED: usize = 16;

impl SoftmaxParams {
    /// TFLite's `PreprocessSoftmaxScaling` and `CalculateInputRadius` for an int8 input of
    /// scale `input_scale` (its output is always scale 1/256, zero point -128).
    ///
    /// ```
    /// use dendrite_core::quant::SoftmaxParams;
    /// let p = SoftmaxParams::new(1.0, 0.125);
    /// // 0.125 · 2^26 = 2^23: significand 2^30, left shift 24.
    /// assert_eq!((p.input_multiplier, p.input_left_shift), (1 << 30, 24));
    /// assert_eq!(p.diff_min, -124); // -floor(31 · 2^26 / 2^24)
    /// ```
    pub fn new(beta: f64, input_scale: f64) -> Self {
        let real = (beta * input_scale * f64::from(1u32 << (31 - SCALED_DIFF_INTEGER_BITS)))
            .min(2_147_483_647.0);
        let (input_multiplier, input_left_shift) = quantize_multiplier(real);
        let radius = f64::from((1i32 << SCALED_DIFF_INTEGER_BITS) - 1)
            * (1i64 << (31 - SCALED_DIFF_INTEGER_BITS)) as f64
            / (1i64 << input_left_shift.clamp(0, 62)) as f64;
        SoftmaxParams {
            input_multiplier,
            input_left_shift,
            diff_min: -(libm::floor(radius) as i32),
        }
    }

    #[inline]
    fn exp_of_diff(&self, diff: i32) -> i32 {
        if diff == 0 {
            // The row's maximum: the scaled difference is 0 (`srdhm(0, m) = 0`), whose
            // exponential gemmlowp returns as `2^31 - 1`; every softmax row has one.
            return i32::MAX;
        }
        let scaled = multiply_by_quantized_multiplier_greater_than_one(
            diff,
            self.input_multiplier,
            self.input_left_shift,
        );
        exp_on_negative_values::<SCALED_DIFF_INTEGER_BITS>(scaled)
    }
}

/// TFLite's int8 softmax reference kernel (`reference_ops::Softmax` for int8 in and out):
/// gemmlowp's fixed-point exponential of each difference from the row maximum, a fixed-point
/// reciprocal of their sum, output scale 1/256 and zero point -128.
///
/// # Shapes
/// `x` and `out`: the same length, one row (a longer slice's extra values are ignored).
pub fn softmax(x: &[i8], params: &SoftmaxParams, out: &mut [i8]) {
    let n = x.len().min(out.len());
    if let (Some(x), Some(out)) = (x.get(..n), out.get_mut(..n)) {
        out.copy_from_slice(x);
        softmax_in_place(out, params);
    }
}

/// [`softmax`] of `row`, written over it: no second buffer for the logits.
///
/// Each value is read before its output is written, and the exponentials of the first pass are
/// kept for the second (rows of up to 16 values) or recomputed from the value still in place.
pub fn softmax_in_place(row: &mut [i8], params: &SoftmaxParams) {
    let max = i32::from(row.iter().copied().max().unwrap_or(i8::MIN));
    // The exponentials of a row of up to `CACHED` values are computed once and kept for the
    // second pass (TFLite's kernel computes each twice; the values are the same), in two
    // halves: each is cleared by a few stores in line, where one array of `CACHED` words is a
    // call to `memset` (about 60 cycles on the Cortex-M4, a tenth of a small softmax).
    let (mut low, mut high) = ([0i32; CACHED / 2], [0i32; CACHED / 2]);
    let cached = row.len() <= CACHED;
    let mut sum_of_exps = 0i32; // Q12.19
    for (i, &v) in row.iter().enumerate() {
        let diff = i32::from(v) - max;
        if diff >= params.diff_min {
            let e = params.exp_of_diff(diff);
            let slot = match i.checked_sub(CACHED / 2) {
                None => low.get_mut(i),
                Some(j) => high.get_mut(j),
            };
            if let Some(slot) = slot {
                *slot = e;
            }
            sum_of_exps = sum_of_exps
                .wrapping_add(rounding_divide_by_pot(e, ACCUMULATION_INTEGER_BITS as u32));
        }
    }
    let (shifted_scale, num_bits_over_unit) = reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
    let exponent = (num_bits_over_unit + 31 - 8).clamp(0, 31) as u32;
    for (i, v) in row.iter_mut().enumerate() {
        let diff = i32::from(*v) - max;
        *v = if diff >= params.diff_min {
            let cached_exp = match i.checked_sub(CACHED / 2) {
                None => low.get(i),
                Some(j) => high.get(j),
            };
            let e = match cached_exp {
                Some(&e) if cached => e,
                _ => params.exp_of_diff(diff),
            };
            // `e` is in `[0, 2^31)`, never `i32::MIN`: no saturation.
            let unsat =
                rounding_divide_by_pot(rounding_doubling_high_mul(shifted_scale, e), exponent);
            unsat.wrapping_add(-128).clamp(-128, 127) as i8
        } else {
            i8::MIN
        };
    }
}

/// A 256-entry table from an int8 input to an int8 output, indexed by the input's bits
/// (`x as u8`): how TFLite's reference kernels compute int8 `LOGISTIC` and `TANH`.
pub type Lut = [i8; 256];

/// Fills a [`Lut`] as TFLite's `LUTPopulate<int8_t>` does: for each input `q`, in f32,
/// `f(input_scale · (q - input_zero_point))`, times `1 / output_scale`, rounded half away from
/// zero, plus the output zero point, clamped.
///
/// `f` is the f32 function TFLite uses (`1 / (1 + exp(-x))` for logistic, `tanh` for tanh):
/// TFLite calls the C library's `expf`/`tanhf`, so the host that builds the table passes
/// the same library's functions to give the same bits.
///
/// ```
/// use dendrite_core::quant::lut_populate;
/// let lut = lut_populate(0.1, 0, 1.0 / 128.0, 0, |x| x);
/// assert_eq!(lut[0], 0);
/// assert_eq!(lut[5], 64); // 0.5 · 128
/// assert_eq!(lut[(-128i8) as u8 as usize], -128); // -12.8 · 128, clamped
/// ```
pub fn lut_populate(
    input_scale: f32,
    input_zero_point: i32,
    output_scale: f32,
    output_zero_point: i32,
    f: impl Fn(f32) -> f32,
) -> Lut {
    let inverse_scale = 1.0 / output_scale;
    let mut lut = [0i8; 256];
    for q in i8::MIN..=i8::MAX {
        let dequantized = input_scale * (i32::from(q) - input_zero_point) as f32;
        let rescaled = libm::roundf(f(dequantized) * inverse_scale);
        let quantized = (rescaled + output_zero_point as f32) as i32;
        if let Some(slot) = lut.get_mut(usize::from(q as u8)) {
            *slot = quantized.clamp(-128, 127) as i8;
        }
    }
    lut
}

/// Applies a [`Lut`] in place.
#[inline(always)]
pub fn lookup(lut: &Lut, x: &mut [i8]) {
    for v in x {
        if let Some(&y) = lut.get(usize::from(*v as u8)) {
            *v = y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::fixed::saturating_rounding_doubling_high_mul;
    use proptest::prelude::*;

    #[test]
    fn fully_connected_clamps_for_fused_relu() {
        let (m, s) = quantize_multiplier(1.0 / 16.0);
        let params = Requantize {
            input_zero_point: 0,
            output_zero_point: -10,
            multiplier: &[m, m],
            shift: &[s, s],
            activation_min: -10,
            activation_max: 127,
        };
        let mut out = [0i8; 2];
        // Unit 0: 100·2 = 200 / 16 = 12.5 -> 13, -10 = 3. Unit 1: -200/16 = -12.5 -> -13,
        // -10 = -23, clamped to the relu floor -10.
        fully_connected(&[2], &[100, -100], &[0, 0], &params, &mut out);
        assert_eq!(out, [3, -10]);
    }

    #[test]
    fn fully_connected_uses_each_units_own_scale() {
        let (m0, s0) = quantize_multiplier(1.0);
        let (m1, s1) = quantize_multiplier(0.25);
        let params = Requantize {
            input_zero_point: 0,
            output_zero_point: 0,
            multiplier: &[m0, m1],
            shift: &[s0, s1],
            activation_min: -128,
            activation_max: 127,
        };
        let mut out = [0i8; 2];
        fully_connected(&[10], &[3, 3], &[1, 1], &params, &mut out);
        assert_eq!(out, [31, 8]); // 31 · 0.25 = 7.75 -> 8
    }

    #[test]
    fn activation_range_quantizes_zero_and_six() {
        assert_eq!(activation_range(true, false, 0.05, -20), (-20, 127));
        assert_eq!(activation_range(false, true, 0.05, -128), (-128, -8));
        assert_eq!(activation_range(false, false, 0.05, 3), (-128, 127));
    }

    #[test]
    fn softmax_of_equal_inputs_is_uniform() {
        let params = SoftmaxParams::new(1.0, 0.1);
        let mut out = [0i8; 4];
        softmax(&[5, 5, 5, 5], &params, &mut out);
        // 1/4 = 64/256: -128 + 64 = -64.
        assert_eq!(out, [-64; 4]);
    }

    #[test]
    fn softmax_far_below_max_is_minus_128() {
        let params = SoftmaxParams::new(1.0, 0.5);
        let mut out = [0i8; 2];
        softmax(&[127, -128], &params, &mut out);
        assert_eq!(out, [127, -128]);
    }

    /// What [`quantize`] computed before [`round_to_i32`]: the library's `roundf`, then Rust's
    /// saturating cast.
    fn round_reference(y: f32) -> i32 {
        libm::roundf(y) as i32
    }

    /// TFLite's softmax as its reference kernel writes it: two passes over separate input and
    /// output rows, each exponential computed in each pass, no shortcut at the maximum.
    fn softmax_reference(x: &[i8], params: &SoftmaxParams, out: &mut [i8]) {
        let max = i32::from(x.iter().copied().max().unwrap_or(i8::MIN));
        let exp = |diff: i32| {
            let scaled = multiply_by_quantized_multiplier_greater_than_one(
                diff,
                params.input_multiplier,
                params.input_left_shift,
            );
            exp_on_negative_values::<SCALED_DIFF_INTEGER_BITS>(scaled)
        };
        let mut sum = 0i32;
        for &v in x {
            let diff = i32::from(v) - max;
            if diff >= params.diff_min {
                sum = sum.wrapping_add(rounding_divide_by_pot(exp(diff), 12));
            }
        }
        let (scale, bits) = reciprocal(sum, ACCUMULATION_INTEGER_BITS);
        let exponent = (bits + 31 - 8).clamp(0, 31) as u32;
        for (o, &v) in out.iter_mut().zip(x) {
            let diff = i32::from(v) - max;
            *o = if diff >= params.diff_min {
                let unsat = rounding_divide_by_pot(
                    saturating_rounding_doubling_high_mul(scale, exp(diff)),
                    exponent,
                );
                unsat.wrapping_add(-128).clamp(-128, 127) as i8
            } else {
                i8::MIN
            };
        }
    }

    #[test]
    fn rounding_equals_the_library_at_the_edges() {
        let mut values = vec![
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999997,
            -0.49999997,
            0.50000006,
            127.5,
            -128.5,
            8_388_607.5,
            -8_388_607.5,
            8_388_608.0,
            16_777_217.0,
            2_147_483_520.0,
            2_147_483_648.0,
            -2_147_483_648.0,
            -2_147_483_904.0,
            4e9,
            -4e9,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            1e-45,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        // Every half-integer and its neighbours up to 2^12, both signs.
        for k in -4096..4096 {
            let half = k as f32 + 0.5;
            values.extend([
                half,
                f32::from_bits(half.to_bits() + 1),
                f32::from_bits(half.to_bits() - 1),
            ]);
        }
        for y in values {
            assert_eq!(
                round_to_i32(y),
                round_reference(y),
                "{y:e} ({:#x})",
                y.to_bits()
            );
        }
    }

    /// TFLite's fully-connected kernel as its reference code writes it: per unit, the sum from
    /// the bias, `MultiplyByQuantizedMultiplier`, the zero point, the clamp.
    fn fully_connected_reference(
        x: &[i8],
        weights: &[i8],
        bias: &[i32],
        params: &Requantize,
        out: &mut [i8],
    ) {
        let n = x.len();
        for (j, o) in out.iter_mut().enumerate() {
            let mut acc = bias[j];
            for (i, &xi) in x.iter().enumerate() {
                acc = acc.wrapping_add(
                    i32::from(weights[j * n + i]) * (i32::from(xi) - params.input_zero_point),
                );
            }
            let k = if params.multiplier.len() > 1 { j } else { 0 };
            let v = crate::quant::fixed::multiply_by_quantized_multiplier(
                acc,
                params.multiplier[k],
                params.shift[k],
            )
            .saturating_add(params.output_zero_point);
            *o = v.clamp(
                i32::from(params.activation_min),
                i32::from(params.activation_max),
            ) as i8;
        }
    }

    /// A [`Dot`] with `dot_rows` alone: the provided `dot_chunk`.
    struct RowsOnly;

    impl Dot for RowsOnly {
        fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
            Scalar::dot_rows(x, input_offset, weights, out);
        }
    }

    /// A [`Dot`] that requantizes a chunk's first units itself, by the formula of
    /// [`Dot::requantize_prefix`]'s contract: at most five, none from the first whose shift is
    /// outside `[-31, -2]`, so dendrite-core's loop takes over in the middle of a chunk.
    struct Prefix;

    impl Dot for Prefix {
        fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
            Scalar::dot_rows(x, input_offset, weights, out);
        }

        fn requantize_prefix(
            acc: &[i32],
            multiplier: &[i32],
            shift: &[i32],
            round: i32,
            out: &mut [i8],
        ) -> usize {
            let units = out.iter_mut().zip(acc).zip(multiplier.iter().zip(shift));
            let mut done = 0;
            for ((o, &sum), (&m, &s)) in units.take(5) {
                if !(-31..=-2).contains(&s) {
                    break;
                }
                let k = (-2 - s) as u32;
                *o = (((Self::mul_high(sum, m) >> k) + round) >> 1).clamp(-128, 127) as i8;
                done += 1;
            }
            done
        }
    }

    /// xorshift64 from `seed` (never the all-zero state): a case's operands from one number.
    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed | 1;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    proptest! {
        #[test]
        fn fully_connected_equals_the_reference(
            n in 1usize..40,
            units in 1usize..80,
            seed: u64,
            per_channel: bool,
            zin in -128i32..=127,
            zout in prop_oneof![-128i32..=127, Just(1000), Just(-100_000)],
            shift in prop_oneof![-31i32..=-2, Just(-1), Just(0), Just(3), Just(-40)],
            (min, max) in prop_oneof![Just((-128i8, 127i8)), (-128i8..0, 0i8..=127)],
        ) {
            let mut next = xorshift(seed);
            let x: Vec<i8> = (0..n).map(|_| next() as i8).collect();
            let w: Vec<i8> = (0..n * units).map(|_| next() as i8).collect();
            let bias: Vec<i32> = (0..units).map(|_| (next() as i32) >> 12).collect();
            let scales = if per_channel { units } else { 1 };
            let multiplier: Vec<i32> = (0..scales).map(|_| (next() as i32 & 0x3FFF_FFFF) | 0x4000_0000).collect();
            let shifts: Vec<i32> = (0..scales).map(|j| if j % 3 == 2 { -12 } else { shift }).collect();
            let params = Requantize {
                input_zero_point: zin,
                output_zero_point: zout,
                multiplier: &multiplier,
                shift: &shifts,
                activation_min: min,
                activation_max: max,
            };
            let mut want = vec![0i8; units];
            fully_connected_reference(&x, &w, &bias, &params, &mut want);
            let mut got = vec![0i8; units];
            fully_connected(&x, &w, &bias, &params, &mut got);
            prop_assert_eq!(&got, &want);
            let mut rows_only = vec![0i8; units];
            fully_connected_with::<RowsOnly>(&x, &w, &bias, &params, &mut rows_only);
            prop_assert_eq!(&rows_only, &want);
            let mut prefix = vec![0i8; units];
            fully_connected_with::<Prefix>(&x, &w, &bias, &params, &mut prefix);
            prop_assert_eq!(&prefix, &want);
        }

        #[test]
        fn the_provided_dot_chunk_equals_scalars(
            n in 1usize..20,
            rows in 1usize..40,
            offset in -127i32..=128,
            seed: u64,
        ) {
            let mut next = xorshift(seed);
            let x: Vec<i8> = (0..n).map(|_| next() as i8).collect();
            let w: Vec<i8> = (0..n * rows).map(|_| next() as i8).collect();
            let bias: Vec<i32> = (0..rows).map(|_| next() as i32).collect();
            let (mut a, mut b) = (vec![0i32; rows], vec![1i32; rows]);
            Scalar::dot_chunk(&x, offset, &w, &bias, &mut a);
            RowsOnly::dot_chunk(&x, offset, &w, &bias, &mut b);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn softmax_equals_the_reference(
            x in proptest::collection::vec(any::<i8>(), 1..40),
            scale in 0.001f64..2.0,
            beta in 0.5f64..2.0,
        ) {
            let params = SoftmaxParams::new(beta, scale);
            let mut want = vec![0i8; x.len()];
            softmax_reference(&x, &params, &mut want);
            let mut got = vec![0i8; x.len()];
            softmax(&x, &params, &mut got);
            prop_assert_eq!(&got, &want);
            let mut row = x.clone();
            softmax_in_place(&mut row, &params);
            prop_assert_eq!(&row, &want);
        }

        #[test]
        fn rounding_equals_the_library(bits: u32) {
            let y = f32::from_bits(bits);
            prop_assert_eq!(round_to_i32(y), round_reference(y));
        }

        #[test]
        fn rounding_equals_the_library_in_range(y in -1000.0f32..1000.0) {
            prop_assert_eq!(round_to_i32(y), round_reference(y));
        }

        #[test]
        fn quantize_equals_the_library_rounding(x: f32, scale in 1e-4f32..10.0, zero_point in -128i32..=127) {
            let want = round_reference(x / scale).saturating_add(zero_point).clamp(-128, 127) as i8;
            prop_assert_eq!(quantize(x, scale, zero_point), want);
        }

        #[test]
        fn softmax_is_close_to_f64(x in proptest::collection::vec(any::<i8>(), 1..12), scale in 0.01f64..0.3) {
            let params = SoftmaxParams::new(1.0, scale);
            let mut out = vec![0i8; x.len()];
            softmax(&x, &params, &mut out);
            let max = *x.iter().max().unwrap() as f64;
            let exps: Vec<f64> = x.iter().map(|&v| ((v as f64 - max) * scale).exp()).collect();
            let sum: f64 = exps.iter().sum();
            for (o, e) in out.iter().zip(&exps) {
                let want = e / sum * 256.0 - 128.0;
                // Within one step of 1/256 (the reference kernel's stated accuracy, plus its
                // clamp of 1.0 to 127).
                prop_assert!((*o as f64 - want.min(127.0)).abs() <= 1.0, "{o} vs {want}");
            }
        }

        #[test]
        fn fully_connected_is_close_to_f64(
            x in proptest::collection::vec(any::<i8>(), 1..16),
            seed in any::<u64>(),
            in_scale in 0.001f32..0.5, w_scale in 0.001f32..0.1, out_scale in 0.01f32..1.0,
            zin in -128i32..128, zout in -128i32..128,
        ) {
            let n = x.len();
            let w: Vec<i8> = (0..n).map(|i| seed.rotate_left(i as u32 * 7) as i8).collect();
            let m = quantize_multiplier(f64::from(in_scale) * f64::from(w_scale) / f64::from(out_scale));
            let params = Requantize {
                input_zero_point: zin, output_zero_point: zout, multiplier: &[m.0], shift: &[m.1],
                activation_min: -128, activation_max: 127,
            };
            let mut out = [0i8];
            fully_connected(&x, &w, &[7], &params, &mut out);
            let real: f64 = x.iter().zip(&w).map(|(&a, &b)| f64::from(b) * (f64::from(a) - f64::from(zin))).sum::<f64>() + 7.0;
            let want = (real * f64::from(in_scale) * f64::from(w_scale) / f64::from(out_scale) + f64::from(zout)).clamp(-128.0, 127.0);
            // Two roundings (high-mul, then shift) and the multiplier's own rounding: within 1.
            prop_assert!((f64::from(out[0]) - want).abs() <= 1.0, "{} vs {want}", out[0]);
        }

        #[test]
        fn quantize_then_dequantize_is_within_half_a_step(x in -10f32..10.0, scale in 0.05f32..1.0, zp in -20i32..20) {
            let q = quantize(x, scale, zp);
            let back = dequantize(q, scale, zp);
            if (-128..=127).contains(&(libm::roundf(x / scale) as i32 + zp)) {
                prop_assert!((back - x).abs() <= scale * 0.5 + 1e-6);
            }
        }
    }
}
