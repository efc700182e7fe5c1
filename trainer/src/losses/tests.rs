//! Loss values against Keras' formulas, and gradients against finite differences.
//!
//! Gradient tolerance: 1e-3 relative (f32 analytic values against f64 central differences with
//! step 1e-5).

use super::*;
use crate::activations::{forward, Activation};
use ndarray::{array, Array2};

fn value(loss: Loss, p: Array2<f32>, y: Array2<f32>) -> f64 {
    loss.sum(p.view(), y.view()) / p.nrows() as f64
}

#[test]
fn categorical_crossentropy_is_minus_log_of_the_true_class() {
    let v = value(
        Loss::CategoricalCrossentropy,
        array![[0.7, 0.3], [0.2, 0.8]],
        array![[1.0, 0.0], [0.0, 1.0]],
    );
    let expected = -(0.7f64.ln() + 0.8f64.ln()) / 2.0;
    assert!((v - expected).abs() < 1e-6, "{v} vs {expected}");
}

#[test]
fn probabilities_are_clipped_like_keras() {
    // log(0) would be infinite; Keras clips to 1e-7 first: -ln(1e-7) = 16.118.
    let v = value(
        Loss::CategoricalCrossentropy,
        array![[0.0, 1.0]],
        array![[1.0, 0.0]],
    );
    assert!((v - 16.118_095).abs() < 1e-3, "{v}");
    let v = value(Loss::BinaryCrossentropy, array![[1.0]], array![[0.0]]);
    assert!(v.is_finite() && (v - 15.942).abs() < 0.01, "{v}");
}

#[test]
fn binary_crossentropy_and_mse_average_over_outputs() {
    let v = value(
        Loss::BinaryCrossentropy,
        array![[0.9, 0.4]],
        array![[1.0, 0.0]],
    );
    let expected = -(0.9f64.ln() + 0.6f64.ln()) / 2.0;
    assert!((v - expected).abs() < 1e-6);
    let v = value(
        Loss::MeanSquaredError,
        array![[1.0, 2.0], [0.0, 0.0]],
        array![[0.0, 0.0], [0.0, 1.0]],
    );
    assert!((v - (2.5 + 0.5) / 2.0).abs() < 1e-6, "{v}");
}

/// Batch-mean loss in f64, from logits through the fused activation when there is one.
fn reference(loss: Loss, z: &[f64], y: &[f64], rows: usize) -> f64 {
    let units = z.len() / rows;
    let mut total = 0.0;
    for (z, y) in z.chunks(units).zip(y.chunks(units)) {
        total += match loss {
            Loss::CategoricalCrossentropy => {
                let lse = z.iter().map(|v| v.exp()).sum::<f64>().ln();
                -z.iter().zip(y).map(|(z, y)| y * (z - lse)).sum::<f64>()
            }
            Loss::BinaryCrossentropy => {
                let p = z.iter().map(|v| 1.0 / (1.0 + (-v).exp()));
                -p.zip(y)
                    .map(|(p, y)| y * p.ln() + (1.0 - y) * (1.0 - p).ln())
                    .sum::<f64>()
                    / units as f64
            }
            Loss::MeanSquaredError => {
                z.iter().zip(y).map(|(p, y)| (p - y).powi(2)).sum::<f64>() / units as f64
            }
            Loss::MeanAbsoluteError => {
                z.iter().zip(y).map(|(p, y)| (p - y).abs()).sum::<f64>() / units as f64
            }
            Loss::Huber => {
                let h = |d: f64| {
                    if d.abs() <= 1.0 {
                        0.5 * d * d
                    } else {
                        d.abs() - 0.5
                    }
                };
                z.iter().zip(y).map(|(p, y)| h(p - y)).sum::<f64>() / units as f64
            }
        };
    }
    total / rows as f64
}

#[test]
fn gradients_match_finite_differences() {
    let z = [0.3f64, -1.1, 0.7, 2.0, -0.4, 0.1];
    let y = [0.0f64, 1.0, 0.0, 1.0, 0.0, 0.0];
    for loss in [
        Loss::CategoricalCrossentropy,
        Loss::BinaryCrossentropy,
        Loss::MeanSquaredError,
        Loss::MeanAbsoluteError,
        Loss::Huber,
    ] {
        let logits = Array2::from_shape_fn((2, 3), |(i, j)| z[i * 3 + j] as f32);
        let targets = Array2::from_shape_fn((2, 3), |(i, j)| y[i * 3 + j] as f32);
        let mut pred = logits.clone();
        forward(
            loss.fused_activation().unwrap_or(Activation::Linear),
            pred.view_mut(),
        );
        let mut grad = Array2::zeros((2, 3));
        loss.gradient(pred.view(), targets.view(), grad.view_mut());
        for i in 0..6 {
            let at = |h: f64| {
                let mut zz = z;
                zz[i] += h;
                reference(loss, &zz, &y, 2)
            };
            let numeric = (at(1e-5) - at(-1e-5)) / 2e-5;
            let got = f64::from(grad[[i / 3, i % 3]]);
            assert!(
                (got - numeric).abs() < 1e-3 * (numeric.abs() + 1e-3),
                "{loss:?}[{i}]: {got} vs {numeric}"
            );
        }
    }
}

#[test]
fn names_follow_keras() {
    assert_eq!(Loss::from_name("mse").unwrap(), Loss::MeanSquaredError);
    assert_eq!(Loss::from_name("mae").unwrap(), Loss::MeanAbsoluteError);
    for loss in [
        Loss::CategoricalCrossentropy,
        Loss::BinaryCrossentropy,
        Loss::MeanSquaredError,
        Loss::MeanAbsoluteError,
        Loss::Huber,
    ] {
        assert_eq!(Loss::from_name(loss.name()).unwrap(), loss);
    }
    assert!(Loss::from_name("hinge").is_err());
}

#[test]
fn regression_losses_follow_keras_formulas() {
    // Differences 0.5 and -3: MAE (0.5 + 3) / 2; Huber (0.125 + 2.5) / 2.
    let p = array![[1.5f32, -1.0]];
    let y = array![[1.0f32, 2.0]];
    assert!((value(Loss::MeanAbsoluteError, p.clone(), y.clone()) - 1.75).abs() < 1e-6);
    assert!((value(Loss::Huber, p, y) - 1.3125).abs() < 1e-6);
}
