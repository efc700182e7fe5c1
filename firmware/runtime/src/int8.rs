//! The int8 inner products of a fully-connected layer, with the DSP extension's SIMD
//! instructions where the core has them (Cortex-M4, M7, M33), as CMSIS-NN computes them:
//! [`Kernel`], dendrite-core's [`Dot`] hook for this core.
//!
//! For the rows of a block of a layer with `n` inputs:
//! `out[r] = Σ_i weights[r·n + i] · (x[i] + input_offset)`, in wrapping 32-bit arithmetic.
//! Integer sums do not depend on their order, so [`Kernel`] gives exactly the bits of
//! dendrite-core's portable [`Scalar`] on every core; `examples/int8_selftest.rs` checks it on
//! the core itself.
//!
//! With the DSP extension (`cfg(dendrite_dsp)`, from the board table), four inputs at a time:
//! `SXTAB16` sign-extends the input's bytes 0 and 2 (and, rotated by 8, bytes 1 and 3) into two
//! 16-bit halves and adds the input offset to each in the same instruction (`x + offset` is in
//! `[-255, 255]`, within 16 bits); `SXTB16` does the same for four weights, without the offset;
//! `SMLAD` multiplies both pairs of halves and adds the two products to a row's sum. The four
//! rows of a block share each extended input word, so four inputs of four rows (16
//! multiply-adds) take 5 loads, 10 extensions and 8 `SMLAD`s. Without the DSP extension,
//! [`Kernel`] is [`Scalar`].

pub use dendrite_core::quant::{Dot, Scalar, DOT_BLOCK};

/// This core's int8 inner-product kernel: [`Simd`] on the cores with the DSP extension
/// (Cortex-M4, M7, M33), [`Scalar`] elsewhere (Cortex-M0, M3). Pass it to dendrite-core's
/// `*_with::<Kernel>` functions.
#[cfg(all(target_arch = "arm", dendrite_dsp))]
pub type Kernel = Simd;
/// This core's int8 inner-product kernel: [`Simd`] on the cores with the DSP extension
/// (Cortex-M4, M7, M33), [`Scalar`] elsewhere (Cortex-M0, M3). Pass it to dendrite-core's
/// `*_with::<Kernel>` functions.
#[cfg(not(all(target_arch = "arm", dendrite_dsp)))]
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

#[cfg(all(target_arch = "arm", dendrite_dsp))]
mod dsp {
    //! The DSP extension's instructions: the four-row loop as a function in assembly (it needs
    //! every register), the rest in Rust around one `asm!` per instruction.

    use super::{Dot, Scalar};
    use core::arch::{asm, naked_asm};

