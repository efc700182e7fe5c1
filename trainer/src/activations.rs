//! Activation functions on batches, forward and backward.
//!
//! The kind of activation is dendrite-core's [`Activation`] enum, so the trainer and the model
//! file share one vocabulary. The math here is the trainer's own batched version (rows are
//! samples), used for training speed; inference on exported models goes through dendrite-core.
//! The activations past the first five run dendrite-core's own function forward (the bits the
//! device computes); their derivatives ([`backward`]) take the inputs as well as the outputs,
//! since silu, gelu and hard_silu are not functions of their outputs.

use crate::error::{Error, Result};
use crate::Activation;
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};

/// The names [`parse`] accepts, for error messages.
const NAMES: &str = "linear, relu, sigmoid, tanh, softmax, relu6, leaky_relu, elu, selu, \
                     softplus, softsign, silu (or swish), gelu, hard_sigmoid, \
                     hard_silu (or hard_swish), exponential";

/// The activation Keras calls `name`.
///
/// # Errors
/// [`Error::UnknownName`] for a name Keras' activations (as far as Dendrite supports them) lack.
///
/// # Examples
/// ```
/// use dendrite_trainer::activations::parse;
/// use dendrite_trainer::Activation;
/// assert_eq!(parse("relu")?, Activation::Relu);
/// assert_eq!(parse("swish")?, Activation::Silu);
/// assert!(parse("mish").is_err());
/// # Ok::<(), dendrite_trainer::Error>(())
/// ```
pub fn parse(name: &str) -> Result<Activation> {
    Activation::from_name(name).ok_or_else(|| Error::UnknownName {
        kind: "activation",
        name: name.to_owned(),
        expected: NAMES,
    })
}

/// Applies `activation` in place to every row of `z`.
///
/// # Shapes
/// `z`: `(batch, units)`; softmax normalizes each row.
pub fn forward(activation: Activation, mut z: ArrayViewMut2<'_, f32>) {
    match activation {
        Activation::Linear => {}
        Activation::Relu => z.mapv_inplace(|v| if v > 0.0 { v } else { 0.0 }),
        Activation::Sigmoid => z.mapv_inplace(|v| 1.0 / (1.0 + (-v).exp())),
        Activation::Tanh => z.mapv_inplace(f32::tanh),
        Activation::Softmax => z.axis_iter_mut(Axis(0)).for_each(|mut row| {
            let row = row
                .as_slice_mut()
                .expect("batch buffers are standard layout");
            softmax_row(row);
        }),
        // The element-wise activations past the first five run dendrite-core's own function,
        // so training sees the bits inference computes.
        _ => z.mapv_inplace(|v| {
            let mut one = [v];
            activation.apply(&mut one);
            one[0]
        }),
    }
}

