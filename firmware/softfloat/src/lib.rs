//! IEEE 754 single-precision arithmetic for Cortex-M cores without an FPU (the Cortex-M3 and
//! the Cortex-M0/M0+ firmware), faster than compiler-builtins' and bit-identical to it: both
//! round to nearest, ties to even, as IEEE 754 requires, so every result is *the* correctly
//! rounded one, which the host's FPU computes too.
//!
//! On a soft-float target every `f32` `+`, `-`, `*`, `/` and comparison is a call:
//! `__aeabi_fadd`, `__aeabi_fsub`, `__aeabi_fmul`, `__aeabi_fdiv`, `__aeabi_fcmpeq` and kin.
//! compiler-builtins implements them generically for every float width, plus a wrapper: the
//! instructions per operation, theirs and these, are in BENCHMARKS.md (the Cortex-M3 and
//! Cortex-M0 notes). This crate defines those symbols with a fast path for the cases inference
//! lives in (normal operands with a normal result, and zeros), and hands every other case
//! (subnormals, infinities, NaNs, overflow, underflow) to compiler-builtins' `__addsf3`,
//! `__subsf3`, `__mulsf3`, `__divsf3`. The arithmetic is the same; only the work to get there
//! is less.
//!
//! - [`add`] and [`mul`] are the fast paths in Rust, the specification. The symbols are the
//!   same algorithm in assembly, which LLVM's code for the Rust does not match: `src/armv7m.s`
//!   in Thumb-2 for ARMv7-M (no register saved), `src/armv6m.s` in Thumb-1 for ARMv6-M.
//! - [`div`] (three UDIVs) and the comparisons are compiled from the Rust.
//!
//! ARMv6-M (the Cortex-M0 and M0+) has no Thumb-2, no 32x32->64-bit multiply, no divide and
//! no CLZ, and most of its instructions reach only r0-r7: `armv6m.s` builds the 48-bit product
//! of the significands from three 32-bit `MULS` (see [`widening_mul`] for the four-product
//! form of the Rust), aligns and rounds with shifts, and counts the leading zeros of a
//! cancellation one bit at a time (only differences of operands less than a binade apart need
//! more than one). Division stays compiler-builtins' there: [`div`] needs a divide instruction,
//! and a quotient by long division (24 compare-and-subtract steps) measured slower on the
//! Cortex-M0 than compiler-builtins' reciprocal iteration.
//!
//! NaNs: every operation with a NaN operand (or a NaN result, like `inf - inf`) is
//! compiler-builtins', with its operands in their order on the Cortex-M0 (so its NaN bits too;
//! `examples/selftest.rs` compares them exactly). The Cortex-M3's addition may swap the
//! operands first, which can change which NaN comes back when both are NaNs. A network on
//! finite inputs with finite weights does not make NaNs.
//!
//! Testing: the Rust against the host's FPU on millions of operands and every class of edge
//! case (`cargo test-host` in `firmware/`), and the assembly against compiler-builtins on the
//! core under QEMU (`examples/selftest.rs` on the Cortex-M3 and on the Cortex-M0, run by
//! `cargo xtask test`).
//!
//! Linking: a firmware that wants the symbols names the crate (`use dendrite_softfloat as _;`);
//! they exist only when building for a bare-metal ARM target.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

const SIGN: u32 = 0x8000_0000;
const FRACTION: u32 = 0x007F_FFFF;
const IMPLICIT: u32 = 0x0080_0000;

/// The biased exponent of `a` when it is a normal number (1..=254), else `None`.
#[inline(always)]
fn normal_exponent(a: u32) -> Option<u32> {
    let e = (a >> 23) & 0xFF;
    (e.wrapping_sub(1) < 254).then_some(e)
}

/// Whether `a` is a zero of either sign.
#[inline(always)]
fn is_zero(a: u32) -> bool {
    a << 1 == 0
}

/// Rounds `m`, a significand with its leading one at bit 31 and eight rounding bits below
/// bit 8 (the lowest of them sticky), to nearest, ties to even, and adds it to `top`: the
/// result's sign and biased exponent minus one (the leading one adds the one). A rounding carry
/// out of the fraction lands in the exponent, as it should (254 then becomes infinity).
#[inline(always)]
fn round_pack(top: u32, m: u32) -> u32 {
    let rest = m << 24;
    // Over half, or half: one up; exactly half (a tie) then clears the last bit, which undoes
    // the step for an even result and leaves the odd one stepped to even.
    let r = top.wrapping_add(m >> 8) + u32::from(rest >= SIGN);
    if rest == SIGN {
        r & !1
    } else {
        r
    }
}

