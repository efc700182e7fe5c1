@ Single-precision addition, subtraction and multiplication for ARMv6-M (Cortex-M0/M0+): the
@ fast paths of src/lib.rs (`add`, `mul`) in Thumb-1, which has no Thumb-2 (no bit-field
@ extract, no wide immediates, no conditional execution), no 32x32->64-bit multiply and no
@ CLZ, and whose data-processing instructions reach only r0-r7.
@
@ Normal operands with a normal result, and zeros, are done here; anything else (subnormal
@ operands or results, infinities, NaNs, overflow of the multiplication) goes on to
@ compiler-builtins' __addsf3 / __mulsf3 with the operands as they came (same order, same
@ registers), so those cases, NaN payloads included, are compiler-builtins' own bits. Results
@ are IEEE 754's, rounded to nearest, ties to even: the host's FPU bits whenever the result is
@ not a NaN. Checked against compiler-builtins on the core by examples/selftest.rs
@ under QEMU's microbit, and the algorithm (in Rust) against the host's FPU by the unit tests.
@
@ Significands are held with the leading one at bit 31 and eight rounding bits below the 24
@ bits of the result (the lowest of them sticky), as in lib.rs; "top" is the result's sign and
@ biased exponent less one, shifted to bit 23, to which the significand (leading one included)
@ is added.

    .syntax unified
    .cpu cortex-m0
    .thumb

@ ---------------------------------------------------------------------------------------------
@ Addition. The body is written once for each order of the operands (the macro's ra holds the
@ one of larger magnitude), so nothing is swapped and r0, r1 stay as they came for the general
@ routine. On entry rea = |ra| << 1 and rd = |rb| << 1 (r2 and r3, in either order); then rea
@ holds a's biased exponent and rd the difference of the exponents.

    .macro FADD_BODY ra, rb, rea, rd, tag
    lsrs    \rea, \rea, #24         @ ea
    lsrs    \rd, \rd, #24           @ eb <= ea
    beq     .Lfadd_b_small_\tag     @ b is a zero or subnormal
    cmp     \rea, #255
    beq     .Lfadd_slow_\tag        @ a is an infinity or a NaN
    subs    \rd, \rea, \rd          @ d = ea - eb
    cmp     \rd, #25
    bhi     .Lfadd_a_\tag           @ |b| < ulp(a) / 4: a + b rounds to a
    push    {r4-r7, lr}
    movs    r7, \ra
    eors    r7, \rb                 @ bit 31: the signs differ
    ldr     r4, .Lfadd_one
    lsls    r5, \rb, #8
    orrs    r5, r4                  @ mb
    lsls    r6, \ra, #8
    orrs    r6, r4                  @ ma
    cmp     \rd, #8
    bhi     .Lfadd_far_\tag
    lsrs    r5, r5, \rd             @ b aligned to a: nothing falls off below bit 0
.Lfadd_aligned_\tag:
    cmp     r7, #0
    blt     .Lfadd_sub_\tag
    adds    r6, r6, r5
    bcs     .Lfadd_carry_\tag
.Lfadd_normal_\tag:
    @ The leading one at bit 31: a's exponent.
    lsrs    r4, \ra, #23
    subs    r4, #1
    lsls    r4, r4, #23             @ top
    lsrs    r0, r6, #8
    adds    r0, r0, r4
    lsls    r6, r6, #25             @ C: the round bit; Z: nothing below it
.Lfadd_round_\tag:
    bcc     .Lfadd_done_\tag
    bne     .Lfadd_up_\tag
    lsls    r6, r0, #31             @ a tie: up from odd only
    beq     .Lfadd_done_\tag
.Lfadd_up_\tag:
    adds    r0, #1                  @ a carry out of the fraction steps the exponent, as it should
.Lfadd_done_\tag:
    pop     {r4-r7, pc}
.Lfadd_carry_\tag:
    @ 33 bits: one exponent step up, rounded on bit 8 and what is below it.
    cmp     \rea, #254
    beq     .Lfadd_inf_\tag         @ a's exponent was the largest: the sum overflows
    lsrs    r4, \ra, #23
    adds    r4, #1
    lsls    r4, r4, #23             @ top
    lsrs    r0, r6, #9
    adds    r0, r0, r4
    lsls    r6, r6, #24             @ C: bit 8; Z: nothing below it
    b       .Lfadd_round_\tag
