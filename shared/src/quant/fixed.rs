//! Fixed-point arithmetic with TensorFlow Lite's rounding, operation for operation.
//!
//! These are the integer primitives of TFLite's reference kernels (from gemmlowp's
//! `fixedpoint.h` and TFLite's `common.h` / `quantization_util.cc`), written so that every
//! result, rounding included, is the one TFLite computes. A raw `i32` stands for a fixed-point
//! number whose integer bits are fixed by context, as gemmlowp's `FixedPoint<int32_t, N>`:
//! `N` integer bits, `31 - N` fractional bits.
//!
//! C's signed overflow is undefined; where TFLite's code relies on two's-complement wrapping in
//! practice (sums of fixed-point values that cannot overflow for valid parameters), these
//! functions wrap explicitly, so no input can make them panic.

/// `round(a · b / 2^31)`, ties rounded toward +infinity, with the single overflowing case
/// (`i32::MIN · i32::MIN`) saturated to `i32::MAX`: ARM's `VQRDMULH`, gemmlowp's
/// `SaturatingRoundingDoublingHighMul`.
///
/// ```
/// use dendrite_core::quant::fixed::saturating_rounding_doubling_high_mul as srdhm;
/// assert_eq!(srdhm(1 << 30, 1 << 30), 1 << 29); // 0.5 · 0.5 = 0.25 in Q0.31
/// assert_eq!(srdhm(i32::MIN, i32::MIN), i32::MAX);
/// ```
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    rounding_doubling_high_mul(a, b)
}

/// [`saturating_rounding_doubling_high_mul`] without the saturation: exact for every pair but
/// `(i32::MIN, i32::MIN)` (which it wraps to `i32::MIN`), for a constant `b` that is not
/// `i32::MIN`.
///
/// gemmlowp adds a nudge of `2^30` to a non-negative product and `1 - 2^30` to a negative one,
/// then divides by `2^31` truncating toward zero. For a negative numerator `v = ab + 1 - 2^30`,
/// truncation is `ceil(v / 2^31) = floor((v + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31)`,
/// and for a non-negative one truncation is the floor of the same sum: both cases are
/// `(ab + 2^30) >> 31`, one `SMULL`, a 64-bit add and two shifts on a 32-bit core, no branch.
#[inline(always)]
pub(crate) fn rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    ((i64::from(a) * i64::from(b) + (1 << 30)) >> 31) as i32
}

/// `v / 2^k` truncated toward zero, as C's (and Rust's) division: by shifts, so that no build
/// (an `opt-level = "z"` one neither) calls a 64-bit division routine.
#[inline(always)]
fn truncating_div_pow2(v: i64, k: u32) -> i64 {
    // A negative `v` is first moved up by 2^k - 1, so the floor of the shift rounds toward 0.
    (v + ((v >> 63) & ((1i64 << k) - 1))) >> k
}

/// `x / 2^exponent` rounded to nearest, ties away from zero: gemmlowp's `RoundingDivideByPOT`.
/// `exponent` is taken modulo nothing: values above 31 are treated as 31 (TFLite asserts
/// `exponent <= 31`).
///
/// ```
/// use dendrite_core::quant::fixed::rounding_divide_by_pot;
/// assert_eq!(rounding_divide_by_pot(5, 1), 3); // 2.5 -> 3
/// assert_eq!(rounding_divide_by_pot(-5, 1), -3); // -2.5 -> -3
/// assert_eq!(rounding_divide_by_pot(-7, 2), -2); // -1.75 -> -2
/// ```
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let exponent = exponent.min(31);
    // 32-bit arithmetic only: `2^31 - 1` for an exponent of 31.
    let mask = (1u32 << exponent).wrapping_sub(1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// `x · 2^exponent` for a compile-time-like `exponent`: a saturating left shift when positive,
/// [`rounding_divide_by_pot`] when negative (gemmlowp's `SaturatingRoundingMultiplyByPOT`).
#[inline(always)]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent > 0 {
        let exponent = exponent.min(31) as u32;
        let threshold = ((1i64 << (31 - exponent)) - 1) as i32;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x << exponent
        }
    } else {
        rounding_divide_by_pot(x, exponent.unsigned_abs())
    }
}

