//! The DSP extension's instructions: the four-row loop as a function in assembly (it needs
//! every register), the rest in Rust around one `asm!` per instruction.

use super::{Dot, Scalar, DOT_BLOCK, DOT_CHUNK};
use core::arch::{asm, naked_asm};
use core::mem::MaybeUninit;

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

/// One step of [`dot_blocks`]'s loop: four inputs of the four rows, 16 multiply-adds. The loads come
/// in two runs (the input word and rows 0-1, then rows 2-3), since a load right after another
/// pipelines (one cycle instead of two on the Cortex-M4); the five free registers allow no
/// longer run. `$check` goes between the second run and rows 2-3's arithmetic: the loop's end
/// test in the last step of the body, nothing elsewhere. Every instruction is 32-bit (`.w`), so
/// a step is [`STEP_BYTES`] long, and the loop can be entered at any step.
macro_rules! dsp_step {
    ($check:expr) => {
        concat!(
            "ldr.w r5, [r1, r0]\n",
            "ldr.w r6, [r1, r2]\n",
            "ldr.w r7, [r1], #4\n",
            "sxtab16 r12, r4, r5\n",
            "sxtab16 r5, r4, r5, ror #8\n",
            "sxtb16 lr, r7\n",
            "smlad r8, lr, r12, r8\n",
            "sxtb16 r7, r7, ror #8\n",
            "smlad r8, r7, r5, r8\n",
            "sxtb16 lr, r6\n",
            "smlad r9, lr, r12, r9\n",
            "sxtb16 r6, r6, ror #8\n",
            "smlad r9, r6, r5, r9\n",
            "ldr.w r6, [r3, r2]\n",
            "ldr.w r7, [r3], #4\n",
            $check,
            "sxtb16 lr, r7\n",
            "smlad r10, lr, r12, r10\n",
            "sxtb16 r7, r7, ror #8\n",
            "smlad r10, r7, r5, r10\n",
            "sxtb16 lr, r6\n",
            "smlad r11, lr, r12, r11\n",
            "sxtb16 r6, r6, ror #8\n",
            "smlad r11, r6, r5, r11\n",
        )
    };
}

/// Four [`dsp_step`]s without the end test.
macro_rules! dsp_steps4 {
    () => {
        concat!(dsp_step!(""), dsp_step!(""), dsp_step!(""), dsp_step!(""))
    };
}

/// Steps in [`dot_blocks`]'s loop body (a power of two).
const STEPS: usize = 16;
/// Bytes of one [`dsp_step`]: 23 instructions of 4 bytes.
const STEP_BYTES: usize = 92;

