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

use core::arch::naked_asm;

/// One input of [`dot_blocks`]'s loop: its four multiply-adds. Every instruction is 32-bit (`.w`), so
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

/// Inputs in [`dot_blocks`]'s loop body (a power of two).
const COLUMNS: usize = 8;
/// Bytes of one [`column`]: 10 instructions of 4 bytes.
const COLUMN_BYTES: usize = 40;

/// The sums of `blocks` blocks of four rows (`blocks` ≥ 1) over the `n` inputs (`n` ≥ 1), each
/// row's sum started from its bias, written to `out`: a [`Blocks`](super::Blocks) kernel.
///
/// Arguments (AAPCS): r0 `x`, r1 the first row, r2 `n` (the distance between rows), r3
/// `blocks`; on the stack the input offset, `bias` and `out`. Registers in the inner loop: r0
/// the input, r1 and r5-r7 the four rows, r3 the input's end, r4 the offset, r12 the input
/// plus the offset, r2 and lr the weights, r8-r11 the four sums. The frame holds the entry
/// offset into the body, `n` and the blocks left; `bias` and `out` advance in their argument
/// slots (the callee owns its stack arguments). After a block the rows' pointers have moved
/// `n` on: row 3's is the next block's row 0. Between blocks, `LDM` reads the next four biases
/// into the sums and `STM` writes the four sums.
///
/// The body holds [`COLUMNS`] inputs; a length that is not a multiple enters the body at column
/// `COLUMNS - n mod COLUMNS` (an `ADD PC` into the fixed-size columns), so each pass but the
/// first is whole and the end test runs once per [`COLUMNS`] inputs.
///
/// # Safety
/// For k < `n` and r < 4·`blocks`, `x + k` and `rows + r·n + k` must be readable; `bias` must
/// be valid for reading and `out` for writing `4·blocks` words, both word-aligned.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn dot_blocks(
    x: *const i8,
    rows: *const i8,
    n: usize,
    blocks: usize,
    offset: i32,
    bias: *const i32,
    out: *mut i32,
) {
    naked_asm!(
        concat!(".cpu ", env!("DENDRITE_CPU")),
        "push {{r4-r11, lr}}",
        // The frame: [sp] the entry offset, [sp, #4] n, [sp, #8] the blocks left; the
        // arguments from [sp, #48]: offset, bias, out.
        "sub sp, #12",
        "ldr r4, [sp, #48]",
        "str r2, [sp, #4]",
        "str r3, [sp, #8]",
        // The columns to skip, (-n) mod COLUMNS, as a byte offset into the body.
        "rsb.w lr, r2, #0",
        "and lr, lr, #{mask}",
        "mov.w r12, #{column}",
        "mul lr, lr, r12",
        "str.w lr, [sp]",
        "add.w r3, r0, r2",
        "2:",
        "ldr.w r12, [sp, #52]",
        "ldm r12!, {{r8-r11}}",
        "str.w r12, [sp, #52]",
        "add.w r5, r1, r2",
        "add.w r6, r5, r2",
        "add.w r7, r6, r2",
        "ldr.w lr, [sp]",
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
        "ldr.w r12, [sp, #56]",
        "stm r12!, {{r8-r11}}",
        "str.w r12, [sp, #56]",
        // The next block: row 3's end is its row 0; the input from its start again.
        "mov r1, r7",
        "ldr r2, [sp, #4]",
        "sub.w r0, r0, r2",
        "ldr.w r12, [sp, #8]",
        "subs.w r12, r12, #1",
        "str.w r12, [sp, #8]",
        "bne 2b",
        "add sp, #12",
        "pop {{r4-r11, pc}}",
        mask = const COLUMNS - 1,
        column = const COLUMN_BYTES,
    )
}
