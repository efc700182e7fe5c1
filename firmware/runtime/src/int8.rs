//! The int8 inner products of a fully-connected layer, in assembly written for each core:
//! [`Kernel`], dendrite-core's [`Dot`] hook for this core.
//!
//! For the rows of a block of a layer with `n` inputs:
//! `out[r] = Σ_i weights[r·n + i] · (x[i] + input_offset)`, in wrapping 32-bit arithmetic.
//! Integer sums do not depend on their order, so [`Kernel`] gives exactly the bits of
//! dendrite-core's portable [`Scalar`] on every core; `examples/int8_selftest.rs` checks it on
//! the core itself.
//!
//! Each kernel computes a block of four rows in one loop, so each input is read and offset once
//! for four rows, and loops over a chunk's blocks itself ([`Dot::dot_chunk`]: one call per
//! chunk of a layer, each row's sum started from its bias); the rows after the last whole block
//! (a layer whose width is not a multiple of 4) are rare.
//!
//! - With the DSP extension (`cfg(dendrite_dsp)`, from the board table: Cortex-M4, M7, M33),
//!   [`Simd`], four inputs at a time: `SXTAB16` sign-extends the input's bytes 0 and 2 (and,
//!   rotated by 8, bytes 1 and 3) into two 16-bit halves and adds the input offset to each in the
//!   same instruction (`x + offset` is in `[-255, 255]`, within 16 bits); `SXTB16` does the same
//!   for four weights, without the offset; `SMLAD` multiplies both pairs of halves and adds the
//!   two products to a row's sum. Four inputs of four rows (16 multiply-adds) take 5 loads, 10
//!   extensions and 8 `SMLAD`s. [`Simd`] also requantizes a chunk's units itself
//!   ([`Dot::requantize_prefix`]) when no fused activation narrows int8's range: four units per
//!   pass of an assembly loop, the loads of two units in one run, one test of their two shifts,
//!   `SMMUL`, `ASR`, the zero point's rounding constant, `SSAT` with the halving shift.
//! - On ARMv7-M without it (`cfg(dendrite_arch = "v7m")`: Cortex-M3), [`Thumb2`], one input at a
//!   time: `LDRSB` with post-increment reads the input and the four rows' weights, one `ADD`
//!   applies the offset, four `MLA`s: 10 instructions for 4 multiply-adds.
//! - On ARMv6-M (`cfg(dendrite_arch = "v6m")`: Cortex-M0, M0+), [`Thumb1`], one input at a
//!   time: one index register addresses the input and the four rows (`LDRSB`), one `ADD`
//!   applies the offset, then `LDRSB`, `MULS`, `ADD` per row: 15 instructions for 4
//!   multiply-adds.
//! - Elsewhere (the host), [`Kernel`] is [`Scalar`].

pub use dendrite_core::quant::{Dot, Scalar, DOT_BLOCK, DOT_CHUNK};

#[cfg(all(target_arch = "arm", dendrite_dsp))]
mod dsp;
#[cfg(all(target_arch = "arm", dendrite_arch = "v6m"))]
mod thumb1;
#[cfg(all(target_arch = "arm", not(dendrite_dsp), dendrite_arch = "v7m"))]
mod thumb2;

/// This core's int8 inner-product kernel: [`Simd`] on the cores with the DSP extension
/// (Cortex-M4, M7, M33), [`Thumb2`] on ARMv7-M without it (Cortex-M3), [`Thumb1`] on ARMv6-M
/// (Cortex-M0, M0+), [`Scalar`] elsewhere. Pass it to dendrite-core's `*_with::<Kernel>`
/// functions.
#[cfg(all(target_arch = "arm", dendrite_dsp))]
pub type Kernel = Simd;
/// This core's int8 inner-product kernel: [`Simd`] on the cores with the DSP extension
/// (Cortex-M4, M7, M33), [`Thumb2`] on ARMv7-M without it (Cortex-M3), [`Thumb1`] on ARMv6-M
/// (Cortex-M0, M0+), [`Scalar`] elsewhere. Pass it to dendrite-core's `*_with::<Kernel>`
/// functions.
#[cfg(all(target_arch = "arm", not(dendrite_dsp), dendrite_arch = "v7m"))]
pub type Kernel = Thumb2;
/// This core's int8 inner-product kernel: [`Simd`] on the cores with the DSP extension
/// (Cortex-M4, M7, M33), [`Thumb2`] on ARMv7-M without it (Cortex-M3), [`Thumb1`] on ARMv6-M
/// (Cortex-M0, M0+), [`Scalar`] elsewhere. Pass it to dendrite-core's `*_with::<Kernel>`
/// functions.
#[cfg(all(target_arch = "arm", dendrite_arch = "v6m"))]
pub type Kernel = Thumb1;
/// This core's int8 inner-product kernel: [`Simd`] on the cores with the DSP extension
/// (Cortex-M4, M7, M33), [`Thumb2`] on ARMv7-M without it (Cortex-M3), [`Thumb1`] on ARMv6-M
/// (Cortex-M0, M0+), [`Scalar`] elsewhere. Pass it to dendrite-core's `*_with::<Kernel>`
/// functions.
#[cfg(not(all(
    target_arch = "arm",
    any(dendrite_dsp, dendrite_arch = "v7m", dendrite_arch = "v6m")
)))]
pub type Kernel = Scalar;

