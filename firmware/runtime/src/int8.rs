//! The int8 inner products of a fully-connected layer, with the DSP extension's SIMD
//! instructions where the core has them (Cortex-M4, M7, M33), as CMSIS-NN computes them.
//!
//! For every output unit `j` of a layer with `n` inputs:
//! `acc[j] += Σ_i weights[j·n + i] · (x[i] + input_offset)`, in wrapping 32-bit arithmetic.
//! Integer sums do not depend on their order, so this gives exactly the bits of dendrite-core's
//! portable kernel (TFLite's reference loop) on every core; the firmware runs it in place of
//! that loop.
//!
//! With the DSP extension (`cfg(dendrite_dsp)`, from the board table), four inputs at a time:
//! `SXTAB16` sign-extends the input's bytes 0 and 2 (and, rotated by 8, bytes 1 and 3) into two
//! 16-bit halves and adds the input offset to each in the same instruction (`x + offset` is in
//! `[-255, 255]`, within 16 bits); `SXTB16` does the same for four weights; `SMLAD` multiplies
//! both pairs of halves and adds the two products to the accumulator. Four rows share each
//! extended input word, so four inputs of four rows (16 multiply-adds) take 5 loads, 10
//! extensions and 8 `SMLAD`s. Without it, a plain loop with no bounds checks in its body.

/// Adds the inner products of `weights`' rows with `x + input_offset` to `acc`:
/// `acc[j] += Σ_i weights[j·n + i] · (x[i] + input_offset)` with `n = x.len()`, wrapping.
///
/// `weights` holds the rows one after another (`OUT × IN`, row-major, TFLite's layout). Rows
/// beyond `acc`'s length are ignored, and so are the units of `acc` beyond the whole rows of
/// `weights`; an empty `x` adds nothing.
///
/// `input_offset` is the negated input zero point, in `[-127, 128]` for an int8 zero point;
/// any value gives the portable kernel's wrapping result on a core without the DSP extension,
/// and on one with it as long as `x[i] + input_offset` fits 16 bits (`[-32768, 32767]`).
///
/// ```
/// let mut acc = [10, 20];
/// // Rows [1, 2, 3] and [-1, 0, 4]; x + 1 = [2, 0, -1].
/// dendrite_runtime::int8::accumulate(&[1, -1, -2], &[1, 2, 3, -1, 0, 4], 1, &mut acc);
/// assert_eq!(acc, [10 + 2 - 3, 20 - 2 - 4]);
/// ```
pub fn accumulate(x: &[i8], weights: &[i8], input_offset: i32, acc: &mut [i32]) {
    let n = x.len();
    if n == 0 {
        return;
    }
    #[cfg(all(target_arch = "arm", dendrite_dsp))]
    {
        if (-32768..=32767).contains(&input_offset) {
            dsp::accumulate(x, weights, input_offset, acc);
            return;
        }
    }
    portable(x, weights, input_offset, acc);
}

/// One row's inner product with `x + input_offset`, wrapping: [`accumulate`] for one unit,
/// starting from 0. `row` and `x` are paired up to the shorter's length.
///
/// ```
/// assert_eq!(dendrite_runtime::int8::dot(&[1, 2, 3], &[4, -5, 6], -1), 4 * 0 - 5 * 1 + 6 * 2);
/// ```
pub fn dot(x: &[i8], row: &[i8], input_offset: i32) -> i32 {
    let n = x.len().min(row.len());
    let (Some(x), Some(row)) = (x.get(..n), row.get(..n)) else {
        return 0;
    };
    let mut acc = [0i32];
    accumulate(x, row, input_offset, &mut acc);
    let [sum] = acc;
    sum
}

/// The portable loop: TFLite's reference order, no bounds checks in the body (zipped slices).
fn portable(x: &[i8], weights: &[i8], input_offset: i32, acc: &mut [i32]) {
    for (a, row) in acc.iter_mut().zip(weights.chunks_exact(x.len())) {
        let mut sum = *a;
        for (&w, &xi) in row.iter().zip(x) {
            sum = sum
                .wrapping_add(i32::from(w).wrapping_mul(i32::from(xi).wrapping_add(input_offset)));
        }
        *a = sum;
    }
}

#[cfg(all(target_arch = "arm", dendrite_dsp))]
mod dsp {
    //! The DSP extension's instructions, each in its own `asm!` so that the compiler allocates
    //! registers and schedules the loads around them.

    use core::arch::asm;

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
    /// unaligned words).
    #[inline(always)]
    fn word(bytes: &[i8; 4]) -> u32 {
        u32::from_le_bytes(bytes.map(|b| b as u8))
    }