.Lfadd_sub_\tag:
    subs    r6, r6, r5
    beq     .Lfadd_zero_\tag        @ x - x is +0
    bmi     .Lfadd_normal_\tag
    lsls    r6, r6, #1              @ leading one at bit 30: one step down
    bpl     .Lfadd_cancel_\tag      @ more: only when d <= 1, so the difference is exact
    cmp     \rea, #1
    beq     .Lfadd_sub_slow_\tag    @ a subnormal result
    lsrs    r4, \ra, #23
    subs    r4, #2
    lsls    r4, r4, #23             @ top
    lsrs    r0, r6, #8
    adds    r0, r0, r4
    lsls    r6, r6, #25
    b       .Lfadd_round_\tag
.Lfadd_cancel_\tag:
    @ The leading one is at bit 29 or below (one step taken): find it 16, 8 and 4 bits at a
    @ time, then bit by bit; r5 counts the steps.
    movs    r5, #1
    lsrs    r4, r6, #16
    bne     2f
    lsls    r6, r6, #16
    adds    r5, #16
2:  lsrs    r4, r6, #24
    bne     3f
    lsls    r6, r6, #8
    adds    r5, #8
3:  lsrs    r4, r6, #28
    bne     4f
    lsls    r6, r6, #4
    adds    r5, #4
4:  cmp     r6, #0
    blt     6f
5:  adds    r5, #1
    lsls    r6, r6, #1
    bpl     5b
6:
    cmp     \rea, r5
    bls     .Lfadd_sub_slow_\tag    @ a subnormal result
    lsrs    r4, \ra, #23
    subs    r4, r4, r5
    subs    r4, #1
    lsls    r4, r4, #23
    lsrs    r0, r6, #8              @ the low 8 bits are zero: exact
    adds    r0, r0, r4
    pop     {r4-r7, pc}
.Lfadd_far_\tag:
    @ d > 8: b's lowest d - 8 bits fall off; they survive as a sticky bit 0. (No slow path
    @ from here on, since ea > 9: rb may be overwritten.)
    lsrs    r5, r5, \rd
    movs    r4, #40
    subs    r4, r4, \rd
    lsls    \rb, \rb, r4            @ the bits that fell off (a shift of 32 or more is 0)
    beq     .Lfadd_aligned_\tag
    movs    r4, #1
    orrs    r5, r4
    b       .Lfadd_aligned_\tag
.Lfadd_zero_\tag:
    movs    r0, #0
    pop     {r4-r7, pc}
.Lfadd_inf_\tag:
    lsrs    r0, \ra, #31
    lsls    r0, r0, #8
    adds    r0, #255
    lsls    r0, r0, #23             @ an infinity with a's sign
    pop     {r4-r7, pc}
.Lfadd_sub_slow_\tag:
    bl      __addsf3
    pop     {r4-r7, pc}
.Lfadd_b_small_\tag:
    lsls    \rd, \rb, #1
    bne     .Lfadd_slow_\tag        @ b is subnormal
    cmp     \rea, #255
    beq     .Lfadd_slow_\tag        @ a is an infinity or a NaN
    lsls    \rd, \ra, #1
    bne     .Lfadd_a_\tag           @ a + 0 = a, exactly (a subnormal too)
    ands    r0, r1                  @ two zeros: -0 only when both are -0
    bx      lr
.Lfadd_a_\tag:
    .ifnc \ra, r0
    movs    r0, \ra
    .endif
    bx      lr
.Lfadd_slow_\tag:
    ldr     r2, .Lfadd_general
    bx      r2
    .endm

    .section .text.dendrite_softfloat_fadd,"ax",%progbits
    .p2align 2
.Lfsub_nan:
    ldr     r2, .Lfsub_general
    bx      r2
    .global __aeabi_fsub
    .type __aeabi_fsub,%function
    .thumb_func
__aeabi_fsub:
    @ a - b = a + (-b), except for a NaN b: compiler-builtins' subtraction returns b's NaN with
    @ b's sign (as the host's FPU does), not the negated one, so that case is its own.
    movs    r2, #255
    lsls    r2, r2, #24             @ |b| << 1 above this: b is a NaN
    lsls    r3, r1, #1
    cmp     r3, r2
    bhi     .Lfsub_nan
    movs    r2, #1
    lsls    r2, r2, #31
    eors    r1, r2                  @ falls through
    .global __aeabi_fadd
    .type __aeabi_fadd,%function
    .thumb_func
__aeabi_fadd:
    lsls    r2, r0, #1
    lsls    r3, r1, #1
    cmp     r2, r3
    blo     .Lfadd_ba
    FADD_BODY r0, r1, r2, r3, ab
.Lfadd_ba:
    FADD_BODY r1, r0, r3, r2, ba
    .p2align 2
