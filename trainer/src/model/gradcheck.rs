//! Every layer's, activation's and loss's gradient, through the whole training engine, against
//! central finite differences of a naive f64 forward pass.
//!
//! Tolerance: |engine − numeric| ≤ 2e-3 · (|numeric| + 1e-2). The engine runs in f32 (relative
//! error ~1e-6 per operation); the differences use f64 with step 1e-4, so their own error is
//! ~1e-8. Inputs keep relu away from its kink.

use super::engine::Workspace;
use super::Sequential;
use crate::layers::{ActivationLayer, Dense, Dropout, Layer, Regularizer};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optimizers::Optimizer;
use crate::utils::set_random_seed;
use crate::Initializer;
use dendrite_core::Activation::{self, Linear, Relu, Sigmoid, Softmax, Tanh};
use ndarray::{Array2, Axis};

fn act64(a: Activation, row: &mut [f64]) {
    match a {
        Linear => {}
        Relu => row.iter_mut().for_each(|v| *v = v.max(0.0)),
        Sigmoid => row.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        Tanh => row.iter_mut().for_each(|v| *v = v.tanh()),
        Softmax => {
            let s: f64 = row.iter().map(|v| v.exp()).sum();
            row.iter_mut().for_each(|v| *v = v.exp() / s);
        }
        other => row
            .iter_mut()
            .for_each(|v| *v = crate::activations::tests::unit64(other, *v)),
    }
}

/// f64 weights of the Dense layers: kernel `(in, units)` row-major, bias.
type Weights = Vec<(Vec<f64>, Vec<f64>)>;

/// What the training pass fixed besides the weights: the Dropout masks it drew (per Dropout
/// layer, `n × width` row-major) and the samples' weights.
struct Fixed<'a> {
    masks: &'a [Vec<f32>],
    sample_weights: Option<&'a [f32]>,
}

/// The batch-mean loss of `layers` with `weights`, all in f64, no clipping: each sample's loss
/// times its weight, summed, over the batch size, plus the regularization penalties (Keras).
fn loss64(
    layers: &[Layer],
    weights: &Weights,
    loss: Loss,
    (x, y): (&Array2<f32>, &Array2<f32>),
    fixed: &Fixed<'_>,
) -> f64 {
    let mut total = 0.0;
    for (r, (xr, yr)) in x.rows().into_iter().zip(y.rows()).enumerate() {
        let mut a: Vec<f64> = xr.iter().map(|&v| v as f64).collect();
        let (mut k, mut slot) = (0, 0);
        for layer in layers {
            let act = match layer {
                Layer::Dropout(_) => {
                    let w = a.len();
                    let mask = &fixed.masks[slot][r * w..(r + 1) * w];
                    slot += 1;
                    a.iter_mut().zip(mask).for_each(|(v, &m)| *v *= m as f64);
                    continue;
                }
                Layer::Dense(d) => {
                    let (w, b) = &weights[k];
                    k += 1;
                    let fan_in = a.len();
                    a = (0..d.units)
                        .map(|j| b[j] + (0..fan_in).map(|i| a[i] * w[i * d.units + j]).sum::<f64>())
                        .collect();
                    d.activation
                }
                Layer::Activation(l) => l.activation,
            };
            act64(act, &mut a);
        }
        let y: Vec<f64> = yr.iter().map(|&v| v as f64).collect();
        let units = a.len() as f64;
        let sample_weight = fixed.sample_weights.map_or(1.0, |w| w[r] as f64);
        total += sample_weight
            * match loss {
                Loss::CategoricalCrossentropy => {
                    -a.iter().zip(&y).map(|(p, y)| y * p.ln()).sum::<f64>()
                }
                Loss::BinaryCrossentropy => {
                    let s: f64 = a
                        .iter()
                        .zip(&y)
                        .map(|(p, y)| y * p.ln() + (1.0 - y) * (1.0 - p).ln())
                        .sum();
                    -s / units
                }
                Loss::MeanSquaredError => {
                    a.iter().zip(&y).map(|(p, y)| (p - y).powi(2)).sum::<f64>() / units
                }
                Loss::MeanAbsoluteError => {
                    a.iter().zip(&y).map(|(p, y)| (p - y).abs()).sum::<f64>() / units
                }
                Loss::Huber => {
                    let h = |d: f64| {
                        if d.abs() <= 1.0 {
                            0.5 * d * d
                        } else {
                            d.abs() - 0.5
                        }
                    };
                    a.iter().zip(&y).map(|(p, y)| h(p - y)).sum::<f64>() / units
                }
            };
    }
    let mut penalty = 0.0;
    let denses = layers.iter().filter_map(|l| match l {
        Layer::Dense(d) => Some(d),
        _ => None,
    });
    for (d, (w, b)) in denses.zip(weights) {
        for (r, v) in [(d.kernel_regularizer, w), (d.bias_regularizer, b)] {
            if let Some(r) = r {
                let l1: f64 = v.iter().map(|v| v.abs()).sum();
                let l2: f64 = v.iter().map(|v| v * v).sum();
                penalty += r.l1 as f64 * l1 + r.l2 as f64 * l2;
            }
        }
    }
    total / x.nrows() as f64 + penalty
}

