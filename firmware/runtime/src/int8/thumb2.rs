//! ARMv7-M without the DSP extension (Cortex-M3): four rows' sums in one loop of `LDRSB` and
//! `MLA`, in assembly (it needs every register).
//!
//! Per input: `LDRSB` with post-increment reads the input and each row's weight (no separate
//! pointer arithmetic), one `ADD` applies the offset once for the four rows, four `MLA`s: 10
//! instructions for 4 multiply-adds, where the portable loop takes 16 (`LDRSB`, `LDRSB`, `ADD`,
//! `MLA` per multiply-add). Byte loads need no word alignment and leave no tail. The weight
//! loads come in pairs, since a load right after another pipelines (one cycle instead of two on
//! the Cortex-M3). Loading four weights as one word and extracting them (`SXTB` with rotation,
//! `ASR`) takes as many instructions for the weights plus the word loads, and more for the input.

use super::{Dot, Scalar};
use core::arch::naked_asm;

/// One input of [`dot4`]'s loop: its four multiply-adds. Every instruction is 32-bit (`.w`), so
/// a column is [`COLUMN_BYTES`] long, and the loop can be entered at any column.
macro_rules! column {
    () => {
        concat!(
            "ldrsb.w r12, [r0], #1\n",
            "ldrsb.w r2, [r1], #1\n",
            "ldrsb.w lr, [r5], #1\n",
            "add.w r12, r12, r4\n",
            "mla r8, r2, r12, r8\n",
            "mla r9, lr, r12, r9\n",
            "ldrsb.w r2, [r6], #1\n",
            "ldrsb.w lr, [r7], #1\n",
            "mla r10, r2, r12, r10\n",
            "mla r11, lr, r12, r11\n",
        )
    };
}

/// Inputs in [`dot4`]'s loop body (a power of two).
const COLUMNS: usize = 8;
/// Bytes of one [`column`]: 10 instructions of 4 bytes.
const COLUMN_BYTES: usize = 40;

/// Four rows' sums over the `len` inputs (`len` ≥ 1), written to `out`.
///
/// Arguments (AAPCS): r0 `x`, r1 the first row, r2 `n` (the distance between rows), r3 `len`;
/// on the stack the input offset, then `out`. Registers in the loop: r0 the input, r1 and
/// r5-r7 the four rows, r3 the input's end, r4 the offset, r12 the input plus the offset, r2
/// and lr the weights, r8-r11 the four sums.
///
/// The body holds [`COLUMNS`] inputs; a length that is not a multiple enters the body at column
/// `COLUMNS - len mod COLUMNS` (an `ADD PC` into the fixed-size columns), so each pass but the
/// first is whole and the end test runs once per [`COLUMNS`] inputs.
///
/// # Safety
/// For k < `len`, `x + k` and `rows + r·n + k` (r < 4) must be readable; `out` must be valid
/// for writing four words, word-aligned.
#[unsafe(naked)]
unsafe extern "C" fn dot4(
    x: *const i8,
    rows: *const i8,
    n: usize,
    len: usize,
    offset: i32,
    out: *mut [i32; 4],
) {
    naked_asm!(
        concat!(".cpu ", env!("DENDRITE_CPU")),
        "push {{r4-r11, lr}}",
        "ldr r4, [sp, #36]",
        // The columns to skip, (-len) mod COLUMNS, as a byte offset into the body.
        "rsb.w lr, r3, #0",
        "and lr, lr, #{mask}",
        "mov.w r12, #{column}",
        "mul lr, lr, r12",
        "add r3, r0",
        "add.w r5, r1, r2",
        "add.w r6, r5, r2",
        "add.w r7, r6, r2",
        "mov.w r8, #0",
        "mov.w r9, #0",
        "mov.w r10, #0",
        "mov.w r11, #0",
        // PC reads as this instruction's address + 4: the body starts after the 2-byte NOP.
        "add pc, lr",
        "nop.n",
        "1:",
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        "cmp r0, r3",
        "bne 1b",
        "ldr r12, [sp, #40]",
        "stm r12, {{r8-r11}}",
        "pop {{r4-r11, pc}}",
        mask = const COLUMNS - 1,
        column = const COLUMN_BYTES,
    )
}

/// [`Dot::dot_rows`]: a block of four rows through [`dot4`], other blocks (and any whose
/// lengths break the contract) through [`Scalar`].
#[inline(always)]
pub(super) fn dot_rows(x: &[i8], offset: i32, weights: &[i8], out: &mut [i32]) {
    let n = x.len();
    match <&mut [i32; 4]>::try_from(&mut *out) {
        Ok(out4) if n != 0 && n.checked_mul(4) == Some(weights.len()) => {
            // SAFETY: `weights` holds exactly 4 rows of `n` values (checked above), so
            // `weights + r·n + k` is in bounds for r < 4 and k < n, and so is `x + k`; `out4`
            // is an exclusive reference to four aligned words. `dot4` reads only those and
            // writes only `out4`.
            unsafe { dot4(x.as_ptr(), weights.as_ptr(), n, n, offset, out4) }
        }
        _ => Scalar::dot_rows(x, offset, weights, out),
    }
}