/// The sums of `blocks` blocks of four rows (`blocks` ≥ 1) over the first `4·groups` inputs
/// (`groups` ≥ 1), each row's sum started from its bias, written to `out`.
///
/// Arguments (AAPCS): r0 `x`, r1 the first row, r2 `n` (the distance between rows), r3
/// `groups`; on the stack the input offset in both halves, `bias`, `out` and `blocks`.
/// Registers in the inner loop: r0 the input's distance from the block's row 0 (constant as r1
/// advances), r1 row 0 (row 1 at r1 + n), r2 `n`, r3 row 2 (row 3 at r3 + n), r4 the offset,
/// r8-r11 the four sums, r5-r7, r12 and lr the words and their extensions. The rest lives in
/// the frame: the entry offset into the body and row 0's end (r1's last value; loaded in the
/// last step's second run of loads, where it costs one cycle); and in the arguments' words
/// (the callee owns its stack arguments), once the offset is in r4 and `blocks` read: the
/// step from row 0's end to the next block's row 0 (`4·n - 4·groups`), the next biases, the
/// next sums' address and `out`'s end, which one `LDM` reads between blocks. Between blocks,
/// `STM` writes the four sums, and `LDM` reads the next four biases into them.
///
/// The body holds [`STEPS`] steps; a count that is not a multiple enters the body at step
/// `STEPS - groups mod STEPS` (an `ADD PC` into the fixed-size steps), so each pass but the
/// first is whole and the end test runs once per [`STEPS`] steps.
///
/// # Safety
/// For k < 4·`groups` and r < 4·`blocks`, `x + k` and `rows + r·n + k` must be readable;
/// `bias` must be valid for reading and `out` for writing `4·blocks` words, both word-aligned.
#[unsafe(naked)]
unsafe extern "C" fn dot_blocks(
    x: *const i8,
    rows: *const i8,
    n: usize,
    groups: usize,
    offset2: u32,
    bias: *const i32,
    out: *mut i32,
    blocks: usize,
) {
    naked_asm!(
        // The assembler of a naked function does not always see `-C target-cpu` (an
        // optimized build assembles it for the bare target, where ARMv8-M Mainline lacks
        // the optional DSP extension): name the board's CPU, which has it.
        concat!(".cpu ", env!("DENDRITE_CPU")),
        "push {{r4-r11, lr}}",
        // The frame: [sp] the entry offset, [sp, #4] row 0's end; the arguments from
        // [sp, #44]: offset2, bias, out, blocks, which become the step to the next block's
        // row 0, the next biases, the next sums' address and `out`'s end.
        "sub sp, #8",
        "ldr r4, [sp, #44]",
        "subs r0, r0, r1",
        "lsl.w r12, r3, #2",
        "add.w lr, r1, r12",
        "str.w lr, [sp, #4]",
        "rsb r12, r12, r2, lsl #2",
        "str.w r12, [sp, #44]",
        "ldr.w r12, [sp, #52]",
        "ldr.w lr, [sp, #56]",
        "add.w lr, r12, lr, lsl #4",
        "str.w lr, [sp, #56]",
        // The steps to skip, (-groups) mod STEPS, as a byte offset into the body.
        "rsbs r3, r3, #0",
        "and r3, r3, #{mask}",
        "mov.w r12, #{step}",
        "mul r3, r3, r12",
        "str r3, [sp]",
        "ldr.w r12, [sp, #48]",
        "ldm r12!, {{r8-r11}}",
        "str.w r12, [sp, #48]",
        "2:",
        "add.w r3, r1, r2, lsl #1",
        "ldr.w lr, [sp]",
        // PC reads as this instruction's address + 4: the body starts after the 2-byte NOP.
        "add pc, lr",
        "nop.n",
        "1:",
        dsp_steps4!(),
        dsp_steps4!(),
        dsp_steps4!(),
        dsp_step!(""),
        dsp_step!(""),
        dsp_step!(""),
        // SXTB16 and SMLAD leave the N, Z, C and V flags alone (SMLAD sets only Q): the
        // comparison holds until the branch.
        dsp_step!("ldr.w lr, [sp, #4]\ncmp r1, lr\n"),
        "bne 1b",
        // Between blocks: the step to the next row 0, the next biases, the sums' address and
        // `out`'s end in one `LDM`; the sums out; the last block's leaves.
        "add r12, sp, #44",
        "ldm r12, {{r5-r7, lr}}",
        "stm r7!, {{r8-r11}}",
        "cmp r7, lr",
        "beq 3f",
        "ldm r6!, {{r8-r11}}",
        "strd r6, r7, [r12, #4]",
        // The next block: its row 0's end n·4 on from this one's (where r1 is), its row 0
        // `4·n - 4·groups` on, the input as far before.
        "add.w lr, r1, r2, lsl #2",
        "str.w lr, [sp, #4]",
        "add r1, r5",
        "sub.w r0, r0, r2, lsl #2",
        "b 2b",
        "3:",
        "add sp, #8",
        "pop {{r4-r11, pc}}",
        mask = const STEPS - 1,
        step = const STEP_BYTES,
    )
}

/// One pair of units of [`requantize_fours`]: the six loads in one run, the test of the two
/// shifts (`-2 - shift` at most 15 for both: their bitwise or is), the product's high word
/// (`SMMUL`), the shift, the rounding constant, `SSAT` of the halved value, two `STRB`s.
macro_rules! requantize_pair {
    () => {
        concat!(
            "ldr r4, [r2], #4\n",
            "ldr r5, [r2], #4\n",
            "ldr r6, [r0], #4\n",
            "ldr r7, [r0], #4\n",
            "ldr r8, [r1], #4\n",
            "ldr r9, [r1], #4\n",
            "sub r4, r11, r4\n",
            "sub r5, r11, r5\n",
            "orr r10, r4, r5\n",
            "cmp r10, #15\n",
            "bhi 9f\n",
            "smmul r6, r6, r8\n",
            "smmul r7, r7, r9\n",
            "asr r6, r6, r4\n",
            "asr r7, r7, r5\n",
            "add r6, lr\n",
            "add r7, lr\n",
            "ssat r6, #8, r6, asr #1\n",
            "ssat r7, #8, r7, asr #1\n",
            "strb r6, [r3], #1\n",
            "strb r7, [r3], #1\n",
        )
    };
}

