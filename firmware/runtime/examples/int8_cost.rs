//! What the int8 kernel saves on this core: instructions of one int8 forward pass of a
//! 16-32-32-4 relu/relu/softmax network (random weights from a fixed seed, per-channel scales),
//! through dendrite-core's `QuantizedModel::predict_quantized_with`, with this core's `Kernel`
//! and with the portable `Scalar`. Run under `qemu-system-arm -icount shift=0` (one instruction
//! per virtual nanosecond), the tick counts convert to instructions; it prints one JSON line
//! and exits 0.
//!
//! ```text
//! cargo build --release -p dendrite-runtime --example int8_cost
//! qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -icount shift=0 -display none \
//!   -monitor none -serial stdio -semihosting-config enable=on,target=native \
//!   -kernel target/thumbv7em-none-eabihf/release/examples/int8_cost
//! ```
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::heprintln;
use dendrite_core::quant::{
    quantize_multiplier, QuantParams, QuantizedActivation, QuantizedDense, QuantizedModel,
    Requantize, SoftmaxParams,
};
use dendrite_runtime::emulated::Board;
use dendrite_runtime::exit::exit;
use dendrite_runtime::int8::{Dot, Kernel, Scalar};

/// Forward passes timed per kernel.
const PASSES: u32 = 2_000;

/// xorshift32: the same network on every run.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

/// One layer's arrays.
struct Arrays<const N: usize, const U: usize> {
    weights: [i8; N],
    bias: [i32; U],
    multiplier: [i32; U],
    shift: [i32; U],
}

impl<const N: usize, const U: usize> Arrays<N, U> {
    fn random(rng: &mut Rng) -> Self {
        let mut a = Arrays {
            weights: [0; N],
            bias: [0; U],
            multiplier: [0; U],
            shift: [0; U],
        };
        a.weights.iter_mut().for_each(|w| *w = rng.next() as i8);
        for ((b, m), s) in a.bias.iter_mut().zip(&mut a.multiplier).zip(&mut a.shift) {
            *b = (rng.next() as i32) >> 18;
            (*m, *s) = quantize_multiplier(f64::from(1 + rng.next() % 100) / 40_000.0);
        }
        a
    }

    fn dense<'a>(&'a self, activation: QuantizedActivation<'a>, relu: bool) -> QuantizedDense<'a> {
        QuantizedDense {
            weights: &self.weights,
            bias: &self.bias,
            requantize: Requantize {
                input_zero_point: -5,
                output_zero_point: -20,
                multiplier: &self.multiplier,
                shift: &self.shift,
                activation_min: if relu { -20 } else { -128 },
                activation_max: 127,
            },
            activation,
        }
    }
}

/// One forward pass (a function of its own, for execution traces).
#[inline(never)]
fn pass<D: Dot>(model: &QuantizedModel, x: &[i8; 16], scratch: &mut [i8; 96], out: &mut [i8; 4]) {
    let _ = model.predict_quantized_with::<D>(x, scratch, core::hint::black_box(out));
}

/// Ticks of [`PASSES`] passes with `D`, net of an empty loop of as many turns.
fn time<D: Dot>(model: &QuantizedModel, timer: &mut dendrite_runtime::emulated::Timer) -> u32 {
    let x = [3i8; 16];
    let mut scratch = [0i8; 96];
    let mut out = [0i8; 4];
    let start = timer.now();
    for _ in 0..PASSES {
        pass::<D>(model, core::hint::black_box(&x), &mut scratch, &mut out);
    }
    let busy = timer.now().wrapping_sub(start);
    let start = timer.now();
    for i in 0..PASSES {
        core::hint::black_box(i);
    }
    let empty = timer.now().wrapping_sub(start);
    busy.wrapping_sub(empty)
}

#[entry]
fn main() -> ! {
    dendrite_runtime::start();
    let Some(Board { mut timer, .. }) = Board::take() else {
        exit(1)
    };
    let mut rng = Rng(0x1632_3204);
    let l1 = Arrays::<{ 16 * 32 }, 32>::random(&mut rng);
    let l2 = Arrays::<{ 32 * 32 }, 32>::random(&mut rng);
    let l3 = Arrays::<{ 32 * 4 }, 4>::random(&mut rng);
    let softmax = QuantizedActivation::Softmax(SoftmaxParams::new(1.0, 0.1));
    let layers = [
        l1.dense(QuantizedActivation::None, true),
        l2.dense(QuantizedActivation::None, true),
        l3.dense(softmax, false),
    ];
    let model = QuantizedModel {
        input: QuantParams {
            scale: 0.05,
            zero_point: -5,
        },
        layers: &layers,
        output: QuantParams {
            scale: 1.0 / 256.0,
            zero_point: -128,
        },
    };
    let kernel = time::<Kernel>(&model, &mut timer);
    let scalar = time::<Scalar>(&model, &mut timer);
    // Ticks to instructions: one instruction per virtual nanosecond.
    let per_pass = |ticks: u32| {
        (u64::from(ticks) * 1_000_000_000 / u64::from(dendrite_runtime::TICK_HZ))
            / u64::from(PASSES)
    };
    heprintln!(
        "{{\"board\":\"{}\",\"network\":\"16-32-32-4 int8\",\"kernel_instructions\":{},\"scalar_instructions\":{}}}",
        dendrite_runtime::NAME,
        per_pass(kernel),
        per_pass(scalar)
    );
    exit(0)
}
