//! ARMv6-M (Cortex-M0, M0+): four rows' sums in one loop of `LDRSB`, `MULS` and `ADD`, in
//! assembly (Thumb-1 has eight low registers for addresses and products; the four sums, the
//! offset and the length live in the high ones, which `ADD` and `CMP` reach).
//!
//! Per input: one index register addresses the input and the four rows (`LDRSB` takes a base
//! and an index, no immediate), one `ADD` applies the offset once for the four rows, then per
//! row `LDRSB`, `MULS`, `ADD`: 15 instructions for 4 multiply-adds, where the portable loop
//! takes about 7 per multiply-add.

use super::{Dot, Scalar};
use core::arch::naked_asm;

/// One input of [`dot4`]'s loop: its four multiply-adds. Every instruction is 16-bit, so a
/// column is [`COLUMN_BYTES`] long, and the loop can be entered at any column.
macro_rules! column {
    () => {
        concat!(
            "ldrsb r6, [r0, r5]\n",
            "add r6, r12\n",
            "ldrsb r7, [r1, r5]\n",
            "muls r7, r6, r7\n",
            "add r8, r7\n",
            "ldrsb r7, [r2, r5]\n",
            "muls r7, r6, r7\n",
            "add r9, r7\n",
            "ldrsb r7, [r3, r5]\n",
            "muls r7, r6, r7\n",
            "add r10, r7\n",
            "ldrsb r7, [r4, r5]\n",
            "muls r7, r6, r7\n",
            "add r11, r7\n",
            "adds r5, #1\n",
        )
    };
}

/// Inputs in [`dot4`]'s loop body (a power of two; the body must stay within the 256 bytes a
/// Thumb-1 conditional branch reaches back).
const COLUMNS: usize = 8;
/// Bytes of one [`column`]: 15 instructions of 2 bytes.
const COLUMN_BYTES: usize = 30;

/// Four rows' sums over the `len` inputs (`len` ≥ 1), written to `out`.
///
/// Arguments (AAPCS): r0 `x`, r1 the first row, r2 `n` (the distance between rows), r3 `len`;
/// on the stack the input offset, then `out`. Registers in the loop: r0 the input, r1-r4 the
/// four rows, r5 the index, r6 the input plus the offset, r7 a weight and its product, r8-r11
/// the four sums, r12 the offset, lr `len`.
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
        // Thumb-1 pushes only low registers: r8-r11 go through r4-r7.
        "push {{r4-r7, lr}}",
        "mov r4, r8",
        "mov r5, r9",
        "mov r6, r10",
        "mov r7, r11",
        "push {{r4-r7}}",
        "ldr r5, [sp, #36]",
        "mov r12, r5",
        "mov lr, r3",
        "mov r4, r2",
        "adds r2, r1, r4",
        "adds r3, r2, r4",
        "adds r4, r3, r4",
        "movs r5, #0",
        "movs r6, #0",
        "mov r8, r6",
        "mov r9, r6",
        "mov r10, r6",
        "mov r11, r6",
        // The columns to skip, (-len) mod COLUMNS, as a byte offset into the body.
        "mov r6, lr",
        "rsbs r6, r6, #0",
        "movs r7, #{mask}",
        "ands r6, r7",
        "movs r7, #{column}",
        "muls r6, r7, r6",
        // PC reads as this instruction's address + 4: the body starts after the 2-byte NOP.
        "add pc, r6",
        "nop",
        "1:",
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        column!(),
        "cmp r5, lr",
        "bne 1b",
        "ldr r0, [sp, #40]",
        "mov r1, r8",
        "mov r2, r9",
        "mov r3, r10",
        "mov r4, r11",
        "stm r0!, {{r1-r4}}",
        "pop {{r4-r7}}",
        "mov r8, r4",
        "mov r9, r5",
        "mov r10, r6",
        "mov r11, r7",
        "pop {{r4-r7, pc}}",
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
