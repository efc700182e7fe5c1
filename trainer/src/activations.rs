//! Activation functions on batches, forward and backward.
//!
//! The kind of activation is dendrite-core's [`Activation`] enum, so the trainer and the model
//! file share one vocabulary. The math here is the trainer's own batched version (rows are
//! samples), used for training speed; inference on exported models goes through dendrite-core.

use crate::error::{Error, Result};
use crate::Activation;
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};

/// The names [`parse`] accepts, for error messages.
const NAMES: &str = "linear, relu, sigmoid, tanh, softmax";

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
/// assert!(parse("gelu").is_err());
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
/// its inputs, in place, using only the outputs `a` (every supported activation's derivative is
/// a function of its output).
///
/// # Shapes
/// `a` and `delta`: `(batch, units)`.
pub fn backward(activation: Activation, a: ArrayView2<'_, f32>, mut delta: ArrayViewMut2<'_, f32>) {
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
    }
}

#[cfg(test)]
mod tests {
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
        }
    }

    /// The backward pass against central finite differences of the f64 reference, for the
    /// scalar function L(z) = Σ_i c_i f(z)_i. Tolerance 1e-3 relative to the gradient's scale:
    /// the backward pass runs in f32, the differences in f64 with step 1e-5.
    #[test]
    fn every_activation_gradient_matches_finite_differences() {
        let z = [-1.3f64, -0.2, 0.4, 1.7];
        let c = [0.3f32, -1.2, 0.8, 0.5];
        for activation in Activation::ALL {
            let zf: Array2<f32> = Array2::from_shape_fn((1, 4), |(_, j)| z[j] as f32);
            let mut a = zf.clone();
            forward(activation, a.view_mut());
            let mut delta = Array2::from_shape_fn((1, 4), |(_, j)| c[j]);
            backward(activation, a.view(), delta.view_mut());
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
        let err = parse("gelu").unwrap_err().to_string();
        assert!(err.contains("gelu") && err.contains("softmax"), "{err}");
    }
}
