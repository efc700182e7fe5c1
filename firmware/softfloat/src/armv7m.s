@ Single-precision addition, subtraction and multiplication for ARMv7-M without an FPU: the
@ fast paths of src/lib.rs (`add`, `mul`), instruction for instruction where it matters, in
@ Thumb-2. Normal operands with a normal result, and zeros, are done here; anything else
@ (subnormals, infinities, NaNs, overflow, underflow) goes on to compiler-builtins' __addsf3 /
@ __mulsf3 with the operands untouched (for the addition, possibly swapped: it commutes).
@ Only r0-r3 and r12 are used, so nothing is saved. Results are IEEE 754's, rounded to
@ nearest, ties to even: the host's FPU bits. Checked against compiler-builtins on the core by
@ examples/selftest.rs (under QEMU), and the Rust model against the host's FPU by the unit tests.

    .syntax unified
    .thumb

    .section .text.dendrite_softfloat_fadd,"ax",%progbits
    .p2align 2
    .global __aeabi_fsub
    .type __aeabi_fsub,%function
    .thumb_func
__aeabi_fsub:
    eor     r1, r1, #0x80000000     @ a - b = a + (-b); falls through
    .global __aeabi_fadd
    .type __aeabi_fadd,%function
    .thumb_func
__aeabi_fadd:
    @ r0 = the operand of larger magnitude, r1 = the other.
    lsls    r2, r0, #1
    cmp.w   r2, r1, lsl #1
    bhs     1f
    mov     r2, r0
    mov     r0, r1
    mov     r1, r2
1:  ubfx    r2, r0, #23, #8         @ ea
    ubfx    r3, r1, #23, #8         @ eb <= ea
    cmp     r2, #255
    beq     .Lfadd_slow             @ a is an infinity or a NaN
    cmp     r3, #0
    beq     .Lfadd_b_small          @ b is a zero or subnormal
    subs    r3, r2, r3              @ d = ea - eb
    cmp     r3, #25
    bhi     .Lfadd_return           @ |b| < ulp(a) / 4: a + b rounds to a
    @ Significands with the leading one at bit 31; b aligned, what falls out kept as a sticky
    @ bit 0 (a register shift by 32, at d = 0, gives 0).
    lsl     r12, r1, #8
    orr     r12, r12, #0x80000000   @ mb
    rsb     r2, r3, #32
    lsl     r2, r12, r2             @ the bits shifted out
    lsr     r12, r12, r3
    cmp     r2, #0
    it      ne
    orrne   r12, r12, #1
    lsl     r2, r0, #8
    orr     r2, r2, #0x80000000     @ ma
    lsr     r3, r0, #23
    lsl     r3, r3, #23
    sub     r3, r3, #0x00800000     @ top: a's sign and exponent less one step
    teq     r0, r1
    bmi     .Lfadd_sub
    adds    r2, r2, r12
    bcs     .Lfadd_carry
.Lfadd_round:
    @ r0 = top + significand; then round to nearest on the 8 low bits, ties to even.
    add     r0, r3, r2, lsr #8
    lsl     r2, r2, #24
    cmp     r2, #0x80000000
    adc     r0, r0, #0
    it      eq
    biceq   r0, r0, #1
.Lfadd_return:
    bx      lr
.Lfadd_carry:
    @ 33 bits: shift the carry in, the bit shifted out joins the sticky bit; one step up.
    rrxs    r2, r2
    it      cs
    orrcs   r2, r2, #1
    add     r3, r3, #0x00800000
    lsl     r12, r3, #1
    cmp     r12, #0xFE000000
    bne     .Lfadd_round
    b       .Lfadd_slow             @ ea was 254: overflow
.Lfadd_sub:
    subs    r2, r2, r12
    beq     .Lfadd_zero             @ x - x is +0
    clz     r12, r2                 @ more than 1 only when d <= 1: exact
    lsl     r2, r2, r12
    sub     r3, r3, r12, lsl #23
    teq     r3, r0
    bmi     .Lfadd_slow             @ the exponent went below 1: a subnormal result
    b       .Lfadd_round
.Lfadd_zero:
    movs    r0, #0
    bx      lr
.Lfadd_b_small:
    lsls    r3, r1, #1
    bne     .Lfadd_slow             @ b is subnormal
    lsls    r3, r0, #1
    beq     .Lfadd_zeros
    cmp     r2, #0
    beq     .Lfadd_slow             @ a is subnormal
    bx      lr                      @ a + 0 = a
.Lfadd_zeros:
    ands    r0, r0, r1              @ -0 only when both are -0
    bx      lr
.Lfadd_slow:
    b.w     __addsf3
    .size __aeabi_fadd, . - __aeabi_fadd
    .size __aeabi_fsub, . - __aeabi_fsub

    .section .text.dendrite_softfloat_fmul,"ax",%progbits
    .p2align 2
    .global __aeabi_fmul
    .type __aeabi_fmul,%function
    .thumb_func
__aeabi_fmul:
    ubfx    r2, r0, #23, #8         @ ea
    ubfx    r3, r1, #23, #8         @ eb
    sub     r12, r2, #1
    cmp     r12, #253
    bhi     .Lfmul_special
    sub     r12, r3, #1
    cmp     r12, #253
    bhi     .Lfmul_special
    add     r2, r2, r3
    @ Significands with the leading one at bit 31: the product is in [2^62, 2^64).
    lsl     r3, r0, #8
    orr     r3, r3, #0x80000000
    lsl     r12, r1, #8
    orr     r12, r12, #0x80000000
    umull   r3, r12, r3, r12        @ r12:r3
    cmp     r12, #0
    bmi     1f
    adds    r3, r3, r3              @ leading one at bit 62: move it up, one step less
    adc     r12, r12, r12
    sub     r2, r2, #1
1:  sub     r2, r2, #127            @ the biased exponent less one
    cmp     r2, #253
    bhi     .Lfmul_slow             @ underflow or overflow
    cmp     r3, #0
    it      ne
    orrne   r12, r12, #1            @ the low word as sticky
    eor     r3, r0, r1
    and     r3, r3, #0x80000000
    add     r3, r3, r2, lsl #23     @ top: sign and exponent less one
    add     r0, r3, r12, lsr #8
    lsl     r12, r12, #24
    cmp     r12, #0x80000000
    adc     r0, r0, #0
    it      eq
    biceq   r0, r0, #1
    bx      lr
.Lfmul_special:
    @ Zero times zero or a normal number is a zero with the product's sign.
    lsls    r12, r0, #1
    beq     .Lfmul_a_zero
    lsls    r12, r1, #1
    bne     .Lfmul_slow             @ no zero
    sub     r12, r2, #1             @ b is zero: a (not zero) must be normal
    cmp     r12, #253
    bhi     .Lfmul_slow
    b       .Lfmul_zero
.Lfmul_a_zero:
    lsls    r12, r1, #1
    beq     .Lfmul_zero
    sub     r12, r3, #1
    cmp     r12, #253
    bhi     .Lfmul_slow
.Lfmul_zero:
    eor     r0, r0, r1
    and     r0, r0, #0x80000000
    bx      lr
.Lfmul_slow:
    b.w     __mulsf3
    .size __aeabi_fmul, . - __aeabi_fmul