/// [`Dot::requantize_prefix`] of `4·fours` units (`fours` ≥ 1), two pairs per pass of the loop:
/// for each unit, `out = SSAT8((((acc · multiplier) >> 32) >> (-2 - shift)) + round) >> 1)`.
/// Returns the number of units written: all of them, or those before the first pair with a
/// shift outside `[-17, -2]` (`-2 - shift` above 15; dendrite-core requantizes the rest).
///
/// Arguments (AAPCS): r0 `acc`, r1 `multiplier`, r2 `shift`, r3 `out`; on the stack `fours`
/// and `round`. Registers: r4-r5 the shifts, then `-2 - shift`; r6-r7 the sums, then the
/// outputs; r8-r9 the multipliers; r10 the test; r11 the constant -2; r12 the passes left; lr
/// `round`. `out`'s first address is saved with the registers for the count.
///
/// # Safety
/// `acc`, `multiplier` and `shift` must be valid for reading `4·fours` words each
/// (word-aligned), `out` for writing `4·fours` bytes.
#[unsafe(naked)]
unsafe extern "C" fn requantize_fours(
    acc: *const i32,
    multiplier: *const i32,
    shift: *const i32,
    out: *mut i8,
    fours: usize,
    round: i32,
) -> usize {
    naked_asm!(
        concat!(".cpu ", env!("DENDRITE_CPU")),
        // Ten registers (the stack stays 8-byte aligned): `out` at [sp], the arguments from
        // [sp, #40].
        "push {{r3-r11, lr}}",
        "ldr r12, [sp, #40]",
        "ldr lr, [sp, #44]",
        "mvn r11, #1",
        "1:",
        requantize_pair!(),
        requantize_pair!(),
        "subs r12, r12, #1",
        "bne 1b",
        "9:",
        "ldr r0, [sp]",
        "sub r0, r3, r0",
        "pop {{r3-r11, pc}}",
    )
}

/// [`Dot::requantize_prefix`]: the whole fours of units through [`requantize_fours`].
#[inline(always)]
pub(super) fn requantize_prefix(
    acc: &[i32],
    multiplier: &[i32],
    shift: &[i32],
    round: i32,
    out: &mut [i8],
) -> usize {
    let units = out
        .len()
        .min(acc.len())
        .min(multiplier.len())
        .min(shift.len());
    let fours = units / 4;
    if fours == 0 {
        return 0;
    }
    // SAFETY: `acc`, `multiplier` and `shift` hold at least `units` ≥ 4·fours words each (slices
    // of `i32`: word-aligned) and `out` at least that many bytes, exclusively borrowed;
    // `requantize_fours` reads and writes only the first 4·fours of each.
    let done = unsafe {
        requantize_fours(
            acc.as_ptr(),
            multiplier.as_ptr(),
            shift.as_ptr(),
            out.as_mut_ptr(),
            fours,
            round,
        )
    };
    done.min(units)
}

/// The inputs' last `n mod 4` values against a row's, added to `sum`.
#[inline(always)]
fn tail(sum: i32, w: &[i8], x: &[i8], offset: i32) -> i32 {
    w.iter().zip(x).fold(sum, |a, (&w, &xi)| {
        a.wrapping_add(i32::from(w).wrapping_mul(i32::from(xi) + offset))
    })
}