/// `x · multiplier · 2^shift / 2^31` rounded once, ties toward +infinity: TFLite's
/// `MultiplyByQuantizedMultiplier` as TensorFlow 2.21's interpreter is built
/// (`TFLITE_SINGLE_ROUNDING`): `(x · multiplier + 2^(30 - shift)) >> (31 - shift)` in 64 bits.
///
/// This is the variant the interpreter's reference kernels match bit for bit (checked against
/// its outputs in the trainer's TFLite fixtures, where the double-rounding variant differs in
/// about one row in 30); [`multiply_by_quantized_multiplier_double_rounding`] is the other.
///
/// `multiplier` is a Q0.31 significand in `[2^30, 2^31)` and `shift` in `[-31, 30]`, as made by
/// [`quantize_multiplier`]; a shift outside that range is clamped to it.
///
/// ```
/// use dendrite_core::quant::fixed::{multiply_by_quantized_multiplier, quantize_multiplier};
/// let (m, shift) = quantize_multiplier(0.25);
/// assert_eq!(multiply_by_quantized_multiplier(1000, m, shift), 250);
/// assert_eq!(multiply_by_quantized_multiplier(-6, m, shift), -1); // -1.5 -> -1
/// assert_eq!(multiply_by_quantized_multiplier(6, m, shift), 2); // 1.5 -> 2
/// ```
#[inline(always)]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let total_shift = (31 - shift).clamp(1, 62) as u32;
    let product = i64::from(x) * i64::from(multiplier);
    if total_shift < 32 {
        let round = 1i64 << (total_shift - 1);
        return ((product + round) >> total_shift) as i32;
    }
    // A multiplier below 1 (every layer's requantization): the shift takes the whole low word,
    // so the sum is computed on the high word alone, without 64-bit additions and shifts (a
    // 32-bit core's `SMULL`, an add and an `ASR`). With `product = high · 2^32 + low`:
    // `(product + 2^(31 + s)) >> (32 + s)` is `(high + 2^(s - 1)) >> s` for `s ≥ 1` (`low` adds
    // less than one to a numerator that is a whole multiple of 2^32), and `high` plus the carry
    // out of `low + 2^31` for `s = 0`. `|high| ≤ 2^30`, so nothing overflows.
    let high = (product >> 32) as i32;
    let s = total_shift - 32;
    if s == 0 {
        high + ((product as u32) >> 31) as i32
    } else {
        (high + (1 << (s - 1))) >> s
    }
}

/// [`multiply_by_quantized_multiplier`] with its multiplier and shift read once: a unit's
/// requantization, the same bits for every operand, in a handful of 32-bit instructions.
///
/// A shift in `[-31, -2]` (a real multiplier below 1/4: every requantization of a trained
/// layer in practice) takes the fast path, for any multiplier: with `P = x · m`, `h = -1 -
/// shift` in `[1, 30]` and `H = ⌊P / 2^32⌋` (the high word of `SMULL`), the rounded
/// `(P + 2^(31 + h)) >> (32 + h)` is `(H + 2^(h - 1)) >> h` (the low word adds less than one
/// to a numerator that is otherwise a whole multiple of `2^32`), which is
/// `((H >> (h - 1)) + 1) >> 1`, because `⌊(⌊y / 2^k⌋ + 1) / 2⌋ = ⌊(y + 2^k) / 2^(k+1)⌋` for
/// integers. Since `|P| ≤ 2^62`, `|H| ≤ 2^30` and nothing overflows: `SMULL` (or `SMMUL`),
/// `ASR`, `ADD`, `ASR`, and the test of the path, `-2 - shift ≤ 29` unsigned. Any other shift
/// goes through [`multiply_by_quantized_multiplier`] itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rescale {
    multiplier: i32,
    shift: i32,
}

/// An output zero point within int8's range, `[-128, 127]`, as [`Rescale::apply_offset`] takes
/// it: the rounding constant of the fast path with the zero point folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ZeroPoint {
    zero_point: i32,
    /// `1 + 2 · zero_point`.
    round: i32,
}

