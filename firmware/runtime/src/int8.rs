//! The int8 inner products of a fully-connected layer, in assembly written for each core:
//! [`Kernel`], dendrite-core's [`Dot`] hook for this core.
//!
//! For the rows of a block of a layer with `n` inputs:
//! `out[r] = Σ_i weights[r·n + i] · (x[i] + input_offset)`, in wrapping 32-bit arithmetic.
//! Integer sums do not depend on their order, so [`Kernel`] gives exactly the bits of
//! dendrite-core's portable [`Scalar`] on every core; `examples/int8_selftest.rs` checks it on
//! the core itself.
//!
//! Both kernels compute a block of four rows in one loop, so each input is read and offset once
//! for four rows; a block of fewer rows (a layer whose width is not a multiple of 4) is rare.
//!
//! - With the DSP extension (`cfg(dendrite_dsp)`, from the board table: Cortex-M4, M7, M33),
//!   [`Simd`], four inputs at a time: `SXTAB16` sign-extends the input's bytes 0 and 2 (and,
//!   rotated by 8, bytes 1 and 3) into two 16-bit halves and adds the input offset to each in the
//!   same instruction (`x + offset` is in `[-255, 255]`, within 16 bits); `SXTB16` does the same
//!   for four weights, without the offset; `SMLAD` multiplies both pairs of halves and adds the
//!   two products to a row's sum. Four inputs of four rows (16 multiply-adds) take 5 loads, 10
//!   extensions and 8 `SMLAD`s.
//! - On ARMv7-M without it (`cfg(dendrite_arch = "v7m")`: Cortex-M3), [`Thumb2`], one input at a
//!   time: `LDRSB` with post-increment reads the input and the four rows' weights, one `ADD`
//!   applies the offset, four `MLA`s: 10 instructions for 4 multiply-adds.
//! - On ARMv6-M (`cfg(dendrite_arch = "v6m")`: Cortex-M0, M0+), [`Thumb1`], one input at a
//!   time: one index register addresses the input and the four rows (`LDRSB`), one `ADD`
//!   applies the offset, then `LDRSB`, `MULS`, `ADD` per row: 15 instructions for 4
//!   multiply-adds.
//! - Elsewhere (the host), [`Kernel`] is [`Scalar`].

pub use dendrite_core::quant::{Dot, Scalar, DOT_BLOCK};

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
        thumb2::dot_rows(x, input_offset, weights, out);
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
        thumb1::dot_rows(x, input_offset, weights, out);
    }
}