/// `a + b` when `|a| >= |b|` and one of them is not a normal number: for `b` a zero and `a` a
/// zero or a normal number, `a` (for two zeros -0 only when both are -0); `None` otherwise.
#[inline(always)]
fn add_special(a: u32, b: u32) -> Option<u32> {
    if !is_zero(b) {
        return None;
    }
    if is_zero(a) {
        return Some(a & b);
    }
    normal_exponent(a).map(|_| a)
}

/// `a + b` on the bits of two `f32`s, when both are normal and so is the result (or it
/// overflows to infinity by rounding), or when one is zero and the other zero or normal; `None`
/// otherwise, for the general routine.
#[inline(always)]
pub fn add(a: u32, b: u32) -> Option<u32> {
    // |a| >= |b| from here on, so a's exponent is the larger.
    let (a, b) = if (a << 1) < (b << 1) { (b, a) } else { (a, b) };
    let (ea, eb) = ((a >> 23) & 0xFF, (b >> 23) & 0xFF);
    if ea == 0xFF || eb == 0 {
        return add_special(a, b);
    }
    let d = ea - eb;
    if d > 25 {
        // |b| < ulp(a) / 4, under half the gap to either neighbour of a: a + b rounds to a.
        return Some(a);
    }
    // Significands with the leading one at bit 31 and eight zero bits below. b is aligned to
    // a; what is shifted out survives as a sticky bit 0, so the sum or difference is odd and
    // never looks like an exact tie when something was lost. (At d = 0 the double shift moves
    // out only a zero bit.)
    let mb = (b << 8) | SIGN;
    let sticky = u32::from((mb << 1) << (31 - d) != 0);
    let mb = (mb >> d) | sticky;
    let ma = (a << 8) | SIGN;
    // a's sign and exponent, less one exponent step for the leading one `round_pack` adds.
    let top = ((a >> 23) << 23) - IMPLICIT;
    if (a ^ b) & SIGN == 0 {
        let (m, carry) = ma.overflowing_add(mb);
        if !carry {
            return Some(round_pack(top, m));
        }
        if ea == 254 {
            return None; // overflow
        }
        // One bit more: shift it in from the carry, the lost bit joins the sticky bit.
        return Some(round_pack(top + IMPLICIT, (m >> 1) | SIGN | (m & 1)));
    }
    let m = ma - mb;
    if m == 0 {
        // x - x is +0 when rounding to nearest.
        return Some(0);
    }
    // Normalize: the leading one back to bit 31. A shift of more than one happens only when
    // d <= 1, where nothing was shifted out, so it is exact.
    let shift = leading_zeros(m);
    if shift >= ea {
        return None; // a subnormal result
    }
    Some(round_pack(top - (shift << 23), m << shift))
}

/// `a * b` on the bits of two `f32`s, when both are normal and so is the result (or it
/// overflows to infinity by rounding), or when one is zero and the other zero or normal; `None`
/// otherwise, for the general routine.
#[inline(always)]
pub fn mul(a: u32, b: u32) -> Option<u32> {
    let (ea, eb) = ((a >> 23) & 0xFF, (b >> 23) & 0xFF);
    if ea.wrapping_sub(1) >= 254 || eb.wrapping_sub(1) >= 254 {
        // Zero times zero or a normal number: a zero with the product's sign.
        let zero_or_normal = |x| is_zero(x) || normal_exponent(x).is_some();
        let zero = (is_zero(a) || is_zero(b)) && zero_or_normal(a) && zero_or_normal(b);
        return zero.then_some((a ^ b) & SIGN);
    }
    // Significands with the leading one at bit 31: the 64-bit product (one UMULL in
    // armv7m.s) is in [2^62, 2^64).
    let ma = (a << 8) | SIGN;
    let mb = (b << 8) | SIGN;
    let (hi, lo) = widening_mul(ma, mb);
    // The result's biased exponent minus one, for a leading one at bit 63; a leading one at
    // bit 62 is moved up with the low word's top bit, one exponent step less.
    let (m, lo, e) = if hi & SIGN == 0 {
        ((hi << 1) | (lo >> 31), lo << 1, (ea + eb) as i32 - 128)
    } else {
        (hi, lo, (ea + eb) as i32 - 127)
    };
    if !(0..254).contains(&e) {
        return None; // underflow or overflow
    }
    // The rest of the low word joins the lowest rounding bit as sticky.
    let m = m | u32::from(lo != 0);
    Some(round_pack(((a ^ b) & SIGN) | ((e as u32) << 23), m))
}