.Lfadd_one:
    .word   0x80000000
.Lfadd_general:
    .word   __addsf3
.Lfsub_general:
    .word   __subsf3
    .size __aeabi_fadd, . - __aeabi_fadd
    .size __aeabi_fsub, . - __aeabi_fsub

@ ---------------------------------------------------------------------------------------------
@ Multiplication. The 48-bit product of the 24-bit significands x and y comes from three
@ 32-bit MULS: with y = yh 2^8 + yl and x = xh 2^8 + xl (yh, xh 16 bits; yl, xl 8 bits),
@ x y = xh yh 2^16 + xl yh 2^8 + x yl, each term below 2^32. Only its top 32 bits are formed
@ in the common case; the low 16 bits are looked at only when the top ones end exactly half
@ way, where they decide between a tie and a round up.

    .section .text.dendrite_softfloat_fmul,"ax",%progbits
    .p2align 2
    .global __aeabi_fmul
    .type __aeabi_fmul,%function
    .thumb_func
__aeabi_fmul:
    lsls    r2, r0, #1
    lsrs    r2, r2, #24             @ ea
    beq     .Lfmul_a_small
    lsls    r3, r1, #1
    lsrs    r3, r3, #24             @ eb
    beq     .Lfmul_b_small
    cmp     r2, #255
    beq     .Lfmul_slow
    cmp     r3, #255
    beq     .Lfmul_slow
    adds    r2, r2, r3
    subs    r2, #128                @ the exponent less one of a product below 2^47
    cmp     r2, #252
    bhi     .Lfmul_slow             @ the result may be subnormal or infinite
    push    {r4-r7, lr}
    ldr     r3, .Lfmul_one
    lsls    r4, r0, #8
    orrs    r4, r3                  @ a's significand at bit 31
    lsrs    r5, r4, #16             @ xh
    lsrs    r4, r4, #8              @ x
    uxtb    r6, r0                  @ xl
    lsls    r7, r1, #8
    orrs    r7, r3
    lsrs    r7, r7, #16             @ yh
    eors    r0, r1
    ands    r0, r3                  @ the product's sign
    uxtb    r1, r1                  @ yl
    muls    r4, r1                  @ x yl
    muls    r6, r7                  @ xl yh
    muls    r5, r7                  @ xh yh
    lsrs    r3, r4, #8
    adds    r6, r6, r3              @ s = xl yh + (x yl >> 8)
    lsrs    r3, r6, #8
    adds    r5, r5, r3              @ the product >> 16, in [2^30, 2^32)
    bpl     .Lfmul_shift
    adds    r2, #1                  @ a product of 2^47 or more: one step up
.Lfmul_pack:
    lsls    r2, r2, #23
    adds    r0, r0, r2              @ top
    lsrs    r3, r5, #8
    adds    r0, r0, r3
    lsls    r5, r5, #25             @ C: the round bit; Z: nothing below it in this word
    bcc     .Lfmul_done
    bne     .Lfmul_up
    @ Half way as far as the top word goes: the product's low 16 bits (s's low byte, x yl's
    @ low byte) make it more than half, else it is a tie, up from odd only.
    lsls    r6, r6, #24
    lsls    r4, r4, #24
    orrs    r6, r4
    bne     .Lfmul_up
    lsls    r3, r0, #31
    beq     .Lfmul_done
.Lfmul_up:
    adds    r0, #1                  @ a carry out of the fraction steps the exponent
.Lfmul_done:
    pop     {r4-r7, pc}
.Lfmul_shift:
    lsls    r5, r5, #1              @ leading one at bit 30: up to bit 31
    b       .Lfmul_pack
.Lfmul_a_small:
    lsls    r2, r0, #1
    bne     .Lfmul_slow             @ a is subnormal
    lsls    r3, r1, #1
    lsrs    r3, r3, #24
    cmp     r3, #255
    beq     .Lfmul_slow             @ zero times an infinity or a NaN
.Lfmul_zero:
    eors    r0, r1
    lsrs    r0, r0, #31
    lsls    r0, r0, #31             @ a zero with the product's sign
    bx      lr
.Lfmul_b_small:
    lsls    r3, r1, #1
    bne     .Lfmul_slow             @ b is subnormal
    cmp     r2, #255
    bne     .Lfmul_zero             @ a normal number times zero
.Lfmul_slow:
    ldr     r2, .Lfmul_general
    bx      r2
    .p2align 2
.Lfmul_one:
    .word   0x80000000
.Lfmul_general:
    .word   __mulsf3
    .size __aeabi_fmul, . - __aeabi_fmul
