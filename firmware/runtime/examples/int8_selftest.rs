//! The runtime's int8 kernel (`dendrite_runtime::int8::Kernel`: `Simd`, `SMLAD`, on the cores
//! with the DSP extension; `Thumb2`, `LDRSB` and `MLA`, on the Cortex-M3; `Scalar` elsewhere)
//! against dendrite-core's portable `Scalar`, on the core itself:
//!
//! - `Dot::dot_rows` on random inputs, weights, input offsets (the ends of the range among
//!   them), for every input length from 1 to 80 (every entry point into the kernels' unrolled
//!   loops: 16 steps of 4 inputs, 8 inputs) and longer ones (odd, not multiples of 4, the
//!   widths of real layers), blocks of 1 to 4 rows, slices starting at every alignment;
//! - `Dot::dot_chunk` and `Dot::with_sums` likewise, on chunks of 1 to `DOT_CHUNK` rows and
//!   more (the kernels' loop over blocks of four rows, then the last rows), from random biases;
//! - whole fully-connected layers (`quant::fully_connected_with`, requantization and clamp
//!   included) of random shapes, per-tensor and per-channel scales.
//!
//! Any difference ends the run with status 1 and the case on stderr; success prints the number
//! of cases and exits 0.
//!
//! ```text
//! cargo run --release -p dendrite-runtime --example int8_selftest                    # Cortex-M4F
//! cargo run --release -p dendrite-runtime --example int8_selftest --target thumbv8m.main-none-eabihf
//! ```
//! `cargo xtask test` runs it on every emulated core.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::heprintln;
use dendrite_core::quant::{fully_connected_with, quantize_multiplier, Requantize};
use dendrite_runtime::exit::exit;
use dendrite_runtime::int8::{Dot, Kernel, Scalar, DOT_BLOCK, DOT_CHUNK};

/// The most weights of a case.
const MAX_WEIGHTS: usize = 4096;
/// The longest input of a case.
const MAX_INPUT: usize = 1024;
/// The most units of a layer case.
const MAX_UNITS: usize = 64;
/// The most rows of a `dot_chunk` case.
const MAX_ROWS: usize = DOT_CHUNK + 9;

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

    /// An input offset (minus a zero point): the ends of `[-127, 128]` now and then.
    fn offset(&mut self) -> i32 {
        match self.next() % 8 {
            0 => -127,
            1 => 128,
            _ => (self.next() % 256) as i32 - 127,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }
}

/// The buffers cases are cut from, `skew` bytes in (any alignment).
struct Buffers {
    weights: [i8; MAX_WEIGHTS + 4],
    x: [i8; MAX_INPUT + 4],
}

/// Fills `len` random bytes of `buffer` from `skew` on.
fn random<'a>(rng: &mut Rng, buffer: &'a mut [i8], skew: usize, len: usize) -> &'a mut [i8] {
    let slice = buffer.get_mut(skew..skew + len).unwrap_or(&mut []);
    slice.iter_mut().for_each(|v| *v = rng.byte());
    slice
}

/// One `dot_rows` case: `rows` rows of `n` inputs. Returns whether both kernels agree.
fn dot_case(rng: &mut Rng, b: &mut Buffers, n: usize, rows: usize, skew: usize) -> bool {
    let w = random(rng, &mut b.weights, skew, n * rows);
    let x = random(rng, &mut b.x, (skew + 1) % 4, n);
    let offset = rng.offset();
    let mut fast = [0x5A5A_5A5Ai32; DOT_BLOCK];
    let mut slow = [0x1234_5678i32; DOT_BLOCK];
    let (Some(f), Some(s)) = (fast.get_mut(..rows), slow.get_mut(..rows)) else {
        return true;
    };
    Kernel::dot_rows(x, offset, w, f);
    Scalar::dot_rows(x, offset, w, s);
    same_sums("dot_rows", (n, rows, skew, offset), f, s)
}