fn check(layers: Vec<Layer>, loss: Loss, outputs: usize) {
    check_with(layers, loss, outputs, None);
}

/// As [`check`], through a training pass (Dropout draws its masks, then they are held fixed)
/// with `sample_weights` when given.
fn check_with(layers: Vec<Layer>, loss: Loss, outputs: usize, sample_weights: Option<&[f32]>) {
    let mut model = Sequential::new();
    for layer in layers {
        model.add(layer).unwrap();
    }
    model
        .compile(
            Optimizer::from_name("sgd").unwrap(),
            loss,
            &[Metric::Accuracy],
        )
        .unwrap();
    let mut rng = set_random_seed(5);
    model.build(&mut rng).unwrap();
    let n = 6;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * 3 + j) as f32 * 0.37).sin() * 1.5);
    let y = Array2::from_shape_fn((n, outputs), |(i, j)| match loss {
        Loss::CategoricalCrossentropy => f32::from(u8::from(i % outputs == j)),
        Loss::BinaryCrossentropy => f32::from(u8::from((i + j) % 2 == 0)),
        _ => ((i + 2 * j) as f32 * 0.7).cos() * 1.5 + 0.5,
    });
    let mut ws = Workspace::new(&model.layers, 3, n, outputs);
    let indices: Vec<usize> = (0..n).collect();
    ws.load(x.view(), y.view(), &indices, sample_weights);
    ws.forward_train(&model.layers, n, &mut rng);
    ws.backward(&model.layers, loss, n);
    let fixed = Fixed {
        masks: ws.masks(),
        sample_weights,
    };

    let weights: Weights = model
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Dense(d) => Some((
                d.kernel.iter().map(|&v| v as f64).collect(),
                d.bias.iter().map(|&v| v as f64).collect(),
            )),
            Layer::Activation(_) | Layer::Dropout(_) => None,
        })
        .collect();
    for (k, (dw, db)) in ws.gradients().iter().enumerate() {
        let analytic = [dw.to_vec(), db.to_vec()];
        for (which, grads) in analytic.iter().enumerate() {
            for (i, &got) in grads.iter().enumerate() {
                let h = 1e-4;
                let at = |shift: f64| {
                    let mut w = weights.clone();
                    let v = if which == 0 { &mut w[k].0 } else { &mut w[k].1 };
                    v[i] += shift;
                    loss64(&model.layers, &w, loss, (&x, &y), &fixed)
                };
                let numeric = (at(h) - at(-h)) / (2.0 * h);
                let got = got as f64;
                assert!(
                    (got - numeric).abs() <= 2e-3 * (numeric.abs() + 1e-2),
                    "{loss:?}, dense {k}, {} {i}: engine {got}, finite differences {numeric}",
                    if which == 0 { "kernel" } else { "bias" }
                );
            }
        }
    }
    assert_eq!(x.len_of(Axis(0)), n);
}

fn dense(units: usize, activation: Activation) -> Layer {
    Dense::new(units)
        .activation(activation)
        .kernel_initializer(Initializer::RandomNormal {
            mean: 0.0,
            stddev: 0.8,
        })
        .bias_initializer(Initializer::RandomUniform {
            minval: -0.3,
            maxval: 0.3,
        })
        .into()
}

fn first(units: usize, activation: Activation) -> Layer {
    match dense(units, activation) {
        Layer::Dense(d) => d.input_dim(3).into(),
        other => other,
    }
}

#[test]
fn mse_gradient_through_every_activation_matches_finite_differences() {
    check(
        vec![
            first(5, Relu),
            dense(4, Tanh),
            ActivationLayer::new(Sigmoid).into(),
            dense(3, Linear),
            ActivationLayer::new(Softmax).into(),
        ],
        Loss::MeanSquaredError,
        3,
    );
}