impl ZeroPoint {
    /// `1 + 2 · zero_point`: the rounding constant [`Dot::requantize_prefix`] takes.
    ///
    /// [`Dot::requantize_prefix`]: super::Dot::requantize_prefix
    #[inline(always)]
    pub(crate) fn round(self) -> i32 {
        self.round
    }

    /// `zero_point`, or `None` outside `[-128, 127]`.
    #[inline(always)]
    pub(crate) fn new(zero_point: i32) -> Option<Self> {
        (-128..=127).contains(&zero_point).then_some(ZeroPoint {
            zero_point,
            round: 1 + 2 * zero_point,
        })
    }
}

impl Rescale {
    /// Prepares `x ↦ multiply_by_quantized_multiplier(x, multiplier, shift)`.
    #[inline(always)]
    pub(crate) fn new(multiplier: i32, shift: i32) -> Self {
        Rescale { multiplier, shift }
    }

    /// `h - 1` of the fast path (see [`Rescale`]), or `None` for a shift outside `[-31, -2]`.
    #[inline(always)]
    fn fast_shift(self) -> Option<u32> {
        let k = (-2i32).wrapping_sub(self.shift) as u32;
        (k <= 29).then_some(k)
    }

    /// `⌊x · multiplier / 2^32⌋`: the high word of `SMULL`.
    #[inline(always)]
    fn high(self, x: i32) -> i32 {
        mul_high(x, self.multiplier)
    }

    /// `multiply_by_quantized_multiplier(x, multiplier, shift)`, the same bits for every `x`.
    #[inline(always)]
    pub(crate) fn apply(self, x: i32) -> i32 {
        let Some(k) = self.fast_shift() else {
            return general_rescale(x, self.multiplier, self.shift);
        };
        ((self.high(x) >> k) + 1) >> 1
    }

    /// `apply(x).saturating_add(zero_point)`, the same bits for every `x`, with the zero point
    /// added in the fast path's rounding: `((H >> (h - 1)) + 1 + 2 · zero_point) >> 1` (no
    /// saturation can occur there: `|H >> (h - 1)| ≤ 2^30`).
    #[cfg(test)]
    pub(crate) fn apply_offset(self, x: i32, zero_point: ZeroPoint) -> i32 {
        self.apply_offset_by(x, zero_point, mul_high)
    }

    /// [`apply_offset`](Self::apply_offset) with the high word of the product from `high`,
    /// which must equal [`mul_high`] (a core's faster way to compute it).
    #[inline(always)]
    pub(crate) fn apply_offset_by(
        self,
        x: i32,
        zero_point: ZeroPoint,
        high: impl Fn(i32, i32) -> i32,
    ) -> i32 {
        let Some(k) = self.fast_shift() else {
            return general_rescale(x, self.multiplier, self.shift)
                .saturating_add(zero_point.zero_point);
        };
        ((high(x, self.multiplier) >> k) + zero_point.round) >> 1
    }
}

/// `⌊a · b / 2^32⌋`: the high word of the 64-bit product (`SMULL`'s, or `SMMUL`'s).
///
/// ```
/// use dendrite_core::quant::fixed::mul_high;
/// assert_eq!(mul_high(1 << 20, 1 << 20), 1 << 8);
/// assert_eq!(mul_high(-1, 1), -1); // -2^-32, floored
/// ```
#[inline(always)]
pub fn mul_high(a: i32, b: i32) -> i32 {
    ((i64::from(a) * i64::from(b)) >> 32) as i32
}