/// Whether the kernel's sums `f` equal the portable ones `s`; the first difference is printed
/// with the case, `(inputs, rows, skew, offset)`.
fn same_sums(what: &str, case: (usize, usize, usize, i32), f: &[i32], s: &[i32]) -> bool {
    let Some(unit) = f.iter().zip(s).position(|(a, b)| a != b) else {
        return true;
    };
    let (n, rows, skew, offset) = case;
    heprintln!(
        "int8 selftest: {} of {} inputs, {} rows, skew {}, offset {}: row {} gives {}, Scalar {}",
        what,
        n,
        rows,
        skew,
        offset,
        unit,
        f.get(unit).copied().unwrap_or(0),
        s.get(unit).copied().unwrap_or(0)
    );
    false
}

/// One `dot_chunk` case: `rows` rows of `n` inputs from random biases. Returns whether both
/// kernels agree.
fn chunk_case(rng: &mut Rng, b: &mut Buffers, n: usize, rows: usize, skew: usize) -> bool {
    let w = random(rng, &mut b.weights, skew, n * rows);
    let x = random(rng, &mut b.x, (skew + 3) % 4, n);
    let offset = rng.offset();
    let mut bias = [0i32; MAX_ROWS];
    bias.iter_mut().for_each(|v| *v = rng.next() as i32);
    let mut fast = [0x5A5A_5A5Ai32; MAX_ROWS];
    let mut slow = [0x1234_5678i32; MAX_ROWS];
    let (Some(bias), Some(f), Some(s)) =
        (bias.get(..rows), fast.get_mut(..rows), slow.get_mut(..rows))
    else {
        return true;
    };
    Kernel::dot_chunk(x, offset, w, bias, f);
    Scalar::dot_chunk(x, offset, w, bias, s);
    // `with_sums`: the first `DOT_CHUNK` rows' sums, in the kernel's own array.
    let first = s.get(..rows.min(DOT_CHUNK)).unwrap_or(&[]);
    if !Kernel::with_sums(x, offset, w, bias, |sums| sums == first) {
        heprintln!(
            "int8 selftest: with_sums of {} inputs, {} rows, skew {}, offset {} differs from Scalar",
            n,
            rows,
            skew,
            offset
        );
        return false;
    }
    same_sums("dot_chunk", (n, rows, skew, offset), f, s)
}

/// One fully-connected layer of `n` inputs and `units` units through both kernels.
fn layer_case(rng: &mut Rng, b: &mut Buffers, n: usize, units: usize) -> bool {
    let skew = rng.below(4);
    let w = random(rng, &mut b.weights, skew, n * units);
    let x_skew = rng.below(4);
    let x = random(rng, &mut b.x, x_skew, n);
    let mut bias = [0i32; MAX_UNITS];
    let mut multiplier = [0i32; MAX_UNITS];
    let mut shift = [0i32; MAX_UNITS];
    let per_channel = rng.next().is_multiple_of(2);
    let scales = if per_channel { units } else { 1 };
    // One layer in four with any multiplier and a shift anywhere in `[-31, 2]`, unit by unit:
    // both sides of each fast path's range (a kernel's requantization stops at the first unit
    // outside its own), most outputs saturated.
    let wild = rng.next().is_multiple_of(4);
    for j in 0..units {
        if let (Some(b), Some(m), Some(s)) =
            (bias.get_mut(j), multiplier.get_mut(j), shift.get_mut(j))
        {
            *b = (rng.next() as i32) >> 14;
            if wild {
                *m = ((1 << 30) | (rng.next() >> 2)) as i32;
                *s = (rng.next() % 34) as i32 - 31;
            } else {
                // Scales that keep the outputs mostly inside the int8 range for these sums.
                let real = f64::from(1 + rng.next() % 1000) / 1e6 * 64.0 / (n as f64);
                (*m, *s) = quantize_multiplier(real);
            }
        }
    }
    let params = Requantize {
        input_zero_point: -rng.offset(),
        output_zero_point: (rng.next() % 256) as i32 - 128,
        multiplier: multiplier.get(..scales).unwrap_or(&[]),
        shift: shift.get(..scales).unwrap_or(&[]),
        activation_min: if rng.next().is_multiple_of(2) {
            -128
        } else {
            rng.byte().min(0)
        },
        activation_max: 127,
    };
    let bias = bias.get(..units).unwrap_or(&[]);
    let mut fast = [0i8; MAX_UNITS];
    let mut slow = [0i8; MAX_UNITS];
    let (Some(f), Some(s)) = (fast.get_mut(..units), slow.get_mut(..units)) else {
        return true;
    };
    fully_connected_with::<Kernel>(x, w, bias, &params, f);
    fully_connected_with::<Scalar>(x, w, bias, &params, s);
    if f != s {
        heprintln!(
            "int8 selftest: layer {}-{} (per-channel {}) gives other outputs than with Scalar",
            n,
            units,
            per_channel
        );
        return false;
    }
    true
}