/// `m.leading_zeros()` for a non-zero `m`, the shifts of zero and one that most differences
/// need (operands two or more binades apart) tested first, as `armv6m.s` does (ARMv6-M has no
/// `CLZ`).
#[inline(always)]
fn leading_zeros(m: u32) -> u32 {
    if m >= 1 << 30 {
        return u32::from(m < SIGN);
    }
    m.leading_zeros()
}

/// The 64-bit product of `a` and `b` as (high word, low word), from four 16x16-bit products
/// that each fit a 32-bit `MULS`: what ARMv6-M, without `UMULL`, can do instead of a call to
/// the general `__aeabi_lmul`. (`armv6m.s` needs only three, for 24-bit significands.)
#[inline(always)]
pub fn widening_mul(a: u32, b: u32) -> (u32, u32) {
    let (ah, al) = (a >> 16, a & 0xFFFF);
    let (bh, bl) = (b >> 16, b & 0xFFFF);
    let (ll, lh, hl, hh) = (al * bl, al * bh, ah * bl, ah * bh);
    // The middle column: at most 3 * (2^16 - 1), no overflow.
    let mid = (ll >> 16) + (lh & 0xFFFF) + (hl & 0xFFFF);
    let lo = (ll & 0xFFFF) | (mid << 16);
    // The full product is below 2^64, so the high word cannot overflow either.
    let hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    (hi, lo)
}

/// `a / b` on the bits of two `f32`s, when both are normal and so is the result (or it
/// overflows to infinity by rounding); `None` otherwise, for the general routine.
///
/// Three 32-bit divisions (UDIV, one instruction on the Cortex-M3) give the 24 bits of the
/// quotient eight at a time; the last remainder decides the rounding exactly.
#[inline(always)]
pub fn div(a: u32, b: u32) -> Option<u32> {
    let ea = normal_exponent(a)?;
    let eb = normal_exponent(b)?;
    let sign = (a ^ b) & SIGN;
    let mut ma = (a & FRACTION) | IMPLICIT;
    let mb = (b & FRACTION) | IMPLICIT;
    let mut e = ea as i32 - eb as i32 + 127;
    // ma / mb in [1, 2): the quotient's leading one lands at bit 23.
    if ma < mb {
        ma <<= 1;
        e -= 1;
    }
    if !(1..255).contains(&e) {
        return None; // underflow or overflow
    }
    // ma < 2^25 and every remainder < mb < 2^24: the shifted dividends fit in 32 bits.
    let (q1, r) = (((ma << 7) / mb), (ma << 7) % mb);
    let (q2, r) = ((r << 8) / mb, (r << 8) % mb);
    let (q3, r) = ((r << 8) / mb, (r << 8) % mb);
    let q = (q1 << 16) | (q2 << 8) | q3;
    // Round to nearest by the remainder: over half of mb, or exactly half with q odd.
    // Round to nearest by the remainder. Exactly half cannot happen: a midpoint has 25
    // significant bits, and a quotient of two 24-bit numbers that is exact has at most 24.
    let up = 2 * r > mb;
    Some((sign | ((e as u32 - 1) << 23)) + q + u32::from(up))
}

/// Whether `a` is a NaN.
#[inline(always)]
fn is_nan(a: u32) -> bool {
    a << 1 > 0xFF00_0000
}

/// A key that orders floats (NaNs aside) as unsigned integers, except that -0 sorts just
/// below +0.
#[inline(always)]
fn order_key(a: u32) -> u32 {
    if a & SIGN == 0 {
        a | SIGN
    } else {
        !a
    }
}

/// `a == b` for the bits of two `f32`s: false with a NaN, true for +0 and -0.
#[inline(always)]
pub fn eq(a: u32, b: u32) -> bool {
    !is_nan(a) && !is_nan(b) && (a == b || is_zero(a | b))
}

/// `a < b` for the bits of two `f32`s: false with a NaN, and between +0 and -0.
#[inline(always)]
pub fn lt(a: u32, b: u32) -> bool {
    !is_nan(a) && !is_nan(b) && !is_zero(a | b) && order_key(a) < order_key(b)
}

/// The symbols the compiler calls. Under the soft-float ABI an `f32` travels in a core register
/// like a `u32`, so they take and return the bits: seen as floats, LLVM would turn the bit tests
/// of the fast paths back into float comparisons, which are calls here.
#[cfg(all(target_arch = "arm", target_os = "none", not(armv6m)))]
mod symbols {
    // `__aeabi_fadd`, `__aeabi_fsub`, `__aeabi_fmul`: [`add`](super::add) and
    // [`mul`](super::mul) in Thumb-2, where they run on every multiply-add of the forward pass
    // (LLVM's code for them takes about a third more instructions and saves registers).
    core::arch::global_asm!(include_str!("armv7m.s"));