/// The DSP extension's [`Dot`]: `SXTB16`, `SXTAB16` and `SMLAD` on four inputs at a time.
#[cfg(all(target_arch = "arm", dendrite_dsp))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Simd;

#[cfg(all(target_arch = "arm", dendrite_dsp))]
impl Dot for Simd {
    #[inline]
    fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
        dsp::dot_rows(x, input_offset, weights, out);
    }

    #[inline]
    fn dot_chunk(x: &[i8], input_offset: i32, weights: &[i8], bias: &[i32], out: &mut [i32]) {
        dsp::dot_chunk(x, input_offset, weights, bias, out);
    }

    #[inline(always)]
    fn with_sums<R>(
        x: &[i8],
        input_offset: i32,
        weights: &[i8],
        bias: &[i32],
        then: impl FnOnce(&[i32]) -> R,
    ) -> R {
        dsp::with_sums(x, input_offset, weights, bias, then)
    }

    /// Four units per pass of a loop in assembly: `SMMUL`, `ASR`, `ADD`, `SSAT` with the
    /// halving shift, the loads of a pair of units in one run, one test of a pair's shifts.
    #[inline(always)]
    fn requantize_prefix(
        acc: &[i32],
        multiplier: &[i32],
        shift: &[i32],
        round: i32,
        out: &mut [i8],
    ) -> usize {
        dsp::requantize_prefix(acc, multiplier, shift, round, out)
    }
}

/// ARMv7-M's [`Dot`] without the DSP extension (Cortex-M3): `LDRSB` and `MLA`, four rows at
/// once.
#[cfg(all(target_arch = "arm", not(dendrite_dsp), dendrite_arch = "v7m"))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Thumb2;

#[cfg(all(target_arch = "arm", not(dendrite_dsp), dendrite_arch = "v7m"))]
impl Dot for Thumb2 {
    #[inline]
    fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
        rows_by_blocks(thumb2::dot_blocks, x, input_offset, weights, out);
    }

    #[inline]
    fn dot_chunk(x: &[i8], input_offset: i32, weights: &[i8], bias: &[i32], out: &mut [i32]) {
        chunk_by_blocks(thumb2::dot_blocks, x, input_offset, weights, bias, out);
    }

    #[inline(always)]
    fn with_sums<R>(
        x: &[i8],
        input_offset: i32,
        weights: &[i8],
        bias: &[i32],
        then: impl FnOnce(&[i32]) -> R,
    ) -> R {
        sums_by_blocks(thumb2::dot_blocks, x, input_offset, weights, bias, then)
    }
}

/// ARMv6-M's [`Dot`] (Cortex-M0, M0+): `LDRSB`, `MULS` and `ADD`, four rows at once.
#[cfg(all(target_arch = "arm", dendrite_arch = "v6m"))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Thumb1;

#[cfg(all(target_arch = "arm", dendrite_arch = "v6m"))]
impl Dot for Thumb1 {
    #[inline]
    fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
        rows_by_blocks(thumb1::dot_blocks, x, input_offset, weights, out);
    }

    #[inline]
    fn dot_chunk(x: &[i8], input_offset: i32, weights: &[i8], bias: &[i32], out: &mut [i32]) {
        chunk_by_blocks(thumb1::dot_blocks, x, input_offset, weights, bias, out);
    }

    #[inline(always)]
    fn with_sums<R>(
        x: &[i8],
        input_offset: i32,
        weights: &[i8],
        bias: &[i32],
        then: impl FnOnce(&[i32]) -> R,
    ) -> R {
        sums_by_blocks(thumb1::dot_blocks, x, input_offset, weights, bias, then)
    }

    /// Four `MULS` of 16-bit halves: ARMv6-M has no long multiply (a 64-bit product is a call
    /// to `__aeabi_lmul`).
    #[inline(always)]
    fn mul_high(a: i32, b: i32) -> i32 {
        dendrite_core::quant::fixed::mul_high_by_halves(a, b)
    }
}

/// A kernel in assembly over whole blocks of four rows, `thumb1::dot_blocks` or
/// `thumb2::dot_blocks`: `kernel(x, rows, n, blocks, offset, bias, out)` sets, for every `r <
/// 4·blocks`, `out[r] = bias[r] + Σ_{k < n} rows[r·n + k] · (x[k] + offset)`.
///
/// # Safety
/// `blocks` ≥ 1 and `n` ≥ 1; for k < `n` and r < 4·`blocks`, `x + k` and `rows + r·n + k` must
/// be readable; `bias` must be valid for reading and `out` for writing `4·blocks` words, both
/// word-aligned.
#[cfg(all(
    target_arch = "arm",
    not(dendrite_dsp),
    any(dendrite_arch = "v7m", dendrite_arch = "v6m")
))]
type Blocks = unsafe extern "C" fn(*const i8, *const i8, usize, usize, i32, *const i32, *mut i32);

