//! TFLite's int8 reference kernels over slices: fully connected, quantize, dequantize,
//! softmax, and the 256-entry lookup table its logistic and tanh use.

use super::dot::{Dot, Scalar, DOT_BLOCK};
use super::fixed::{
    exp_on_negative_values, multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_greater_than_one, quantize_multiplier, reciprocal,
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul,
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
/// [`multiply_by_quantized_multiplier`], shifted by the output zero point and clamped.
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
    let (Some(&m0), Some(&s0)) = (params.multiplier.first(), params.shift.first()) else {
        return;
    };
    let per_channel = params.multiplier.len() > 1;
    let units = out.len().min(bias.len()).min(weights.len() / n);
    let (Some(weights), Some(out), Some(bias)) = (
        weights.get(..units * n),
        out.get_mut(..units),
        bias.get(..units),
    ) else {
        return;
    };
    let input_offset = params.input_zero_point.wrapping_neg();
    let (min, max) = (
        i32::from(params.activation_min),
        i32::from(params.activation_max),
    );
    // Per-tensor scaling: the one multiplier and shift for every unit of a block.
    let (tensor_m, tensor_s) = ([m0; DOT_BLOCK], [s0; DOT_BLOCK]);
    let mut channel_m = params.multiplier.chunks(DOT_BLOCK);
    let mut channel_s = params.shift.chunks(DOT_BLOCK);
    let mut acc = [0i32; DOT_BLOCK];
    let blocks = weights
        .chunks(DOT_BLOCK * n)
        .zip(out.chunks_mut(DOT_BLOCK))
        .zip(bias.chunks(DOT_BLOCK));
    for ((block, out), bias) in blocks {
        let (Some(ms), Some(ss)) = (if per_channel {
            (channel_m.next(), channel_s.next())
        } else {
            (Some(&tensor_m[..]), Some(&tensor_s[..]))
        }) else {
            return;
        };
        let Some(acc) = acc.get_mut(..out.len()) else {
            return;
        };
        D::dot_rows(x, input_offset, block, acc);
        // Units whose scaling is missing (a malformed per-channel layer) are left untouched.
        let units = out.iter_mut().zip(acc.iter()).zip(bias).zip(ms).zip(ss);
        for ((((o, &sum), &b), &m), &s) in units {
            let scaled = multiply_by_quantized_multiplier(sum.wrapping_add(b), m, s);
            *o = scaled
                .saturating_add(params.output_zero_point)
                .clamp(min, max) as i8;
        }
    }
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
    // `as` saturates (and maps NaN to 0), where C's cast is undefined out of range.
    let q = libm::roundf(x / scale) as i32;
    q.saturating_add(zero_point).clamp(-128, 127) as i8
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
/// `x` and `out`: the same length, one row.
pub fn softmax(x: &[i8], params: &SoftmaxParams, out: &mut [i8]) {
    let max = x.iter().copied().max().unwrap_or(i8::MIN);
    // The exponentials of a row of up to `CACHED` values are computed once and kept for the
    // second pass (TFLite's kernel computes each twice; the values are the same).
    let mut exps = [0i32; CACHED];
    let cached = x.len() <= CACHED;
    let mut sum_of_exps = 0i32; // Q12.19
    for (i, &v) in x.iter().enumerate() {
        let diff = i32::from(v) - i32::from(max);
        if diff >= params.diff_min {
            let e = params.exp_of_diff(diff);
            if let Some(slot) = exps.get_mut(i) {
                *slot = e;
            }
            sum_of_exps = sum_of_exps
                .wrapping_add(rounding_divide_by_pot(e, ACCUMULATION_INTEGER_BITS as u32));
        }
    }
    let (shifted_scale, num_bits_over_unit) = reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
    let exponent = (num_bits_over_unit + 31 - 8).clamp(0, 31) as u32;
    for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
        let diff = i32::from(v) - i32::from(max);
        *o = if diff >= params.diff_min {
            let e = match exps.get(i) {
                Some(&e) if cached => e,
                _ => params.exp_of_diff(diff),
            };
            let unsat = rounding_divide_by_pot(
                saturating_rounding_doubling_high_mul(shifted_scale, e),
                exponent,
            );
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

    proptest! {
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