    /// Adds `w · x` to `acc` for four weights and an input word already split into
    /// offset-added halves (`lo`: bytes 0 and 2, `hi`: bytes 1 and 3).
    #[inline(always)]
    fn mac4(acc: i32, w: &[i8; 4], lo: u32, hi: u32) -> i32 {
        let w = word(w);
        smlad(sxtb16_ror8(w), hi, smlad(sxtb16(w), lo, acc))
    }

    /// Leftover columns (fewer than four), in plain arithmetic.
    #[inline(always)]
    fn tail(acc: i32, w: &[i8], x: &[i8], offset: i32) -> i32 {
        w.iter().zip(x).fold(acc, |a, (&w, &xi)| {
            a.wrapping_add(i32::from(w).wrapping_mul(i32::from(xi) + offset))
        })
    }

    /// One row over `x4` (whole words of four inputs), in Rust around the instructions above.
    #[inline(always)]
    fn row(x4: &[[i8; 4]], w4: &[[i8; 4]], offset2: u32) -> i32 {
        x4.iter().zip(w4).fold(0, |s, (xw, w)| {
            let xw = word(xw);
            mac4(s, w, sxtab16(offset2, xw), sxtab16_ror8(offset2, xw))
        })
    }

    /// Three rows starting at `rows` (`n` bytes apart) over the first `4·groups` inputs of
    /// `x`, added to `acc`: the hot loop, in assembly because it needs all twelve allocatable
    /// registers (three row sums, the input's two halves, the offset, two temporaries, the row
    /// pointer, the row stride, the input's distance from the row pointer and the loop's end),
    /// which the compiler's allocation spills to the stack.
    ///
    /// Per four inputs of the three rows (12 multiply-adds): 4 `LDR`, 2 `SXTAB16`, 6 `SXTB16`,
    /// 6 `SMLAD`; the loop does two such groups per turn (entering in its middle when `groups`
    /// is odd).
    #[inline(always)]
    fn rows3(
        x: &[i8],
        rows: &[i8],
        n: usize,
        groups: usize,
        offset2: u32,
        acc: [i32; 3],
    ) -> [i32; 3] {
        let [mut a0, mut a1, mut a2] = acc;
        if groups == 0 || x.len() < 4 * groups || n < 4 * groups || rows.len() < 2 * n + 4 * groups
        {
            return acc;
        }
        let start = rows.as_ptr();
        // The input's distance from row 0: constant as the row pointer advances.
        let distance = (x.as_ptr() as usize).wrapping_sub(start as usize);
        let end = start.wrapping_add(4 * groups);
        // SAFETY: the loop reads the words at `start + 4k`, `start + n + 4k`,
        // `start + 2n + 4k` and `x + 4k` for k < `groups`: within `rows` (whose length was
        // checked above to reach `2n + 4·groups`) and `x` (at least `4·groups` long). ARMv7E-M
        // and ARMv8-M Mainline load words from any address. It writes only registers (the
        // operands) and the flags (not preserved: no `preserves_flags`), touches no stack, and
        // the DSP extension is present (`cfg(dendrite_dsp)`).
        unsafe {
            asm!(
                // An odd number of groups: enter at the loop's second half.
                "sub {t0}, {end}, {p}",
                "tst {t0}, #4",
                "bne 3f",
                "2:",
                "ldr {t0}, [{p}, {d}]",
                "ldr {t1}, [{p}, {n}]",
                "sxtab16 {lo}, {off}, {t0}",
                "sxtab16 {hi}, {off}, {t0}, ror #8",
                "sxtb16 {t0}, {t1}",
                "smlad {a1}, {t0}, {lo}, {a1}",
                "sxtb16 {t1}, {t1}, ror #8",
                "smlad {a1}, {t1}, {hi}, {a1}",
                "ldr {t0}, [{p}, {n}, lsl #1]",
                "sxtb16 {t1}, {t0}",
                "smlad {a2}, {t1}, {lo}, {a2}",
                "sxtb16 {t0}, {t0}, ror #8",
                "smlad {a2}, {t0}, {hi}, {a2}",
                "ldr {t0}, [{p}], #4",
                "sxtb16 {t1}, {t0}",
                "smlad {a0}, {t1}, {lo}, {a0}",
                "sxtb16 {t0}, {t0}, ror #8",
                "smlad {a0}, {t0}, {hi}, {a0}",
                "3:",
                "ldr {t0}, [{p}, {d}]",
                "ldr {t1}, [{p}, {n}]",
                "sxtab16 {lo}, {off}, {t0}",
                "sxtab16 {hi}, {off}, {t0}, ror #8",
                "sxtb16 {t0}, {t1}",
                "smlad {a1}, {t0}, {lo}, {a1}",
                "sxtb16 {t1}, {t1}, ror #8",
                "smlad {a1}, {t1}, {hi}, {a1}",
                "ldr {t0}, [{p}, {n}, lsl #1]",
                "sxtb16 {t1}, {t0}",
                "smlad {a2}, {t1}, {lo}, {a2}",
                "sxtb16 {t0}, {t0}, ror #8",
                "smlad {a2}, {t0}, {hi}, {a2}",
                "ldr {t0}, [{p}], #4",
                "sxtb16 {t1}, {t0}",
                "smlad {a0}, {t1}, {lo}, {a0}",
                "sxtb16 {t0}, {t0}, ror #8",
                "smlad {a0}, {t0}, {hi}, {a0}",
                "cmp {p}, {end}",
                "bne 2b",
                p = inout(reg) start => _,
                n = in(reg) n,
                d = in(reg) distance,
                end = in(reg) end,
                off = in(reg) offset2,
                a0 = inout(reg) a0,
                a1 = inout(reg) a1,
                a2 = inout(reg) a2,
                lo = out(reg) _,
                hi = out(reg) _,
                t0 = out(reg) _,
                t1 = out(reg) _,
                options(readonly, nostack),
            );
        }
        [a0, a1, a2]
    }