/// [`mul_high`] from four 16 × 16-bit products in 32-bit arithmetic: for a core without a
/// long multiply (ARMv6-M's `MULS` keeps the low word only), where a 64-bit product is a call
/// to a 64 × 64-bit multiplication routine.
///
/// With `a = a_h · 2^16 + a_l` (`a_h = a >> 16` signed, `a_l` the low half unsigned), and `b`
/// alike, `a · b = a_h b_h · 2^32 + (a_h b_l + a_l b_h) · 2^16 + a_l b_l`; each cross product
/// fits in an `i32` (`|a_h b_l| < 2^31`), and is split at bit 16 in turn (arithmetic shift and
/// mask, `c = (c >> 16) · 2^16 + (c & 0xFFFF)`), the low halves summed with `a_l b_l >> 16`
/// into a carry below `3 · 2^16`, whose bits above 16 join the high word.
///
/// ```
/// use dendrite_core::quant::fixed::{mul_high, mul_high_by_halves};
/// for (a, b) in [(i32::MIN, i32::MIN), (i32::MAX, i32::MIN), (-7, 123_456_789)] {
///     assert_eq!(mul_high_by_halves(a, b), mul_high(a, b));
/// }
/// ```
#[inline(always)]
pub fn mul_high_by_halves(a: i32, b: i32) -> i32 {
    let (a_high, a_low) = (a >> 16, a & 0xFFFF);
    let (b_high, b_low) = (b >> 16, b & 0xFFFF);
    // `a_low · b_low < 2^32`: unsigned.
    let low = (a_low as u32).wrapping_mul(b_low as u32);
    let cross_a = a_high.wrapping_mul(b_low);
    let cross_b = a_low.wrapping_mul(b_high);
    let carry = (low >> 16) as i32 + (cross_a & 0xFFFF) + (cross_b & 0xFFFF);
    a_high
        .wrapping_mul(b_high)
        .wrapping_add(cross_a >> 16)
        .wrapping_add(cross_b >> 16)
        .wrapping_add(carry >> 16)
}

/// [`multiply_by_quantized_multiplier`] out of line, so that [`Rescale::apply`]'s fast path is
/// the straight line a layer's loop falls through (no taken branch per unit).
#[cold]
#[inline(never)]
fn general_rescale(x: i32, multiplier: i32, shift: i32) -> i32 {
    multiply_by_quantized_multiplier(x, multiplier, shift)
}

/// TFLite's double-rounding `MultiplyByQuantizedMultiplier` (`TFLITE_SINGLE_ROUNDING` off, and
/// gemmlowp's): a left shift for a positive `shift`,
/// [`saturating_rounding_doubling_high_mul`], then a [`rounding_divide_by_pot`] for a negative
/// one. It rounds twice, so it differs from [`multiply_by_quantized_multiplier`] now and then.
///
/// ```
/// use dendrite_core::quant::fixed::{multiply_by_quantized_multiplier_double_rounding, quantize_multiplier};
/// let (m, shift) = quantize_multiplier(0.25);
/// assert_eq!(multiply_by_quantized_multiplier_double_rounding(-6, m, shift), -2); // -1.5 -> -2
/// ```
#[inline(always)]
pub fn multiply_by_quantized_multiplier_double_rounding(
    x: i32,
    multiplier: i32,
    shift: i32,
) -> i32 {
    let left = shift.clamp(0, 31) as u32;
    let right = (-shift).clamp(0, 31) as u32;
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_mul(1i32.wrapping_shl(left)), multiplier),
        right,
    )
}

/// TFLite's `MultiplyByQuantizedMultiplierGreaterThanOne`: `x · 2^left_shift`, then
/// [`saturating_rounding_doubling_high_mul`] (no rounding shift after).
#[inline(always)]
pub fn multiply_by_quantized_multiplier_greater_than_one(
    x: i32,
    multiplier: i32,
    left_shift: i32,
) -> i32 {
    let left = left_shift.clamp(0, 31) as u32;
    saturating_rounding_doubling_high_mul(x.wrapping_mul(1i32.wrapping_shl(left)), multiplier)
}

/// Splits a real multiplier into TFLite's `(significand, shift)`: `m ≈ significand · 2^shift /
/// 2^31` with the significand in `[2^30, 2^31)` (TFLite's `QuantizeMultiplier`).
///
/// The significand is `round(frexp(m).0 · 2^31)`, half away from zero; a significand that
/// rounds up to `2^31` is halved and the shift raised; multipliers below `2^-32` (shift under
/// -31) flush to `(0, 0)`, and so does 0.
///
/// ```
/// use dendrite_core::quant::fixed::quantize_multiplier;
/// assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
/// assert_eq!(quantize_multiplier(3.0), (3 << 29, 2));
/// assert_eq!(quantize_multiplier(0.0), (0, 0));
/// ```
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    if m == 0.0 || !m.is_finite() {
        return (0, 0);
    }
    let (q, mut shift) = libm::frexp(m);
    let mut q_fixed = libm::round(q * (1i64 << 31) as f64) as i64;
    if q_fixed == 1 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    (q_fixed as i32, shift)
}

