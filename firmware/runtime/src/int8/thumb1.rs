//! ARMv6-M (Cortex-M0, M0+): four rows' sums in one loop of `LDRSB`, `MULS` and `ADD`, in
//! assembly (Thumb-1 has eight low registers for addresses and products; the four sums, the
//! offset and the length live in the high ones, which `ADD` and `CMP` reach).
//!
//! Per input: one index register addresses the input and the four rows (`LDRSB` takes a base
//! and an index, no immediate), one `ADD` applies the offset once for the four rows, then per
//! row `LDRSB`, `MULS`, `ADD`: 15 instructions for 4 multiply-adds, where the portable loop
//! takes about 7 per multiply-add.

use core::arch::naked_asm;

/// One input of [`dot_blocks`]'s loop: its four multiply-adds. Every instruction is 16-bit, so a
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

/// Inputs in [`dot_blocks`]'s loop body (a power of two; the body must stay within the 256
/// bytes a Thumb-1 conditional branch reaches back).
const COLUMNS: usize = 8;
/// Bytes of one [`column`]: 15 instructions of 2 bytes.
const COLUMN_BYTES: usize = 30;

/// The sums of `blocks` blocks of four rows (`blocks` ≥ 1) over the `n` inputs (`n` ≥ 1), each
/// row's sum started from its bias, written to `out`: a [`Blocks`](super::Blocks) kernel.
///
/// Arguments (AAPCS): r0 `x`, r1 the first row, r2 `n` (the distance between rows), r3
/// `blocks`; on the stack the input offset, `bias` and `out`. Registers in the inner loop: r0
/// the input, r1-r4 the four rows, r5 the index, r6 the input plus the offset, r7 a weight and
/// its product, r8-r11 the four sums, r12 the offset, lr `n`. The frame holds the entry offset
/// into the body and the blocks left; `bias` and `out` advance in their argument slots (the
/// callee owns its stack arguments). Between blocks, two `LDM`s read the next four biases into
/// the sums (through r5 and r6) and two `STM`s write the four sums; row 3 plus `n` is the next
/// block's row 0.
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
        // Thumb-1 pushes only low registers: r8-r11 go through r4-r7.
        "push {{r4-r7, lr}}",
        "mov r4, r8",
        "mov r5, r9",
        "mov r6, r10",
        "mov r7, r11",
        "push {{r4-r7}}",
        // The frame: [sp] the entry offset, [sp, #4] the blocks left; the arguments from
        // [sp, #44]: offset, bias, out.
        "sub sp, #8",
        "ldr r5, [sp, #44]",
        "mov r12, r5",
        "mov lr, r2",
        "str r3, [sp, #4]",
        // The columns to skip, (-n) mod COLUMNS, as a byte offset into the body.
        "rsbs r6, r2, #0",
        "movs r7, #{mask}",
        "ands r6, r7",
        "movs r7, #{column}",
        "muls r6, r7, r6",
        "str r6, [sp]",
        "2:",
        "mov r5, lr",
        "adds r2, r1, r5",
        "adds r3, r2, r5",
        "adds r4, r3, r5",
        "ldr r7, [sp, #48]",
        "ldm r7!, {{r5, r6}}",
        "mov r8, r5",
        "mov r9, r6",
        "ldm r7!, {{r5, r6}}",
        "mov r10, r5",
        "mov r11, r6",
        "str r7, [sp, #48]",
        "movs r5, #0",
        "ldr r6, [sp]",
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
        "ldr r7, [sp, #52]",
        "mov r5, r8",
        "mov r6, r9",
        "stm r7!, {{r5, r6}}",
        "mov r5, r10",
        "mov r6, r11",
        "stm r7!, {{r5, r6}}",
        "str r7, [sp, #52]",
        // The next block: row 3 plus n is its row 0.
        "mov r5, lr",
        "adds r1, r4, r5",
        "ldr r7, [sp, #4]",
        "subs r7, #1",
        "str r7, [sp, #4]",
        // Beyond a conditional branch's reach back: over an unconditional one.
        "beq 3f",
        "b 2b",
        "3:",
        "add sp, #8",
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