/// [`Dot::dot_chunk`]: the blocks of four rows through [`dot_blocks`] (one call for all of
/// them), the last rows (fewer than four) one at a time; any chunk whose lengths break the
/// contract, or an offset beyond 16 bits, through [`Scalar`] (which reads nothing out of bounds
/// either).
#[inline(always)]
pub(super) fn dot_chunk(x: &[i8], offset: i32, weights: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let rows = out.len();
    if n == 0
        || n.checked_mul(rows) != Some(weights.len())
        || bias.len() != rows
        || !(-32768..=32767).contains(&offset)
    {
        return Scalar::dot_chunk(x, offset, weights, bias, out);
    }
    // The offset in both halves.
    let offset2 = (offset as u32 & 0xFFFF) | ((offset as u32) << 16);
    let (x4, x_tail) = x.as_chunks::<4>();
    let whole = 4 * x4.len();
    let blocks = rows / 4;
    let (Some((out4, out_rest)), Some((bias4, bias_rest)), Some((weights4, weights_rest))) = (
        out.split_at_mut_checked(4 * blocks),
        bias.split_at_checked(4 * blocks),
        weights.split_at_checked(4 * blocks * n),
    ) else {
        return;
    };
    if blocks > 0 {
        if x4.is_empty() {
            out4.copy_from_slice(bias4);
        } else {
            // SAFETY: `weights4` holds exactly `4·blocks` rows of `n` values (checked above),
            // so `weights + r·n + k` is in bounds for r < 4·blocks and k < 4·groups ≤ n, and
            // so is `x + k`; `bias4` and `out4` hold `4·blocks` words each, `out4` exclusively
            // borrowed. `dot_blocks` reads only those and writes only `out4`.
            unsafe {
                dot_blocks(
                    x.as_ptr(),
                    weights4.as_ptr(),
                    n,
                    x4.len(),
                    offset2,
                    bias4.as_ptr(),
                    out4.as_mut_ptr(),
                    blocks,
                );
            }
        }
        if !x_tail.is_empty() {
            for (s, row) in out4.iter_mut().zip(weights4.chunks_exact(n)) {
                *s = tail(*s, row.get(whole..).unwrap_or(&[]), x_tail, offset);
            }
        }
    }
    let rest = out_rest.iter_mut().zip(bias_rest);
    for ((s, &b), r) in rest.zip(weights_rest.chunks_exact(n)) {
        let (w4, w_tail) = r.as_chunks::<4>();
        *s = tail(row(x4, w4, offset2).wrapping_add(b), w_tail, x_tail, offset);
    }
}

/// [`Dot::with_sums`]: a chunk of whole blocks of four rows over whole words of four inputs
/// (every chunk of a layer whose widths are multiples of 4) through [`dot_blocks`] straight
/// into an array it does not clear first; any other chunk through [`dot_chunk`] into a cleared
/// one.
#[inline(always)]
pub(super) fn with_sums<R>(
    x: &[i8],
    offset: i32,
    weights: &[i8],
    bias: &[i32],
    then: impl FnOnce(&[i32]) -> R,
) -> R {
    let n = x.len();
    let rows = bias.len();
    // The sums' array: the kernel writes it without its being cleared first.
    let mut sums = MaybeUninit::<[i32; DOT_CHUNK]>::uninit();
    // One call of `then` whichever way the sums come (inlined, each call would be a copy).
    let sums: &[i32] = if n != 0
        && n.is_multiple_of(4)
        && rows != 0
        && rows <= DOT_CHUNK
        && rows.is_multiple_of(4)
        && n.checked_mul(rows) == Some(weights.len())
        && (-32768..=32767).contains(&offset)
    {
        let offset2 = (offset as u32 & 0xFFFF) | ((offset as u32) << 16);
        let sums = sums.as_mut_ptr().cast::<i32>();
        // SAFETY: `weights` holds exactly `rows` rows of `n` values, `rows` a multiple of 4 and
        // `n` of 4 (checked above), so `weights + r·n + k` is in bounds for r < rows and k <
        // n, and so is `x + k`; `bias` holds `rows` words and `sums` `DOT_CHUNK` ≥ `rows`
        // (word-aligned, exclusively ours). `dot_blocks` reads only those and writes the first
        // `rows` words of `sums`: all of them are initialized when the slice is made.
        unsafe {
            dot_blocks(
                x.as_ptr(),
                weights.as_ptr(),
                n,
                n / 4,
                offset2,
                bias.as_ptr(),
                sums,
                rows / 4,
            );
            core::slice::from_raw_parts(sums, rows)
        }
    } else {
        // The same array, cleared.
        let sums = sums.write([0; DOT_CHUNK]);
        let rows = rows.min(DOT_CHUNK);
        let (sums, _) = sums.split_at_mut(rows);
        let (bias, _) = bias.split_at(rows);
        dot_chunk(
            x,
            offset,
            weights.get(..rows * n).unwrap_or(weights),
            bias,
            sums,
        );
        sums
    };
    then(sums)
}

/// [`Dot::dot_rows`]: [`dot_chunk`] from biases of 0.
#[inline(always)]
pub(super) fn dot_rows(x: &[i8], offset: i32, weights: &[i8], out: &mut [i32]) {
    const ZEROS: [i32; DOT_BLOCK] = [0; DOT_BLOCK];
    match ZEROS.get(..out.len()) {
        Some(zeros) => dot_chunk(x, offset, weights, zeros, out),
        None => Scalar::dot_rows(x, offset, weights, out),
    }
}
