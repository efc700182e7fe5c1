//! The inner products of the int8 fully-connected layers: the one place where a target may plug
//! in a faster kernel.
//!
//! Every int8 network of dendrite-core ([`QuantizedModel`](super::QuantizedModel),
//! [`Int8NetworkRef`](crate::Int8NetworkRef), the type `model!` generates for an int8 model
//! file) computes its fully-connected layers through [`fully_connected_with`]: the integer
//! sums come from a [`Dot`] implementation, everything else (requantization, clamp, softmax,
//! tables) is dendrite-core's code, the same on every target.
//!
//! A layer's units go to the kernel in chunks of up to [`DOT_CHUNK`] rows
//! ([`Dot::with_sums`]: one call per chunk, each sum started from its bias, in an array the
//! kernel provides), then through dendrite-core's requantization loop. A kernel needs only
//! [`Dot::dot_rows`] (blocks of up to [`DOT_BLOCK`] rows); the other methods have provided
//! versions built on it, which a kernel overrides to loop over the blocks itself, skip the
//! clearing of the array, multiply faster ([`Dot::mul_high`]), or requantize a chunk's units in
//! a loop of its own ([`Dot::requantize_prefix`]).
//!
//! [`Scalar`] is the portable implementation, the default everywhere. A target with faster
//! instructions (the Cortex-M4/M7/M33 DSP extension's `SMLAD` on pairs of sign-extended bytes,
//! as CMSIS-NN does) implements [`Dot`] in the firmware's runtime crate (where `unsafe` and
//! inline assembly are allowed) and passes it as the type parameter of `predict_with`. Integer
//! sums do not depend on their order, so an implementation that meets the contract below gives
//! the same bits as [`Scalar`]; the QEMU tests check it on every core.
//!
//! [`fully_connected_with`]: super::fully_connected_with

/// Most rows one [`Dot::dot_rows`] call computes.
pub const DOT_BLOCK: usize = 4;

/// Most rows one [`Dot::dot_chunk`] call of dendrite-core computes: a layer's units go through
/// its kernel in chunks of this many, whose sums live on the stack (`4 · DOT_CHUNK` bytes)
/// until their requantization.
pub const DOT_CHUNK: usize = 32;

