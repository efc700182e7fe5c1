//! The forward pass against a naive f64 reference, on random networks (proptest).
//!
//! Tolerance: 1e-4 absolute on outputs whose magnitude is at most a few units. The f32 kernel
//! accumulates at most 8 products of terms below 6 in magnitude per unit, over at most 4 layers;
//! its rounding error stays orders of magnitude below that bound, while any wrong index,
//! transposed kernel or misplaced bias moves outputs by far more.

use dendrite_core::{kernel, Activation};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Layer {
    units: usize,
    activation: Activation,
    kernel: Vec<f32>,
    bias: Vec<f32>,
}

/// Every activation but the exponential, whose chains overflow f32 (not f64) within 4 layers of
/// these widths; the unit tests check it.
fn activation() -> impl Strategy<Value = Activation> {
    let all = Activation::ALL.into_iter();
    prop::sample::select(
        all.filter(|&a| a != Activation::Exponential)
            .collect::<Vec<_>>(),
    )
}

/// Keras' formula of an element-wise activation, in f64.
fn unit(a: Activation, v: f64) -> f64 {
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    let relu6 = |v: f64| v.clamp(0.0, 6.0);
    let (scale, alpha) = (1.050_700_987_355_480_5, 1.673_263_242_354_377_3);
    match a {
        Activation::Linear | Activation::Softmax => v,
        Activation::Relu => v.max(0.0),
        Activation::Sigmoid => sigmoid(v),
        Activation::Tanh => v.tanh(),
        Activation::Relu6 => relu6(v),
        Activation::LeakyRelu => {
            if v > 0.0 {
                v
            } else {
                0.2 * v
            }
        }
        Activation::Elu => {
            if v < 0.0 {
                v.exp_m1()
            } else {
                v
            }
        }
        Activation::Selu => {
            if v < 0.0 {
                scale * alpha * v.exp_m1()
            } else {
                scale * v
            }
        }
        Activation::Softplus => v.exp().ln_1p(),
        Activation::Softsign => v / (1.0 + v.abs()),
        Activation::Silu => v * sigmoid(v),
        Activation::Gelu => 0.5 * v * libm::erfc(-v / std::f64::consts::SQRT_2),
        Activation::HardSigmoid => relu6(v + 3.0) / 6.0,
        Activation::HardSilu => v * relu6(v + 3.0) / 6.0,
        Activation::Exponential => v.exp(),
    }
}

fn network() -> impl Strategy<Value = (Vec<f32>, Vec<Layer>)> {
    (
        1usize..=8,
        prop::collection::vec((1usize..=8, activation()), 1..=4),
    )
        .prop_flat_map(|(input, shapes)| {
            let mut fan_in = input;
            let layers: Vec<_> = shapes
                .into_iter()
                .map(|(units, activation)| {
                    let n = units * fan_in;
                    fan_in = units;
                    (
                        prop::collection::vec(-2.0f32..2.0, n),
                        prop::collection::vec(-1.0f32..1.0, units),
                    )
                        .prop_map(move |(kernel, bias)| Layer {
                            units,
                            activation,
                            kernel,
                            bias,
                        })
                })
                .collect();
            (prop::collection::vec(-3.0f32..3.0, input), layers)
        })
}

fn reference(x: &[f32], layers: &[Layer]) -> Vec<f64> {
    let mut h: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    for l in layers {
        let mut z: Vec<f64> = (0..l.units)
            .map(|j| {
                let row = &l.kernel[j * h.len()..(j + 1) * h.len()];
                h.iter().zip(row).map(|(a, &w)| a * w as f64).sum::<f64>() + l.bias[j] as f64
            })
            .collect();
        z.iter_mut().for_each(|v| *v = unit(l.activation, *v));
        if l.activation == Activation::Softmax {
            let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
            z.iter_mut().for_each(|v| *v = (*v - max).exp() / sum);
        }
        h = z;
    }
    h
}

proptest! {
    #[test]
    fn forward_pass_matches_f64_reference((x, layers) in network()) {
        let mut h = x.clone();
        for l in &layers {
            let mut out = vec![0.0f32; l.units];
            kernel::dense(&h, &l.kernel, &l.bias, l.activation, &mut out);
            h = out;
        }
        let r = reference(&x, &layers);
        for (got, want) in h.iter().zip(&r) {
            prop_assert!((*got as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
                "got {got}, want {want}");
        }
    }
}