/// Softmax of one row, with the maximum subtracted so `exp` never overflows.
fn softmax_row(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

/// Turns the gradient with respect to an activation's outputs into the gradient with respect to
/// its inputs, in place, from its inputs `z` and outputs `a` (`a = f(z)`): each derivative is
/// written with whichever is cheaper (sigmoid's from `a`, gelu's from `z`).
///
/// As TensorFlow's gradients, at a kink: relu, relu6, hard_sigmoid and hard_silu take the
/// derivative of the flat side (0, or 1 for hard_silu at 3), leaky_relu and selu that of the
/// negative side at 0.
///
/// # Shapes
/// `z`, `a` and `delta`: `(batch, units)`.
pub fn backward(
    activation: Activation,
    z: ArrayView2<'_, f32>,
    a: ArrayView2<'_, f32>,
    mut delta: ArrayViewMut2<'_, f32>,
) {
    if let Some(derivative) = derivative(activation) {
        Zip::from(&mut delta)
            .and(&z)
            .and(&a)
            .for_each(|d, &z, &a| *d *= derivative(z, a));
        return;
    }
    let zip = Zip::from(&mut delta).and(&a);
    match activation {
        Activation::Linear => {}
        // Keras' relu gradient at exactly 0 is 0, as here (a > 0 ⇔ z > 0).
        Activation::Relu => zip.for_each(|d, &a| *d = if a > 0.0 { *d } else { 0.0 }),
        Activation::Sigmoid => zip.for_each(|d, &a| *d *= a * (1.0 - a)),
        Activation::Tanh => zip.for_each(|d, &a| *d *= 1.0 - a * a),
        // dz_i = a_i (d_i - Σ_j d_j a_j): the softmax Jacobian applied row by row.
        Activation::Softmax => Zip::from(delta.rows_mut())
            .and(a.rows())
            .for_each(|mut d, a| {
                let dot = d.dot(&a);
                d.zip_mut_with(&a, |d, &a| *d = a * (*d - dot));
            }),
        _ => unreachable!("every other activation has an element-wise derivative"),
    }
}

/// `f'(z)` of an element-wise activation past the first five, from `z` and `a = f(z)`.
pub(crate) fn derivative(activation: Activation) -> Option<fn(f32, f32) -> f32> {
    use dendrite_core::{LEAKY_RELU_SLOPE, SELU_SCALE, SELU_SCALE_ALPHA};
    let f: fn(f32, f32) -> f32 = match activation {
        Activation::Relu6 => |z, _| if z > 0.0 && z < 6.0 { 1.0 } else { 0.0 },
        Activation::LeakyRelu => |z, _| if z > 0.0 { 1.0 } else { LEAKY_RELU_SLOPE },
        // exp(z) = a + 1 below 0.
        Activation::Elu => |z, a| if z < 0.0 { a + 1.0 } else { 1.0 },
        Activation::Selu => |z, a| {
            if z < 0.0 {
                a + SELU_SCALE_ALPHA
            } else {
                SELU_SCALE
            }
        },
        // sigmoid(z).
        Activation::Softplus => |z, _| 1.0 / (1.0 + libm::expf(-z)),
        Activation::Softsign => |z, _| {
            let d = 1.0 + z.abs();
            1.0 / (d * d)
        },
        Activation::Silu => |z, _| {
            let s = 1.0 / (1.0 + libm::expf(-z));
            s * (1.0 + z * (1.0 - s))
        },
        // Φ(z) + z φ(z).
        Activation::Gelu => |z, _| {
            let cdf = 0.5 * libm::erfcf(-z * std::f32::consts::FRAC_1_SQRT_2);
            let pdf = libm::expf(-0.5 * z * z) * FRAC_1_SQRT_2PI;
            cdf + z * pdf
        },
        Activation::HardSigmoid => |z, _| if z > -3.0 && z < 3.0 { 1.0 / 6.0 } else { 0.0 },
        Activation::HardSilu => |z, _| {
            if z <= -3.0 {
                0.0
            } else if z < 3.0 {
                (2.0 * z + 3.0) / 6.0
            } else {
                1.0
            }
        },
        Activation::Exponential => |_, a| a,
        Activation::Linear
        | Activation::Relu
        | Activation::Sigmoid
        | Activation::Tanh
        | Activation::Softmax => return None,
    };
    Some(f)
}

/// `1 / √(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ndarray::{array, Array2};

    /// f64 reference of one activation applied to one row.
    fn reference(activation: Activation, z: &[f64]) -> Vec<f64> {
        match activation {
            Activation::Linear => z.to_vec(),
            Activation::Relu => z.iter().map(|v| v.max(0.0)).collect(),
            Activation::Sigmoid => z.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
            Activation::Tanh => z.iter().map(|v| v.tanh()).collect(),
            Activation::Softmax => {
                let e: Vec<f64> = z.iter().map(|v| v.exp()).collect();
                let s: f64 = e.iter().sum();
                e.iter().map(|v| v / s).collect()
            }
            other => z.iter().map(|&v| unit64(other, v)).collect(),
        }
    }

    /// Keras' formula of an element-wise activation past the first five, in f64.
    pub(crate) fn unit64(activation: Activation, z: f64) -> f64 {
        let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
        let relu6 = |v: f64| v.clamp(0.0, 6.0);
        let (scale, alpha) = (1.050_700_987_355_480_5, 1.673_263_242_354_377_3);
        match activation {
            Activation::Relu6 => relu6(z),
            Activation::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    0.2 * z
                }
            }
            Activation::Elu => {
                if z < 0.0 {
                    z.exp_m1()
                } else {
                    z
                }
            }
            Activation::Selu => {
                if z < 0.0 {
                    scale * alpha * z.exp_m1()
                } else {
                    scale * z
                }
            }
            Activation::Softplus => z.exp().ln_1p(),
            Activation::Softsign => z / (1.0 + z.abs()),
            Activation::Silu => z * sigmoid(z),
            Activation::Gelu => 0.5 * z * libm::erfc(-z / std::f64::consts::SQRT_2),
            Activation::HardSigmoid => relu6(z + 3.0) / 6.0,
            Activation::HardSilu => z * relu6(z + 3.0) / 6.0,
            Activation::Exponential => z.exp(),
            other => unreachable!("{other} is not element-wise past the first five"),
        }
    }

    /// The backward pass against central finite differences of the f64 reference, for the
    /// scalar function L(z) = Σ_i c_i f(z)_i. Tolerance 1e-3 relative to the gradient's scale:
    /// the backward pass runs in f32, the differences in f64 with step 1e-5.
    #[test]
    fn every_activation_gradient_matches_finite_differences() {
        // Away from every kink (0, ±3, 6), on both sides of each.
        let z = [-1.3f64, -0.2, 0.4, 1.7];
        let z_far = [-4.5f64, -3.4, 3.2, 6.5];
        let c = [0.3f32, -1.2, 0.8, 0.5];
        for z in [z, z_far] {
            for activation in Activation::ALL {
                let zf: Array2<f32> = Array2::from_shape_fn((1, 4), |(_, j)| z[j] as f32);
                let mut a = zf.clone();
                forward(activation, a.view_mut());
                let mut delta = Array2::from_shape_fn((1, 4), |(_, j)| c[j]);
                backward(activation, zf.view(), a.view(), delta.view_mut());
                for i in 0..4 {
                    let h = 1e-5;
                    let loss = |shift: f64| {
                        let mut zz = z.to_vec();
                        zz[i] += shift;
                        let out = reference(activation, &zz);
                        out.iter().zip(c).map(|(o, c)| o * c as f64).sum::<f64>()
                    };
                    let numeric = (loss(h) - loss(-h)) / (2.0 * h);
                    let got = delta[[0, i]] as f64;
                    assert!(
                        (got - numeric).abs() < 1e-3 * (1.0 + numeric.abs()),
                        "{activation}: d/dz{i} = {got}, finite differences say {numeric}"
                    );
                }
            }
        }
    }

    #[test]
    fn forward_matches_f64_reference() {
        let z = [-3.0f64, -0.5, 0.0, 2.5];
        for activation in Activation::ALL {
            let mut a = Array2::from_shape_fn((1, 4), |(_, j)| z[j] as f32);
            forward(activation, a.view_mut());
            for (got, want) in a.iter().zip(reference(activation, &z)) {
                assert!(
                    (*got as f64 - want).abs() < 1e-6,
                    "{activation}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn softmax_rows_sum_to_one_even_for_huge_logits() {
        let mut z = array![[1000.0f32, 999.0], [-5.0, 5.0]];
        forward(Activation::Softmax, z.view_mut());
        for row in z.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn parse_names_the_choices_on_error() {
        let err = parse("mish").unwrap_err().to_string();
        assert!(err.contains("mish") && err.contains("gelu"), "{err}");
        for a in Activation::ALL {
            assert!(NAMES.contains(a.name()), "{a} missing from the names");
            assert_eq!(parse(a.name()).unwrap(), a);
        }
    }

    #[test]
    fn forward_is_dendrite_cores_bits() {
        let z: Vec<f32> = (-40..=40).map(|i| i as f32 * 0.23).collect();
        for activation in Activation::ALL
            .into_iter()
            .filter(|a| derivative(*a).is_some())
        {
            let mut batch = Array2::from_shape_vec((9, 9), z.clone()).unwrap();
            forward(activation, batch.view_mut());
            let mut core = z.clone();
            activation.apply(&mut core);
            let got: Vec<u32> = batch.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, core.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        }
    }
}