    /// [`super::accumulate`] with SMLAD: three rows at a time ([`rows3`]), then one at a time.
    /// `x` is not empty and `offset` fits 16 bits.
    pub(super) fn accumulate(x: &[i8], weights: &[i8], offset: i32, acc: &mut [i32]) {
        let n = x.len();
        // The offset in both halves.
        let offset2 = (offset as u32 & 0xFFFF) | ((offset as u32) << 16);
        let (x4, x_tail) = x.as_chunks::<4>();
        let mut blocks = weights.chunks_exact(3 * n);
        let mut acc3 = acc.chunks_exact_mut(3);
        for (block, a) in (&mut blocks).zip(&mut acc3) {
            let sums = rows3(x, block, n, x4.len(), offset2, [0; 3]);
            for ((a, s), row) in a.iter_mut().zip(sums).zip(block.chunks_exact(n)) {
                let t = row.get(4 * x4.len()..).unwrap_or(&[]);
                *a = a.wrapping_add(tail(s, t, x_tail, offset));
            }
        }
        for (a, r) in acc3
            .into_remainder()
            .iter_mut()
            .zip(blocks.remainder().chunks_exact(n))
        {
            let (w, t) = r.as_chunks::<4>();
            *a = a.wrapping_add(tail(row(x4, w, offset2), t, x_tail, offset));
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// The definition, in i64.
    fn reference(x: &[i8], weights: &[i8], offset: i32, acc: &[i32]) -> Vec<i32> {
        acc.iter()
            .zip(weights.chunks_exact(x.len()))
            .map(|(&a, row)| {
                let s: i64 = row
                    .iter()
                    .zip(x)
                    .map(|(&w, &xi)| i64::from(w) * (i64::from(xi) + i64::from(offset)))
                    .sum();
                (i64::from(a) + s) as i32
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_for_many_shapes() {
        let mut seed = 0x9E37_79B9u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for n in 1..40 {
            for rows in [1, 3, 4, 5, 9] {
                let x: Vec<i8> = (0..n).map(|_| next() as i8).collect();
                let w: Vec<i8> = (0..n * rows).map(|_| next() as i8).collect();
                let offset = (next() % 256) as i32 - 127;
                let mut acc: Vec<i32> = (0..rows).map(|_| next() as i32 >> 8).collect();
                let want = reference(&x, &w, offset, &acc);
                accumulate(&x, &w, offset, &mut acc);
                assert_eq!(acc, want, "n {n}, rows {rows}");
            }
        }
    }

    #[test]
    fn short_weights_and_empty_input_leave_the_rest() {
        let mut acc = [1, 2, 3];
        accumulate(&[1, 1], &[1, 1, 1, 1, 9], 0, &mut acc);
        assert_eq!(acc, [3, 4, 3]);
        accumulate(&[], &[1, 2], 5, &mut acc);
        assert_eq!(acc, [3, 4, 3]);
        assert_eq!(dot(&[1, 2], &[3], 0), 3);
    }
}