    /// `SXTB16`: bytes 0 and 2 of `x`, sign-extended into the two 16-bit halves.
    #[inline(always)]
    fn sxtb16(x: u32) -> u32 {
        let r: u32;
        // SAFETY: SXTB16 reads one register and writes another; no memory, stack or flags.
        // The DSP extension is present: the board table says so (`cfg(dendrite_dsp)`).
        unsafe {
            asm!("sxtb16 {r}, {x}", r = lateout(reg) r, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// `SXTB16 ROR #8`: bytes 1 and 3 of `x`, sign-extended into the two 16-bit halves.
    #[inline(always)]
    fn sxtb16_ror8(x: u32) -> u32 {
        let r: u32;
        // SAFETY: as `sxtb16`: registers only, no memory, stack or flags; DSP present.
        unsafe {
            asm!("sxtb16 {r}, {x}, ror #8", r = lateout(reg) r, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// `SXTAB16`: bytes 0 and 2 of `x`, sign-extended, added to the halves of `a` (each half
    /// on its own, wrapping at 16 bits).
    #[inline(always)]
    fn sxtab16(a: u32, x: u32) -> u32 {
        let r: u32;
        // SAFETY: SXTAB16 reads two registers and writes one; no memory, stack or flags.
        // DSP present (`cfg(dendrite_dsp)`).
        unsafe {
            asm!("sxtab16 {r}, {a}, {x}", r = lateout(reg) r, a = in(reg) a, x = in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// `SXTAB16 ROR #8`: bytes 1 and 3 of `x`, sign-extended, added to the halves of `a`.
    #[inline(always)]
    fn sxtab16_ror8(a: u32, x: u32) -> u32 {
        let r: u32;
        // SAFETY: as `sxtab16`: registers only, no memory, stack or flags; DSP present.
        unsafe {
            asm!("sxtab16 {r}, {a}, {x}, ror #8", r = lateout(reg) r, a = in(reg) a,
                 x = in(reg) x, options(pure, nomem, nostack, preserves_flags));
        }
        r
    }

    /// `SMLAD`: `acc + lo(a)·lo(b) + hi(a)·hi(b)`, the halves signed, the sum wrapping (an
    /// overflow sets the Q flag, which nothing reads).
    #[inline(always)]
    fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        let r: i32;
        // SAFETY: SMLAD reads three registers and writes one, no memory or stack. It may set
        // APSR.Q, so the block does not claim to preserve the flags; no code reads Q. DSP
        // present (`cfg(dendrite_dsp)`).
        unsafe {
            asm!("smlad {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a,
                 b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack));
        }
        r
    }

    /// Four bytes as one little-endian word (one `LDR`: ARMv7E-M and ARMv8-M Mainline load
    /// words from any address).
    #[inline(always)]
    fn word(bytes: &[i8; 4]) -> u32 {
        u32::from_le_bytes(bytes.map(|b| b as u8))
    }

    /// One row's sum over whole words of four inputs, in Rust around the instructions above
    /// (the blocks of fewer than four rows: a layer whose width is not a multiple of 4).
    #[inline(always)]
    fn row(x4: &[[i8; 4]], w4: &[[i8; 4]], offset2: u32) -> i32 {
        x4.iter().zip(w4).fold(0, |s, (xw, w)| {
            let (xw, w) = (word(xw), word(w));
            let lo = sxtab16(offset2, xw);
            let hi = sxtab16_ror8(offset2, xw);
            smlad(sxtb16_ror8(w), hi, smlad(sxtb16(w), lo, s))
        })
    }

    /// Four rows' sums over the first `4·groups` inputs (`groups` ≥ 1), written to `out`.
    ///
    /// Arguments (AAPCS): r0 `x`, r1 the first row, r2 `n` (the distance between rows), r3
    /// `groups`; on the stack the input offset in both halves, then `out`. Registers in the
    /// loop: r0 the input's distance from row 0 (constant as r1 advances), r1 row 0 (rows 1-3
    /// at r1 + n, r5 = r1 + 2n, r5 + n), r2 `n`, r3 r1's end, r4 the offset, r6/r7 the input's
    /// extended halves, r8-r11 the four sums, r12/lr temporaries. Two groups per turn; an odd
    /// count enters at the second.
    ///
    /// # Safety
    /// For k < 4·`groups`, `x + k` and `rows + r·n + k` (r < 4) must be readable; `out` must be
    /// valid for writing four words, word-aligned.
    #[unsafe(naked)]
    unsafe extern "C" fn dot4(
        x: *const i8,
        rows: *const i8,
        n: usize,
        groups: usize,
        offset2: u32,
        out: *mut [i32; 4],
    ) {
        naked_asm!(
            // The assembler of a naked function does not always see `-C target-cpu` (an
            // optimized build assembles it for the bare target, where ARMv8-M Mainline lacks
            // the optional DSP extension): name the board's CPU, which has it.
            concat!(".cpu ", env!("DENDRITE_CPU")),
            "push {{r4-r11, lr}}",
            "ldr r4, [sp, #36]",
            "subs r0, r0, r1",
            "add.w r3, r1, r3, lsl #2",
            "add.w r5, r1, r2, lsl #1",
            "movs r8, #0",
            "movs r9, #0",
            "movs r10, #0",
            "movs r11, #0",
            "sub r12, r3, r1",
            "tst r12, #4",
            "bne 3f",
            "2:",
            "ldr r12, [r1, r0]",
            "ldr lr, [r1, r2]",
            "sxtab16 r6, r4, r12",
            "sxtab16 r7, r4, r12, ror #8",
            "sxtb16 r12, lr",
            "smlad r9, r12, r6, r9",
            "sxtb16 lr, lr, ror #8",
            "smlad r9, lr, r7, r9",
            "ldr r12, [r5, r2]",
            "sxtb16 lr, r12",
            "smlad r11, lr, r6, r11",
            "sxtb16 r12, r12, ror #8",
            "smlad r11, r12, r7, r11",
            "ldr r12, [r5], #4",
            "sxtb16 lr, r12",
            "smlad r10, lr, r6, r10",
            "sxtb16 r12, r12, ror #8",
            "smlad r10, r12, r7, r10",
            "ldr r12, [r1], #4",
            "sxtb16 lr, r12",
            "smlad r8, lr, r6, r8",
            "sxtb16 r12, r12, ror #8",
            "smlad r8, r12, r7, r8",
            "3:",
            "ldr r12, [r1, r0]",
            "ldr lr, [r1, r2]",
            "sxtab16 r6, r4, r12",
            "sxtab16 r7, r4, r12, ror #8",
            "sxtb16 r12, lr",
            "smlad r9, r12, r6, r9",
            "sxtb16 lr, lr, ror #8",
            "smlad r9, lr, r7, r9",
            "ldr r12, [r5, r2]",
            "sxtb16 lr, r12",
            "smlad r11, lr, r6, r11",
            "sxtb16 r12, r12, ror #8",
            "smlad r11, r12, r7, r11",
            "ldr r12, [r5], #4",
            "sxtb16 lr, r12",
            "smlad r10, lr, r6, r10",
            "sxtb16 r12, r12, ror #8",
            "smlad r10, r12, r7, r10",
            "ldr r12, [r1], #4",
            "sxtb16 lr, r12",
            "smlad r8, lr, r6, r8",
            "sxtb16 r12, r12, ror #8",
            "smlad r8, r12, r7, r8",
            "cmp r1, r3",
            "bne 2b",
            "ldr r12, [sp, #40]",
            "stm r12, {{r8-r11}}",
            "pop {{r4-r11, pc}}",
        )
    }

    /// The inputs' last `n mod 4` values against a row's, added to `sum`.
    #[inline(always)]
    fn tail(sum: i32, w: &[i8], x: &[i8], offset: i32) -> i32 {
        w.iter().zip(x).fold(sum, |a, (&w, &xi)| {
            a.wrapping_add(i32::from(w).wrapping_mul(i32::from(xi) + offset))
        })
    }

    /// [`Dot::dot_rows`]: a block of four rows through [`dot4`], other blocks a row at a
    /// time; any block whose lengths break the contract, or an offset beyond 16 bits, through
    /// [`Scalar`] (which reads nothing out of bounds either).
    #[inline(always)]
    pub(super) fn dot_rows(x: &[i8], offset: i32, weights: &[i8], out: &mut [i32]) {
        let n = x.len();
        let rows = out.len();
        if n == 0 || weights.len() != rows * n || !(-32768..=32767).contains(&offset) {
            return Scalar::dot_rows(x, offset, weights, out);
        }
        // The offset in both halves.
        let offset2 = (offset as u32 & 0xFFFF) | ((offset as u32) << 16);
        let (x4, x_tail) = x.as_chunks::<4>();
        let whole = 4 * x4.len();
        if let Ok(out4) = <&mut [i32; 4]>::try_from(&mut *out) {
            if !x4.is_empty() {
                // SAFETY: `weights` holds exactly 4 rows of `n` values (checked above), so
                // `weights + r·n + k` is in bounds for r < 4 and k < 4·groups ≤ n, and so is
                // `x + k`; `out4` is an exclusive reference to four aligned words. `dot4`
                // reads only those and writes only `out4`.
                unsafe {
                    dot4(x.as_ptr(), weights.as_ptr(), n, x4.len(), offset2, out4);
                }
            } else {
                *out4 = [0; 4];
            }
            for (s, row) in out4.iter_mut().zip(weights.chunks_exact(n)) {
                *s = tail(*s, row.get(whole..).unwrap_or(&[]), x_tail, offset);
            }
            return;
        }
        for (s, r) in out.iter_mut().zip(weights.chunks_exact(n)) {
            let (w4, w_tail) = r.as_chunks::<4>();
            *s = tail(row(x4, w4, offset2), w_tail, x_tail, offset);
        }
    }
}