    extern "aapcs" {
        /// compiler-builtins' general single-precision division.
        fn __divsf3(a: u32, b: u32) -> u32;
    }

    /// `a / b`.
    #[no_mangle]
    pub extern "aapcs" fn __aeabi_fdiv(a: u32, b: u32) -> u32 {
        match super::div(a, b) {
            Some(bits) => bits,
            // SAFETY: compiler-builtins' routine takes any two floats' bits.
            None => unsafe { __divsf3(a, b) },
        }
    }
}

/// ARMv6-M: addition, subtraction and multiplication in Thumb-1 (`armv6m.s`), the same fast
/// paths as [`add`](super::add) and [`mul`](super::mul); compiler-builtins' general routines
/// for the other cases. Division stays compiler-builtins' (see the crate's documentation).
#[cfg(all(target_arch = "arm", target_os = "none", armv6m))]
mod symbols {
    // `__aeabi_fadd`, `__aeabi_fsub`, `__aeabi_fmul`: every multiply-add of the forward pass.
    // `raw`: the register lists of PUSH and POP are braces, not format arguments.
    core::arch::global_asm!(include_str!("armv6m.s"), options(raw));
}

/// The comparisons, compiled from the Rust on every bare-metal ARM core.
#[cfg(all(target_arch = "arm", target_os = "none"))]
mod comparisons {
    /// `a == b` as 1 or 0.
    #[no_mangle]
    pub extern "aapcs" fn __aeabi_fcmpeq(a: u32, b: u32) -> i32 {
        i32::from(super::eq(a, b))
    }

    /// `a < b` as 1 or 0.
    #[no_mangle]
    pub extern "aapcs" fn __aeabi_fcmplt(a: u32, b: u32) -> i32 {
        i32::from(super::lt(a, b))
    }

    /// `a > b` as 1 or 0.
    #[no_mangle]
    pub extern "aapcs" fn __aeabi_fcmpgt(a: u32, b: u32) -> i32 {
        i32::from(super::lt(b, a))
    }

    /// `a <= b` as 1 or 0.
    #[no_mangle]
    pub extern "aapcs" fn __aeabi_fcmple(a: u32, b: u32) -> i32 {
        i32::from(super::lt(a, b) || super::eq(a, b))
    }

