//! This crate's `__aeabi_fadd`, `__aeabi_fsub` and `__aeabi_fmul` against compiler-builtins'
//! `__addsf3`, `__subsf3` and `__mulsf3`, on the core itself: the Thumb-2 routines on the
//! Cortex-M3 (QEMU's mps2-an385), the Thumb-1 ones on the Cortex-M0 (QEMU's microbit). Random
//! operands over every exponent, operands a few binades apart (alignment, carries,
//! cancellation, ties), differences of near neighbours (cancellation of every depth), products
//! at the edges of the exponent range (subnormal and infinite results), significands with few
//! bits (exact products and ties), and every pair of a table of edge cases (zeros, subnormals, the largest and smallest normals, infinities, NaNs). Any
//! difference in the bits ends the run with status 1 and the operands on stderr. On the
//! Cortex-M0 the bits must be equal even for NaNs (its routines hand compiler-builtins the
//! operands in their order); the Cortex-M3's addition may swap them, so NaNs are compared as
//! NaNs there.
//!
//! ```text
//! cargo run --release --example selftest --features selftest --target thumbv7m-none-eabi
//! cargo run --release --example selftest --features selftest --target thumbv6m-none-eabi
//! ```
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, heprintln};
use dendrite_softfloat as _;

extern "aapcs" {
    fn __aeabi_fadd(a: u32, b: u32) -> u32;
    fn __aeabi_fsub(a: u32, b: u32) -> u32;
    fn __aeabi_fmul(a: u32, b: u32) -> u32;
    fn __addsf3(a: u32, b: u32) -> u32;
    fn __subsf3(a: u32, b: u32) -> u32;
    fn __mulsf3(a: u32, b: u32) -> u32;
}

type Op = unsafe extern "aapcs" fn(u32, u32) -> u32;

/// The routines under test and their references.
const OPS: [(&str, Op, Op); 3] = [
    ("fadd", __aeabi_fadd, __addsf3),
    ("fsub", __aeabi_fsub, __subsf3),
    ("fmul", __aeabi_fmul, __mulsf3),
];

/// xorshift32: the same stream on every run.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// `a`'s exponent moved by up to `spread` binades, a random sign and fraction (often with
    /// its low bits clear, which makes exact ties common).
    fn near(&mut self, a: u32, spread: u32) -> u32 {
        let r = self.next();
        let step = (r % (2 * spread + 1)) as i32 - spread as i32;
        let e = (((a >> 23) & 0xFF) as i32 + step).clamp(0, 255) as u32;
        let fraction = if r & 0x100 == 0 {
            r >> 9
        } else {
            (r >> 9) & !0xFFF
        };
        (r & 0x8000_0000) | (e << 23) | fraction
    }

    /// A float with biased exponent `e` (0..=255), a random sign and a fraction whose
    /// significand has at most `bits` significant bits (1..=24): products of two of them with
    /// 25 or 26 bits in all are often exact ties.
    fn short(&mut self, e: u32, bits: u32) -> u32 {
        let r = self.next();
        let fraction = (r >> 9) & !((1 << (24 - bits)) - 1);
        (r & 0x8000_0000) | ((e & 0xFF) << 23) | fraction
    }
}

fn is_nan(x: u32) -> bool {
    x << 1 > 0xFF00_0000
}

/// Both routines on `(a, b)`; on a difference, reports it and ends the run.
fn check(a: u32, b: u32) {
    for (name, op, reference) in OPS {
        // SAFETY: both routines take any two floats' bits.
        let (got, want) = unsafe { (op(a, b), reference(a, b)) };
        let nans_agree = !cfg!(armv6m) && is_nan(got) && is_nan(want);
        if got != want && !nans_agree {
            heprintln!(
                "{}({:#010x}, {:#010x}) = {:#010x}, compiler-builtins {:#010x}",
                name,
                a,
                b,
                got,
                want
            );
            debug::exit(debug::EXIT_FAILURE);
        }
    }
}

#[entry]
fn main() -> ! {
    let edges = [
        0,
        1,
        0x0000_0FFF,
        0x007F_FFFF,
        0x0080_0000,
        0x0080_0001,
        0x00FF_FFFF,
        0x0100_0000,
        0x0C00_0000,
        0x1F80_0000,
        0x2000_0000,
        0x3F80_0000,
        0x3F80_0001,
        0x3FFF_FFFF,
        0x5F80_0000,
        0x7F00_0000,
        0x7F7F_FFFF,
        0x7F80_0000,
        0x7FC0_0000,
        0x7F80_0001,
    ];
    for &a in &edges {
        for &b in &edges {
            for sign in [0, 0x8000_0000] {
                check(a ^ sign, b);
                check(a, b ^ sign);
            }
        }
    }
    let mut rng = Rng(0x2545_F491);
    for _ in 0..100_000 {
        let a = rng.next();
        check(a, rng.next());
        for spread in [0, 1, 2, 3, 8, 26] {
            let b = rng.near(a, spread);
            check(a, b);
            check(b, a);
        }
    }
    let mut rng = Rng(0x9E37_79B9);
    for _ in 0..50_000 {
        let a = rng.next();
        let ea = (a >> 23) & 0xFF;
        // Products whose exponent is at the edge of the normal range: 127 and 381 are the
        // sums of the operands' biased exponents where a product falls out of it.
        for sum in [127, 381] {
            let spread = rng.next() % 7;
            let eb = (sum + spread).saturating_sub(ea + 3).min(255);
            let b = rng.short(eb, 24);
            check(a, b);
            check(b, a);
        }
        // Short significands: ties of the product, and exact sums and differences.
        let (bits, e, f) = (1 + rng.next() % 24, rng.next() % 56, rng.next() % 56);
        let a = rng.short(100 + e, bits);
        let b = rng.short(100 + f, 26 - bits.min(25));
        check(a, b);
        // Differences of neighbours: cancellation of every depth, down to one ulp.
        let a = rng.next();
        let delta = rng.next() >> (8 + rng.next() % 24);
        check(a, (a ^ 0x8000_0000).wrapping_add(delta));
        check(a, (a ^ 0x8000_0000).wrapping_sub(delta));
        // Results near the smallest normal: cancellation and sums there.
        let e = 1 + rng.next() % 4;
        let a = rng.short(e, 24);
        let b = rng.near(a, 2);
        check(a, b);
        check(b, a);
    }
    heprintln!("softfloat selftest: all results equal compiler-builtins'");
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