#[entry]
fn main() -> ! {
    static mut BUFFERS: Buffers = Buffers {
        weights: [0; MAX_WEIGHTS + 4],
        x: [0; MAX_INPUT + 4],
    };
    dendrite_runtime::start();
    let b = BUFFERS;
    let mut rng = Rng(0x2545_F491);
    let mut cases = 0u32;
    let mut dot = |n: usize, rows: usize, skew: usize, rng: &mut Rng, b: &mut Buffers| {
        cases += 1;
        if !dot_case(rng, b, n, rows, skew) {
            exit(1);
        }
    };
    for n in 1..=80 {
        for rows in 1..=DOT_BLOCK {
            for skew in 0..4 {
                dot(n, rows, skew, &mut rng, b);
            }
        }
    }
    // Real layers' widths (the autoencoder's 640, 128 and 8; the digits' 64) and odd ones.
    for n in [127, 128, 129, 255, 256, 257, 511, 640, 1000, 1023] {
        for rows in 1..=DOT_BLOCK {
            for skew in 0..4 {
                dot(n, rows, skew, &mut rng, b);
            }
        }
    }
    for _ in 0..2_000 {
        let n = 1 + rng.below(MAX_INPUT);
        let rows = 1 + rng.below(DOT_BLOCK);
        let skew = rng.below(4);
        dot(n, rows, skew, &mut rng, b);
    }
    let mut chunks = 0u32;
    let mut chunk = |n: usize, rows: usize, rng: &mut Rng, b: &mut Buffers| {
        chunks += 1;
        let skew = rng.below(4);
        if !chunk_case(rng, b, n, rows, skew) {
            exit(1);
        }
    };
    for rows in 1..=MAX_ROWS {
        for n in [1, 3, 4, 7, 16, 17, 32, 33, 64, 67] {
            chunk(n, rows, &mut rng, b);
        }
    }
    for _ in 0..500 {
        let rows = 1 + rng.below(MAX_ROWS);
        let n = 1 + rng.below((MAX_WEIGHTS / rows).min(MAX_INPUT));
        chunk(n, rows, &mut rng, b);
    }
    // Whole layers: every width of 16-32-32-4, the digits' 64-32-10, odd shapes.
    let mut layers = 0u32;
    let mut layer = |n: usize, units: usize, rng: &mut Rng, b: &mut Buffers| {
        layers += 1;
        if !layer_case(rng, b, n, units) {
            exit(1);
        }
    };
    for (n, units) in [
        (16, 32),
        (32, 32),
        (32, 4),
        (64, 32),
        (32, 10),
        (3, 4),
        (4, 3),
        (7, 9),
        (128, 8),
        (8, 64),
        (640, 6),
    ] {
        for _ in 0..8 {
            layer(n, units, &mut rng, b);
        }
    }
    for _ in 0..500 {
        let n = 1 + rng.below(200);
        let units = 1 + rng.below((MAX_WEIGHTS / n).min(MAX_UNITS));
        layer(n, units, &mut rng, b);
    }
    heprintln!(
        "int8 selftest on {}: {} dot_rows cases, {} dot_chunk cases and {} layers, {} equal to \
         Scalar in every bit",
        dendrite_runtime::NAME,
        cases,
        chunks,
        layers,
        core::any::type_name::<Kernel>()
    );
    exit(0)
}