/// A kernel for the inner products of an int8 fully-connected layer.
///
/// # Contract
/// `dot_rows(x, input_offset, weights, out)` sets, for every `r` in `0..out.len()`,
///
/// ```text
/// out[r] = Σ_{i < x.len()} weights[r · x.len() + i] · (x[i] + input_offset)
/// ```
///
/// in wrapping `i32` arithmetic (the sums of a model file's layers never wrap: at most 65,535
/// terms of magnitude at most 128 · 255). dendrite-core calls it with
/// - `x`: the layer's int8 input, at least one value;
/// - `input_offset`: minus the input's zero point, in `[-127, 128]`, so `x[i] + input_offset`
///   fits in an `i16`;
/// - `weights`: `out.len()` consecutive rows of the layer's `units × x.len()` row-major int8
///   weights (TFLite's `[out, in]`), exactly `out.len() · x.len()` values, at any byte address
///   (rows are not word-aligned when `x.len()` is not a multiple of 4);
/// - `out`: between 1 and [`DOT_BLOCK`] accumulators.
///
/// An implementation must not panic or read out of bounds even if the lengths disagree (it is
/// safe code's to call); what it writes then is unspecified.
///
/// # Examples
/// ```
/// use dendrite_core::quant::{Dot, Scalar};
/// let mut out = [0i32; 2];
/// // Rows [1, 2] and [-3, 4] on x + 1 = [2, -1].
/// Scalar::dot_rows(&[1, -2], 1, &[1, 2, -3, 4], &mut out);
/// assert_eq!(out, [0, -10]);
/// ```
pub trait Dot {
    /// Computes `out.len()` inner products: see [the contract](Dot#contract).
    fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]);

    /// Computes the sums of a chunk of rows, each started from its bias: for every `r` in
    /// `0..out.len()`,
    ///
    /// ```text
    /// out[r] = bias[r] + Σ_{i < x.len()} weights[r · x.len() + i] · (x[i] + input_offset)
    /// ```
    ///
    /// in wrapping `i32` arithmetic, with `x`, `input_offset` and `weights` as in
    /// [`dot_rows`](Dot::dot_rows)'s contract, `bias` as long as `out`, and `out` of any length
    /// (dendrite-core passes at most [`DOT_CHUNK`] rows). A kernel that keeps its state in
    /// registers across the rows' blocks (one call per chunk instead of one per block of
    /// [`DOT_BLOCK`] rows) overrides it; the provided method calls
    /// [`dot_rows`](Dot::dot_rows) on each block of [`DOT_BLOCK`] rows and adds the biases, so
    /// an implementation of `dot_rows` alone meets this contract too. The same rules hold: no
    /// panic and no read out of bounds whatever the lengths; what it writes when they disagree
    /// is unspecified.
    ///
    /// # Examples
    /// ```
    /// use dendrite_core::quant::{Dot, Scalar};
    /// let mut out = [0i32; 2];
    /// // Rows [1, 2] and [-3, 4] on x + 1 = [2, -1], from the biases 5 and -5.
    /// Scalar::dot_chunk(&[1, -2], 1, &[1, 2, -3, 4], &[5, -5], &mut out);
    /// assert_eq!(out, [5, -15]);
    /// ```
    #[inline(always)]
    fn dot_chunk(x: &[i8], input_offset: i32, weights: &[i8], bias: &[i32], out: &mut [i32]) {
        let blocks = out
            .chunks_mut(DOT_BLOCK)
            .zip(weights.chunks(DOT_BLOCK * x.len().max(1)))
            .zip(bias.chunks(DOT_BLOCK));
        for ((out, weights), bias) in blocks {
            Self::dot_rows(x, input_offset, weights, out);
            for (sum, &b) in out.iter_mut().zip(bias) {
                *sum = sum.wrapping_add(b);
            }
        }
    }

    /// `⌊a · b / 2^32⌋`, the high word of the 64-bit product, as
    /// [`fixed::mul_high`](super::fixed::mul_high) computes it: the multiplication of every
    /// unit's requantization. A core without a long multiply (ARMv6-M) overrides it with
    /// [`fixed::mul_high_by_halves`](super::fixed::mul_high_by_halves); an override must give
    /// the same value for every operand.
    #[inline(always)]
    fn mul_high(a: i32, b: i32) -> i32 {
        super::fixed::mul_high(a, b)
    }

    /// Requantizes the first units of a chunk whose outputs are clamped to int8's range only
    /// (no fused activation's clamp narrower than it), and returns how many it wrote, from the
    /// first; dendrite-core's own loop requantizes the rest. For each unit `i` it writes,
    ///
    /// ```text
    /// out[i] = clamp(((mul_high(acc[i], multiplier[i]) >> (-2 - shift[i])) + round) >> 1, -128, 127)
    /// ```
    ///
    /// with [`mul_high`](Dot::mul_high) and arithmetic shifts: the fast path of TFLite's
    /// `MultiplyByQuantizedMultiplier` with the output zero point `z` folded into `round = 1 +
    /// 2·z`, which gives TFLite's bits only for a shift in `[-31, -2]`, so an implementation
    /// must stop before the first unit whose shift is outside that range (it may stop earlier:
    /// the count is its choice). The slices may differ in length; no unit beyond the shortest
    /// is written.
    ///
    /// The provided method writes none and returns 0: a kernel overrides it where a loop of its
    /// own (in assembly, several units per pass) beats dendrite-core's.
    ///
    /// # Examples
    /// ```
    /// use dendrite_core::quant::{Dot, Scalar};
    /// let mut out = [0i8; 2];
    /// assert_eq!(Scalar::requantize_prefix(&[100, -7], &[1 << 30; 2], &[-2; 2], 1, &mut out), 0);
    /// ```
    #[inline(always)]
    fn requantize_prefix(
        acc: &[i32],
        multiplier: &[i32],
        shift: &[i32],
        round: i32,
        out: &mut [i8],
    ) -> usize {
        let _ = (acc, multiplier, shift, round, out);
        0
    }

    /// Runs `then` on the sums of a chunk: [`dot_chunk`](Dot::dot_chunk)'s `out` for the first
    /// `min(bias.len(), DOT_CHUNK)` rows, in a scratch array of [`DOT_CHUNK`] words the kernel
    /// provides, and returns what `then` returns.
    ///
    /// The provided method zeroes an array on the stack and calls
    /// [`dot_chunk`](Dot::dot_chunk); a kernel that writes every sum itself may skip the
    /// zeroing (code allowed `unsafe` can hand out the words it wrote without clearing the
    /// array first), which costs more than the requantization of a few units.
    ///
    /// # Examples
    /// ```
    /// use dendrite_core::quant::{Dot, Scalar};
    /// let total = Scalar::with_sums(&[1, -2], 1, &[1, 2, -3, 4], &[5, -5], |sums| {
    ///     assert_eq!(sums, [5, -15]);
    ///     sums.iter().sum::<i32>()
    /// });
    /// assert_eq!(total, -10);
    /// ```
    #[inline(always)]
    fn with_sums<R>(
        x: &[i8],
        input_offset: i32,
        weights: &[i8],
        bias: &[i32],
        then: impl FnOnce(&[i32]) -> R,
    ) -> R {
        let mut sums = [0i32; DOT_CHUNK];
        let rows = bias.len().min(DOT_CHUNK);
        let (sums, _) = sums.split_at_mut(rows);
        let (bias, _) = bias.split_at(rows);
        let weights = weights.get(..rows * x.len()).unwrap_or(weights);
        Self::dot_chunk(x, input_offset, weights, bias, sums);
        then(sums)
    }
}

/// The portable [`Dot`]: one multiply-add per weight, in plain Rust, on every target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scalar;

impl Dot for Scalar {
    #[inline(always)]
    fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
        for (acc, row) in out.iter_mut().zip(weights.chunks_exact(x.len().max(1))) {
            let mut sum = 0i32;
            for (&w, &xi) in row.iter().zip(x) {
                sum = sum.wrapping_add(i32::from(w) * (i32::from(xi) + input_offset));
            }
            *acc = sum;
        }
    }

    #[inline(always)]
    fn dot_chunk(x: &[i8], input_offset: i32, weights: &[i8], bias: &[i32], out: &mut [i32]) {
        let rows = out.iter_mut().zip(bias);
        for ((acc, &b), row) in rows.zip(weights.chunks_exact(x.len().max(1))) {
            let mut sum = b;
            for (&w, &xi) in row.iter().zip(x) {
                sum = sum.wrapping_add(i32::from(w) * (i32::from(xi) + input_offset));
            }
            *acc = sum;
        }
    }
}
