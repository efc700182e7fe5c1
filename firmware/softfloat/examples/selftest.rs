//! The Thumb-2 `__aeabi_fadd`, `__aeabi_fsub` and `__aeabi_fmul` of this crate against
//! compiler-builtins' `__addsf3`, `__subsf3` and `__mulsf3`, on the Cortex-M3 itself: random
//! operands over every exponent, operands a few binades apart (alignment, carries,
//! cancellation, ties), and every pair of a table of edge cases (zeros, subnormals, the
//! largest and smallest normals, infinities, NaNs). Any difference in the bits (NaNs compared
//! as NaNs) ends the run with status 1 and the operands on stderr.
//!
//! ```text
//! cargo run --release --example selftest --features selftest --target thumbv7m-none-eabi
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
}

fn is_nan(x: u32) -> bool {
    x << 1 > 0xFF00_0000
}

/// Both routines on `(a, b)`; on a difference, reports it and ends the run.
fn check(a: u32, b: u32) {
    for (name, op, reference) in OPS {
        // SAFETY: both routines take any two floats' bits.
        let (got, want) = unsafe { (op(a, b), reference(a, b)) };
        if got != want && !(is_nan(got) && is_nan(want)) {
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