/// [`Dot::dot_chunk`] through a [`Blocks`] kernel: the whole blocks of four rows in one call,
/// the last rows (fewer than four), and any chunk whose lengths break the contract, through
/// [`Scalar`].
#[cfg(all(
    target_arch = "arm",
    not(dendrite_dsp),
    any(dendrite_arch = "v7m", dendrite_arch = "v6m")
))]
#[inline(always)]
fn chunk_by_blocks(
    kernel: Blocks,
    x: &[i8],
    offset: i32,
    weights: &[i8],
    bias: &[i32],
    out: &mut [i32],
) {
    let n = x.len();
    let rows = out.len();
    if n == 0 || n.checked_mul(rows) != Some(weights.len()) || bias.len() != rows {
        return Scalar::dot_chunk(x, offset, weights, bias, out);
    }
    let blocks = rows / 4;
    let (Some((out4, out_rest)), Some((bias4, bias_rest)), Some((weights4, weights_rest))) = (
        out.split_at_mut_checked(4 * blocks),
        bias.split_at_checked(4 * blocks),
        weights.split_at_checked(4 * blocks * n),
    ) else {
        return;
    };
    if blocks > 0 {
        // SAFETY: `weights4` holds exactly `4·blocks` rows of `n` ≥ 1 values (checked above),
        // so `weights + r·n + k` is in bounds for r < 4·blocks and k < n, and so is `x + k`;
        // `bias4` and `out4` hold `4·blocks` words each, `out4` exclusively borrowed. The
        // kernel reads only those and writes only `out4`.
        unsafe {
            kernel(
                x.as_ptr(),
                weights4.as_ptr(),
                n,
                blocks,
                offset,
                bias4.as_ptr(),
                out4.as_mut_ptr(),
            );
        }
    }
    Scalar::dot_chunk(x, offset, weights_rest, bias_rest, out_rest);
}

/// [`Dot::with_sums`] through a [`Blocks`] kernel: a chunk of whole blocks of four rows
/// (every chunk of a layer whose width is a multiple of 4) straight into an array the kernel
/// does not clear first; any other chunk through [`chunk_by_blocks`] into a cleared one.
#[cfg(all(
    target_arch = "arm",
    not(dendrite_dsp),
    any(dendrite_arch = "v7m", dendrite_arch = "v6m")
))]
#[inline(always)]
fn sums_by_blocks<R>(
    kernel: Blocks,
    x: &[i8],
    offset: i32,
    weights: &[i8],
    bias: &[i32],
    then: impl FnOnce(&[i32]) -> R,
) -> R {
    let n = x.len();
    let rows = bias.len();
    // The sums' array: the kernel writes it without its being cleared first.
    let mut sums = core::mem::MaybeUninit::<[i32; DOT_CHUNK]>::uninit();
    if n != 0
        && rows != 0
        && rows <= DOT_CHUNK
        && rows.is_multiple_of(4)
        && n.checked_mul(rows) == Some(weights.len())
    {
        let sums = sums.as_mut_ptr().cast::<i32>();
        // SAFETY: `weights` holds exactly `rows` rows of `n` ≥ 1 values, `rows` a multiple of 4
        // (checked above), so `weights + r·n + k` is in bounds for r < rows and k < n, and so
        // is `x + k`; `bias` holds `rows` words and `sums` `DOT_CHUNK` ≥ `rows` (word-aligned,
        // exclusively ours). The kernel reads only those and writes the first `rows` words of
        // `sums`: all of them are initialized when the slice is made.
        let sums = unsafe {
            kernel(
                x.as_ptr(),
                weights.as_ptr(),
                n,
                rows / 4,
                offset,
                bias.as_ptr(),
                sums,
            );
            core::slice::from_raw_parts(sums, rows)
        };
        return then(sums);
    }
    // The same array, cleared.
    let sums = sums.write([0; DOT_CHUNK]);
    let rows = rows.min(DOT_CHUNK);
    let (sums, _) = sums.split_at_mut(rows);
    let (bias, _) = bias.split_at(rows);
    let weights = weights.get(..rows * n).unwrap_or(weights);
    chunk_by_blocks(kernel, x, offset, weights, bias, sums);
    then(sums)
}

/// [`Dot::dot_rows`] through a [`Blocks`] kernel: [`chunk_by_blocks`] from biases of 0.
#[cfg(all(
    target_arch = "arm",
    not(dendrite_dsp),
    any(dendrite_arch = "v7m", dendrite_arch = "v6m")
))]
#[inline(always)]
fn rows_by_blocks(kernel: Blocks, x: &[i8], offset: i32, weights: &[i8], out: &mut [i32]) {
    const ZEROS: [i32; DOT_BLOCK] = [0; DOT_BLOCK];
    match ZEROS.get(..out.len()) {
        Some(zeros) => chunk_by_blocks(kernel, x, offset, weights, zeros, out),
        None => Scalar::dot_rows(x, offset, weights, out),
    }
}