    /// `a >= b` as 1 or 0.
    #[no_mangle]
    pub extern "aapcs" fn __aeabi_fcmpge(a: u32, b: u32) -> i32 {
        i32::from(super::lt(b, a) || super::eq(a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: the same stream everywhere, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
        }

        /// A float with `b`'s neighbourhood of exponents: `a` moved by up to `spread` binades,
        /// random sign and fraction. Ties and cancellations are frequent among these.
        fn near(&mut self, a: u32, spread: u32) -> u32 {
            let e =
                ((a >> 23) & 0xFF) as i32 + (self.next() % (2 * spread + 1)) as i32 - spread as i32;
            let e = e.clamp(0, 255) as u32;
            let r = self.next();
            // Fractions with few low bits set make exact halves (ties) common.
            let fraction = if r & 1 == 0 {
                r >> 9
            } else {
                (r >> 9) & !0xFFF
            };
            (r & SIGN) | (e << 23) | fraction
        }
    }

    fn is_normal_or_inf(bits: u32) -> bool {
        let e = (bits >> 23) & 0xFF;
        e != 0 && (e != 255 || bits & FRACTION == 0)
    }

    /// The fast path gives the FPU's bits whenever it answers, and declines only when an
    /// operand or the result is not a normal number (or the exponent would overflow first).
    fn check(op: fn(u32, u32) -> Option<u32>, fpu: fn(f32, f32) -> f32, a: u32, b: u32) {
        let want = fpu(f32::from_bits(a), f32::from_bits(b)).to_bits();
        match op(a, b) {
            Some(got) => assert_eq!(
                got, want,
                "{a:#010x} {b:#010x}: {got:#010x} != {want:#010x}"
            ),
            None => {
                let normal = |x: u32| normal_exponent(x).is_some();
                let declined_for_cause = !normal(a)
                    || !normal(b)
                    || !is_normal_or_inf(want)
                    || want & !SIGN == 0x7F80_0000
                    || want & !SIGN < 0x0100_0000; // within a factor 2 of the smallest normal
                assert!(
                    declined_for_cause,
                    "{a:#010x} {b:#010x}: declined for {want:#010x}"
                );
            }
        }
    }

    fn sweep(op: fn(u32, u32) -> Option<u32>, fpu: fn(f32, f32) -> f32, seed: u64) {
        let mut rng = Rng(seed);
        for _ in 0..2_000_000 {
            let a = rng.next();
            check(op, fpu, a, rng.next());
            for spread in [0, 1, 2, 3, 26, 30] {
                let b = rng.near(a, spread);
                check(op, fpu, a, b);
                check(op, fpu, b, a);
            }
        }
        let edges = [
            0,
            SIGN,
            1,
            0x0080_0000,
            0x0080_0001,
            0x00FF_FFFF,
            0x0100_0000,
            0x3F80_0000,
            0x3F80_0001,
            0x3FFF_FFFF,
            0x7F7F_FFFF,
            0x7F00_0000,
            0x7F80_0000,
            0x7FC0_0000,
            0x1F80_0000,
            0x2000_0000,
            0x0C00_0000,
        ];
        for &a in &edges {
            for &b in &edges {
                for (x, y) in [(a, b), (a | SIGN, b), (a, b | SIGN), (a | SIGN, b | SIGN)] {
                    check(op, fpu, x, y);
                }
            }
        }
    }

    #[test]
    fn add_gives_the_fpus_bits() {
        sweep(add, |a, b| a + b, 0x9E37_79B9_7F4A_7C15);
    }

    #[test]
    fn mul_gives_the_fpus_bits() {
        sweep(mul, |a, b| a * b, 0xD1B5_4A32_D192_ED03);
    }

    #[test]
    fn div_gives_the_fpus_bits() {
        sweep(div, |a, b| a / b, 0x94D0_49BB_1331_11EB);
    }

    #[test]
    fn comparisons_give_the_fpus_answers() {
        let mut rng = Rng(0xBF58_476D_1CE4_E5B9);
        let edges = [
            0,
            SIGN,
            1,
            SIGN | 1,
            0x3F80_0000,
            0xBF80_0000,
            0x7F80_0000,
            0xFF80_0000,
        ];
        let nans = [0x7FC0_0000, 0xFFC0_0001, 0x7F80_0001];
        let mut cases: Vec<(u32, u32)> = Vec::new();
        for &a in edges.iter().chain(&nans) {
            for &b in edges.iter().chain(&nans) {
                cases.push((a, b));
            }
        }
        for _ in 0..1_000_000 {
            let a = rng.next();
            cases.push((a, rng.next()));
            cases.push((a, rng.near(a, 1)));
            cases.push((a, a));
        }
        for (a, b) in cases {
            let (x, y) = (f32::from_bits(a), f32::from_bits(b));
            assert_eq!(eq(a, b), x == y, "{a:#010x} == {b:#010x}");
            assert_eq!(lt(a, b), x < y, "{a:#010x} < {b:#010x}");
        }
    }

    #[test]
    fn widening_mul_is_the_64_bit_product() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let edges = [
            0,
            1,
            0xFFFF,
            0x1_0000,
            0x8000_0000,
            0xFFFF_FFFF,
            0xFFFF_0000,
            0x0000_FFFF,
        ];
        let mut pairs: Vec<(u32, u32)> = edges
            .iter()
            .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
            .collect();
        pairs.extend((0..1_000_000).map(|_| (rng.next(), rng.next())));
        for (a, b) in pairs {
            let p = u64::from(a) * u64::from(b);
            assert_eq!(
                widening_mul(a, b),
                ((p >> 32) as u32, p as u32),
                "{a:#x} * {b:#x}"
            );
        }
    }

    #[test]
    fn zeros_take_the_fast_path() {
        let (zero, minus_zero, one) = (0, SIGN, 0x3F80_0000);
        assert_eq!(add(zero, minus_zero), Some(zero));
        assert_eq!(add(minus_zero, minus_zero), Some(minus_zero));
        assert_eq!(add(minus_zero, one), Some(one));
        assert_eq!(mul(minus_zero, one), Some(minus_zero));
        assert_eq!(mul(one | SIGN, minus_zero), Some(zero));
        assert_eq!(mul(zero, 0x7F80_0000), None); // 0 * inf is NaN: the general routine
    }

    #[test]
    fn exact_cancellation_is_positive_zero() {
        assert_eq!(add(0x3F80_0000, 0xBF80_0000), Some(0));
        assert_eq!(add(0xC2F6_E979, 0x42F6_E979), Some(0));
    }

    #[test]
    fn rounding_overflows_to_infinity() {
        assert_eq!(add(0x7F7F_FFFF, 0x7300_0000), Some(0x7F80_0000));
        assert_eq!(add(0x7F7F_FFFF, 0x7F7F_FFFF), None);
    }
}