/// `(a + b) / 2` rounded half away from zero, without overflow (gemmlowp's `RoundingHalfSum`).
#[inline(always)]
fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = i64::from(a) + i64::from(b);
    let sign = if sum >= 0 { 1 } else { -1 };
    truncating_div_pow2(sum + sign, 1) as i32
}

/// `exp(a)` for `a` in `[-1/4, 0)`, both in Q0.31: a Taylor expansion around `-1/8`.
#[inline]
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668; // exp(-1/8) in Q0.31
    const ONE_THIRD: i32 = 715_827_883;
    // No operand below is `i32::MIN` (`x` is in `[-1/8, 1/8)`, the constants are positive),
    // so the saturation of `SaturatingRoundingDoublingHighMul` never applies.
    let mul = rounding_doubling_high_mul;
    let x = a.wrapping_add(1 << 28); // a + 1/8
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let poly = rounding_divide_by_pot(
        mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        1,
    );
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(poly)))
}

/// `exp(a)` for `a <= 0` given with `INTEGER_BITS` integer bits, result in Q0.31 (gemmlowp's
/// `exp_on_negative_values`): the fractional part by a polynomial, the integer part by a barrel
/// of constant multiplications `exp(-2^k)`.
#[inline]
pub fn exp_on_negative_values<const INTEGER_BITS: i32>(a: i32) -> i32 {
    let fractional_bits = 31 - INTEGER_BITS;
    let one_quarter = 1i32 << (fractional_bits - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, INTEGER_BITS),
    );
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(-2^k) in Q0.31 for k = -2 ..= 4.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if INTEGER_BITS > exponent {
            let bit = 1i32 << (fractional_bits + exponent);
            if remainder & bit != 0 {
                // The multipliers are positive constants: no saturation.
                result = rounding_doubling_high_mul(result, multiplier);
            }
        }
    }
    if INTEGER_BITS > 5 {
        // Below -32 the result is 0.
        let clamp = -(1i32 << (36 - INTEGER_BITS).clamp(0, 30));
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 {
        i32::MAX
    } else {
        result
    }
}

/// `1 / (1 + a)` for `a` in `[0, 1)`, in Q0.31: three Newton-Raphson steps (gemmlowp's
/// `one_over_one_plus_x_for_x_in_0_1`).
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let mul = saturating_rounding_doubling_high_mul;
    const FORTY_EIGHT_OVER_17: i32 = 1_515_870_810; // Q2.29
    const NEG_THIRTY_TWO_OVER_17: i32 = -1_010_580_540; // Q2.29
    const ONE_Q2: i32 = 1 << 29;
    let half_denominator = rounding_half_sum(a, i32::MAX);
    let mut x = FORTY_EIGHT_OVER_17.wrapping_add(mul(half_denominator, NEG_THIRTY_TWO_OVER_17));
    for _ in 0..3 {
        let one_minus_half_denominator_times_x = ONE_Q2.wrapping_sub(mul(half_denominator, x));
        x = x.wrapping_add(saturating_rounding_multiply_by_pot(
            mul(x, one_minus_half_denominator_times_x),
            2,
        ));
    }
    saturating_rounding_multiply_by_pot(x, 1)
}

