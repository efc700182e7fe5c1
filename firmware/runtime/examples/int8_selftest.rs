//! The runtime's int8 kernel (`dendrite_runtime::int8::accumulate`: `SMLAD` on the cores with
//! the DSP extension) against the portable loop, on the core itself: random inputs, weights,
//! input offsets and starting sums, for every input length from 1 to 80 and longer ones (odd,
//! not multiples of 4, and the widths of real layers), 1 to 9 rows and more, slices starting at
//! every alignment, sums that wrap. Any difference ends the run with status 1 and the case on
//! stderr; success prints the number of cases and exits 0.
//!
//! ```text
//! cargo run --release -p dendrite-runtime --example int8_selftest                    # Cortex-M4F
//! cargo run --release -p dendrite-runtime --example int8_selftest --target thumbv8m.main-none-eabihf
//! ```
//! (and every emulated board: `cargo xtask test` runs it on each).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::heprintln;
use dendrite_runtime::exit::exit;
use dendrite_runtime::int8::accumulate;

/// The longest input and the most weights of a case.
const MAX_WEIGHTS: usize = 4096;

/// xorshift32: the same cases on every run.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// Mostly uniform bytes, sometimes the extremes (-128 and 127 are where a sign extension
    /// or an offset would go wrong).
    fn byte(&mut self) -> i8 {
        let r = self.next();
        match r & 0xF00 {
            0x000 => -128,
            0x100 => 127,
            _ => r as i8,
        }
    }
}

/// TFLite's reference loop (dendrite-core's portable kernel), in wrapping i32.
fn portable(x: &[i8], weights: &[i8], offset: i32, acc: &mut [i32]) {
    for (a, row) in acc.iter_mut().zip(weights.chunks_exact(x.len())) {
        for (&w, &xi) in row.iter().zip(x) {
            *a = a.wrapping_add(i32::from(w).wrapping_mul(i32::from(xi) + offset));
        }
    }
}

/// One case: `rows` units of `n` inputs, slices starting `skew` bytes into the buffers.
fn check(
    rng: &mut Rng,
    buffers: &mut ([i8; MAX_WEIGHTS + 4], [i8; 1024]),
    n: usize,
    rows: usize,
    skew: usize,
) -> bool {
    let (weights, x) = buffers;
    let (Some(w), Some(x)) = (
        weights.get_mut(skew..skew + n * rows),
        x.get_mut(skew..skew + n),
    ) else {
        return true;
    };
    w.iter_mut().for_each(|v| *v = rng.byte());
    x.iter_mut().for_each(|v| *v = rng.byte());
    let offset = match rng.next() % 8 {
        0 => -127,
        1 => 128,
        _ => (rng.next() % 256) as i32 - 127,
    };
    let mut fast = [0i32; 160];
    let mut slow = [0i32; 160];
    let (Some(fast), Some(slow)) = (fast.get_mut(..rows), slow.get_mut(..rows)) else {
        return true;
    };
    for (f, s) in fast.iter_mut().zip(slow.iter_mut()) {
        // Near the ends of the range now and then, so that some sums wrap.
        let start = match rng.next() % 4 {
            0 => i32::MAX - (rng.next() % 65_536) as i32,
            1 => i32::MIN + (rng.next() % 65_536) as i32,
            _ => rng.next() as i32 >> 12,
        };
        (*f, *s) = (start, start);
    }
    accumulate(x, w, offset, fast);
    portable(x, w, offset, slow);
    if fast != slow {
        let unit = fast
            .iter()
            .zip(slow.iter())
            .position(|(f, s)| f != s)
            .unwrap_or(0);
        heprintln!(
            "int8 selftest: {} inputs, {} rows, skew {}, offset {}: unit {} gives {}, the portable loop {}",
            n, rows, skew, offset, unit, fast.get(unit).copied().unwrap_or(0), slow.get(unit).copied().unwrap_or(0)
        );
        return false;
    }
    true
}

#[entry]
fn main() -> ! {
    static mut BUFFERS: ([i8; MAX_WEIGHTS + 4], [i8; 1024]) = ([0; MAX_WEIGHTS + 4], [0; 1024]);
    dendrite_runtime::start();
    let mut rng = Rng(0x2545_F491);
    let mut cases = 0u32;
    let mut run = |n: usize, rows: usize, skew: usize, rng: &mut Rng| {
        cases += 1;
        if !check(rng, BUFFERS, n, rows, skew) {
            exit(1);
        }
    };
    for n in 1..=80 {
        for rows in 1..=9 {
            for skew in 0..4 {
                run(n, rows, skew, &mut rng);
            }
        }
    }
    // Real layers' widths (the autoencoder's 640, 128 and 8; 16-32-32-4; the digits' 64) and
    // odd ones, with row counts that leave every remainder of the blocks of four.
    for n in [127, 128, 129, 255, 256, 257, 511, 640, 1000, 1023] {
        for rows in [1, 2, 3, 4, 5, 6, 7] {
            if n * rows <= MAX_WEIGHTS {
                run(n, rows, (n + rows) % 4, &mut rng);
            }
        }
    }
    for (n, rows) in [
        (8, 128),
        (16, 32),
        (32, 32),
        (32, 4),
        (64, 32),
        (32, 10),
        (3, 160),
        (31, 129),
    ] {
        for skew in 0..4 {
            run(n, rows, skew, &mut rng);
        }
    }
    // Random shapes.
    for _ in 0..2_000 {
        let n = 1 + (rng.next() % 200) as usize;
        let rows = 1 + (rng.next() as usize % (MAX_WEIGHTS / n).min(160));
        let skew = (rng.next() % 4) as usize;
        run(n, rows, skew, &mut rng);
    }
    heprintln!(
        "int8 selftest on {}: {} cases, every sum equal to the portable loop's",
        dendrite_runtime::NAME,
        cases
    );
    exit(0)
}