/// The activations past the first five, each in a Dense layer and as an Activation layer:
/// their derivatives (from the inputs and outputs the engine keeps) against the f64 formulas.
/// Each occurs once per model: two exponentials in a row overflow.
#[test]
fn mse_gradient_through_every_new_activation_matches_finite_differences() {
    for activation in Activation::ALL.into_iter().skip(5) {
        check(
            vec![first(5, activation), dense(2, Linear)],
            Loss::MeanSquaredError,
            2,
        );
        check(
            vec![
                first(4, Tanh),
                dense(3, Linear),
                ActivationLayer::new(activation).into(),
                dense(2, Linear),
            ],
            Loss::MeanSquaredError,
            2,
        );
    }
}

#[test]
fn regression_loss_gradients_match_finite_differences() {
    for loss in [Loss::MeanAbsoluteError, Loss::Huber] {
        check(vec![first(5, Tanh), dense(2, Linear)], loss, 2);
    }
}

#[test]
fn categorical_crossentropy_fused_with_softmax_matches_finite_differences() {
    check(
        vec![first(4, Relu), dense(3, Softmax)],
        Loss::CategoricalCrossentropy,
        3,
    );
    check(
        vec![
            first(4, Tanh),
            dense(2, Linear),
            ActivationLayer::new(Softmax).into(),
        ],
        Loss::CategoricalCrossentropy,
        2,
    );
}

#[test]
fn binary_crossentropy_fused_with_sigmoid_matches_finite_differences() {
    check(
        vec![first(4, Tanh), dense(2, Sigmoid)],
        Loss::BinaryCrossentropy,
        2,
    );
    check(
        vec![first(3, Sigmoid), dense(1, Sigmoid)],
        Loss::BinaryCrossentropy,
        1,
    );
}

#[test]
fn dropout_gradient_with_its_mask_held_fixed_matches_finite_differences() {
    let layers = vec![
        first(6, Relu),
        Dropout::new(0.4).unwrap().into(),
        dense(5, Tanh),
        Dropout::new(0.25).unwrap().into(),
        dense(3, Softmax),
    ];
    check(layers, Loss::CategoricalCrossentropy, 3);
}

#[test]
fn dropout_masks_drop_and_scale_as_keras() {
    let mut model = Sequential::new();
    model.add(first(40, Relu)).unwrap();
    model.add(Dropout::new(0.25).unwrap()).unwrap();
    model.add(dense(2, Softmax)).unwrap();
    let mut rng = set_random_seed(3);
    model.build(&mut rng).unwrap();
    let n = 50;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| (i * 3 + j) as f32 * 0.1);
    let y = Array2::from_shape_fn((n, 2), |(i, j)| f32::from(u8::from(i % 2 == j)));
    let mut ws = Workspace::new(&model.layers, 3, n, 2);
    let indices: Vec<usize> = (0..n).collect();
    ws.load(x.view(), y.view(), &indices, None);
    ws.forward_train(&model.layers, n, &mut rng);
    let mask = &ws.masks()[0][..n * 40];
    assert!(mask.iter().all(|&m| m == 0.0 || m == 1.0 / 0.75));
    let dropped = mask.iter().filter(|&&m| m == 0.0).count() as f64 / mask.len() as f64;
    assert!((dropped - 0.25).abs() < 0.03, "dropped {dropped}");
    // Inference is the identity: the same predictions as without the layer.
    ws.forward(&model.layers, n);
    let predicted = model.predict(&x).unwrap();
    let mut plain = model.clone();
    plain.layers.remove(1);
    assert_eq!(predicted, plain.predict(&x).unwrap());
}

#[test]
fn l1_and_l2_regularizer_gradients_match_finite_differences() {
    let layers = vec![
        match first(5, Tanh) {
            Layer::Dense(d) => d
                .kernel_regularizer(Regularizer::l2(0.05))
                .bias_regularizer(Regularizer::l1(0.02))
                .into(),
            other => other,
        },
        match dense(3, Softmax) {
            Layer::Dense(d) => d.kernel_regularizer(Regularizer::l1_l2(0.01, 0.03)).into(),
            other => other,
        },
    ];
    check(layers, Loss::CategoricalCrossentropy, 3);
}

#[test]
fn class_weighted_gradient_matches_finite_differences() {
    let weights = [3.0, 0.5, 1.0, 2.0, 0.25, 1.5];
    let layers = vec![
        first(4, Relu),
        Dropout::new(0.3).unwrap().into(),
        dense(3, Softmax),
    ];
    check_with(layers, Loss::CategoricalCrossentropy, 3, Some(&weights));
    check_with(
        vec![first(4, Tanh), dense(2, Linear)],
        Loss::MeanSquaredError,
        2,
        Some(&weights),
    );
}