/// TFLite's `GetReciprocal`: for a positive `x` with `integer_digits` integer bits, returns
/// `(1 / x` scaled into Q0.31`, num_bits_over_unit)`, where the true reciprocal is the first
/// value divided by `2^num_bits_over_unit`.
pub fn reciprocal(x: i32, integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let num_bits_over_unit = integer_digits - headroom_plus_one as i32;
    let shifted_minus_one = (x as u32)
        .checked_shl(headroom_plus_one)
        .unwrap_or(0)
        .wrapping_sub(1 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_minus_one),
        num_bits_over_unit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const Q31: f64 = 2_147_483_648.0;

    #[test]
    fn srdhm_rounds_ties_up() {
        // gemmlowp's nudge for a negative product is 1 - 2^30, not -2^30: ties round toward
        // +infinity on both sides. 3 · 2^30 / 2^31 = 1.5 -> 2; -1.5 -> -1.
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        // 0.5 -> 1; -0.5 -> 0.
        assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX),
            -i32::MAX
        );
    }

    #[test]
    fn quantize_multiplier_matches_hand_values() {
        // 0.1 = 0.8 · 2^-3; 0.8 · 2^31 = 1717986918.4 -> 1717986918.
        assert_eq!(quantize_multiplier(0.1), (1_717_986_918, -3));
        // A significand that rounds to 2^31 moves to the next power of two.
        assert_eq!(quantize_multiplier(1.0 - 1e-12), (1 << 30, 1));
        assert_eq!(quantize_multiplier(1e-11), (0, 0));
        assert_eq!(quantize_multiplier(2.0), (1 << 30, 2));
    }

    #[test]
    fn single_and_double_rounding_differ_where_the_first_rounding_matters() {
        // 0.75 = (3 << 29) · 2^0 / 2^31. 5 · 0.75 = 3.75 -> 4 either way.
        assert_eq!(multiply_by_quantized_multiplier(5, 3 << 29, 0), 4);
        assert_eq!(
            multiply_by_quantized_multiplier_double_rounding(5, 3 << 29, 0),
            4
        );
        // 1 · 0.5 · 2^-1 = 0.25: rounded once, 0; rounded twice (0.5 -> 1, then 1/2 -> 1), 1.
        assert_eq!(multiply_by_quantized_multiplier(1, 1 << 30, -1), 0);
        assert_eq!(
            multiply_by_quantized_multiplier_double_rounding(1, 1 << 30, -1),
            1
        );
    }

    #[test]
    fn exp_matches_known_points() {
        assert_eq!(exp_on_negative_values::<5>(0), i32::MAX);
        // -1 is taken as -1/4 (polynomial) and a remainder of 3/4 (two barrel steps): the
        // value pinned is gemmlowp's, 224 units of 2^-31 above exp(-1) = 790015084.
        let minus_one_q5 = -(1 << 26);
        assert_eq!(exp_on_negative_values::<5>(minus_one_q5), 790_015_308);
    }

    #[test]
    fn reciprocal_of_two_is_a_half() {
        // 2.0 with 12 integer bits: raw 2 << 19.
        let (r, bits) = reciprocal(2 << 19, 12);
        // 1/2 = r / 2^31 / 2^bits
        let value = f64::from(r) / Q31 / f64::from(1 << bits);
        assert!((value - 0.5).abs() < 1e-9, "{value} {bits}");
    }

    #[test]
    fn truncating_division_by_powers_of_two_is_rusts() {
        let values = [
            i64::MIN / 4,
            -(1 << 40) - 7,
            -(1 << 31),
            -5,
            -4,
            -3,
            -1,
            0,
            1,
            3,
            5,
            1 << 40,
        ];
        for v in values {
            for k in [1, 2, 30, 31] {
                assert_eq!(truncating_div_pow2(v, k), v / (1i64 << k), "{v} {k}");
            }
        }
    }

    #[test]
    fn single_rounding_at_the_extremes_equals_the_64_bit_formula() {
        let values = [
            i32::MIN,
            i32::MIN + 1,
            -(1 << 30),
            -3,
            -1,
            0,
            1,
            2,
            1 << 30,
            i32::MAX,
        ];
        for x in values {
            for m in values {
                for shift in -40..40 {
                    let total_shift = (31 - shift).clamp(1, 62) as u32;
                    let want = ((i64::from(x) * i64::from(m) + (1i64 << (total_shift - 1)))
                        >> total_shift) as i32;
                    assert_eq!(
                        multiply_by_quantized_multiplier(x, m, shift),
                        want,
                        "{x} {m} {shift}"
                    );
                }
            }
        }
    }

    /// gemmlowp's `SaturatingRoundingDoublingHighMul` as written there: a nudge by the sign of
    /// the product, a division truncating toward zero.
    fn srdhm_reference(a: i32, b: i32) -> i32 {
        if a == i32::MIN && b == i32::MIN {
            return i32::MAX;
        }
        let ab = i64::from(a) * i64::from(b);
        let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
        ((ab + nudge) / (1i64 << 31)) as i32
    }

    /// gemmlowp's `RoundingDivideByPOT` as written there, its mask in 64 bits.
    fn rounding_divide_by_pot_reference(x: i32, exponent: u32) -> i32 {
        let mask = ((1i64 << exponent) - 1) as i32;
        let remainder = x & mask;
        let threshold = (mask >> 1) + i32::from(x < 0);
        (x >> exponent) + i32::from(remainder > threshold)
    }

    const EDGES: [i32; 16] = [
        i32::MIN,
        i32::MIN + 1,
        -(1 << 30) - 1,
        -(1 << 30),
        -(1 << 30) + 1,
        -65_536,
        -3,
        -1,
        0,
        1,
        2,
        65_535,
        (1 << 30) - 1,
        1 << 30,
        i32::MAX - 1,
        i32::MAX,
    ];

    #[test]
    fn srdhm_equals_the_reference_at_the_edges() {
        for a in EDGES {
            for b in EDGES {
                assert_eq!(
                    saturating_rounding_doubling_high_mul(a, b),
                    srdhm_reference(a, b),
                    "{a} {b}"
                );
                if !(a == i32::MIN && b == i32::MIN) {
                    assert_eq!(rounding_doubling_high_mul(a, b), srdhm_reference(a, b));
                }
            }
        }
    }

    #[test]
    fn rounding_divide_equals_the_reference_at_the_edges() {
        for x in EDGES {
            for e in 0..=31 {
                assert_eq!(
                    rounding_divide_by_pot(x, e),
                    rounding_divide_by_pot_reference(x, e),
                    "{x} {e}"
                );
            }
        }
    }

    #[test]
    fn rescale_equals_the_general_function_at_the_edges() {
        let multipliers = [
            i32::MIN,
            -(1 << 30),
            -1,
            0,
            1,
            1 << 30,
            1_717_986_918,
            i32::MAX,
        ];
        for x in EDGES {
            for m in multipliers.into_iter().chain(EDGES) {
                for shift in -40..40 {
                    let rescale = Rescale::new(m, shift);
                    let want = multiply_by_quantized_multiplier(x, m, shift);
                    assert_eq!(rescale.apply(x), want, "{x} {m} {shift}");
                    for z in [-128, -1, 0, 1, 127] {
                        assert_eq!(
                            rescale.apply_offset(x, ZeroPoint::new(z).unwrap()),
                            want.saturating_add(z),
                            "{x} {m} {shift} {z}"
                        );
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn srdhm_is_the_rounded_product(a: i32, b: i32) {
            prop_assume!(!(a == i32::MIN && b == i32::MIN));
            let exact = (a as f64) * (b as f64) / Q31;
            let got = saturating_rounding_doubling_high_mul(a, b) as f64;
            prop_assert!((got - exact).abs() <= 0.5 + 1e-9);
        }

        #[test]
        fn rounding_divide_is_within_half(x: i32, e in 0u32..=31) {
            let exact = x as f64 / (1u64 << e) as f64;
            let got = rounding_divide_by_pot(x, e) as f64;
            prop_assert!((got - exact).abs() <= 0.5);
            // Ties go away from zero.
            if (got - exact).abs() == 0.5 {
                prop_assert!(got.abs() > exact.abs());
            }
        }

        #[test]
        fn multiplier_round_trips(m in 1e-9f64..1e3) {
            let (q, shift) = quantize_multiplier(m);
            prop_assert!((1 << 30..=i32::MAX).contains(&q));
            let back = f64::from(q) / Q31 * 2f64.powi(shift);
            prop_assert!((back - m).abs() / m < 1e-9);
        }

        #[test]
        fn single_rounding_is_the_nearest_integer(x in -1_000_000i32..1_000_000, m in 1e-6f64..0.99) {
            let (q, shift) = quantize_multiplier(m);
            // Exact in f64: |x · q| < 2^51.
            let exact = f64::from(x) * f64::from(q) / 2f64.powi(31 - shift);
            let got = f64::from(multiply_by_quantized_multiplier(x, q, shift));
            prop_assert!(got - exact <= 0.5 && exact - got < 0.5, "{got} vs {exact}");
        }

        #[test]
        fn single_rounding_equals_the_64_bit_formula(x: i32, m: i32, shift in -40i32..40) {
            // The definition, in 64 bits, for any operands (the shift clamped as documented).
            let total_shift = (31 - shift).clamp(1, 62) as u32;
            let want = ((i64::from(x) * i64::from(m) + (1i64 << (total_shift - 1))) >> total_shift) as i32;
            prop_assert_eq!(multiply_by_quantized_multiplier(x, m, shift), want);
        }

        #[test]
        fn srdhm_equals_the_reference(a: i32, b: i32) {
            prop_assert_eq!(saturating_rounding_doubling_high_mul(a, b), srdhm_reference(a, b));
        }

        #[test]
        fn rounding_divide_equals_the_reference(x: i32, e in 0u32..=31) {
            prop_assert_eq!(rounding_divide_by_pot(x, e), rounding_divide_by_pot_reference(x, e));
        }

        #[test]
        fn rescale_equals_the_general_function(x: i32, m: i32, shift in -40i32..40) {
            prop_assert_eq!(
                Rescale::new(m, shift).apply(x),
                multiply_by_quantized_multiplier(x, m, shift)
            );
        }

        #[test]
        fn rescale_with_offset_equals_the_general_function(x: i32, m: i32, shift in -40i32..40, z in -128i32..=127) {
            let zero_point = ZeroPoint::new(z).unwrap();
            prop_assert_eq!(
                Rescale::new(m, shift).apply_offset(x, zero_point),
                multiply_by_quantized_multiplier(x, m, shift).saturating_add(z)
            );
        }

        #[test]
        fn mul_high_by_halves_equals_the_64_bit_product(a: i32, b: i32) {
            prop_assert_eq!(mul_high_by_halves(a, b), mul_high(a, b));
        }

        #[test]
        fn rescale_by_halves_equals_the_general_function(x: i32, m: i32, shift in -40i32..40, z in -128i32..=127) {
            prop_assert_eq!(
                Rescale::new(m, shift).apply_offset_by(x, ZeroPoint::new(z).unwrap(), mul_high_by_halves),
                multiply_by_quantized_multiplier(x, m, shift).saturating_add(z)
            );
        }

        #[test]
        fn rescale_equals_the_general_function_on_layer_values(
            x in -(1i32 << 24)..(1 << 24),
            m in (1i32 << 30)..=i32::MAX,
            shift in -31i32..=0,
        ) {
            prop_assert_eq!(
                Rescale::new(m, shift).apply(x),
                multiply_by_quantized_multiplier(x, m, shift)
            );
        }

        #[test]
        fn truncating_division_matches_on_random_values(v in i64::MIN / 4..i64::MAX / 4, k in 1u32..40) {
            prop_assert_eq!(truncating_div_pow2(v, k), v / (1i64 << k));
        }

        #[test]
        fn double_rounding_is_within_one(x in -1_000_000i32..1_000_000, m in 1e-6f64..0.99) {
            let (q, shift) = quantize_multiplier(m);
            let exact = f64::from(x) * f64::from(q) / 2f64.powi(31 - shift);
            let got = f64::from(multiply_by_quantized_multiplier_double_rounding(x, q, shift));
            prop_assert!((got - exact).abs() <= 1.0);
        }

        #[test]
        fn exp_is_close_to_f64(raw in -(31i32 << 26)..=0) {
            let x = f64::from(raw) / f64::from(1 << 26);
            let got = f64::from(exp_on_negative_values::<5>(raw)) / Q31;
            prop_assert!((got - x.exp()).abs() < 3e-7, "x {x}: {got} vs {}", x.exp());
        }

        #[test]
        fn one_over_one_plus_x_is_close_to_f64(raw in 0i32..=i32::MAX) {
            let x = f64::from(raw) / Q31;
            let got = f64::from(one_over_one_plus_x_for_x_in_0_1(raw)) / Q31;
            prop_assert!((got - 1.0 / (1.0 + x)).abs() < 1e-8);
        }
    }
}
