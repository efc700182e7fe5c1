//! The arithmetic of inference, over slices: one dense layer, one standardization.
//!
//! These functions are the only place where Dendrite multiplies weights at inference time. The
//! host's runtime-shaped model calls them directly; the target's compile-time-shaped
//! [`Dense`](crate::Dense) calls them on its arrays. Same code, same summation order, same bits.

use crate::Activation;

/// The fan-in from which [`neuron`] takes its products four at a time. Below it a compiler
/// unrolls the plain loop over a width known at compile time whole, which is faster still.
const WIDE: usize = 64;

/// One unit's pre-activation: `Σ_i x_i · w_i + bias`, summed left to right, never fused.
///
/// The sum starts at `-0.0`, the identity of float addition, so the compiler can drop the first
/// addition without changing any result.
///
/// From a fan-in of 64 (`WIDE`) the products are taken four at a time, still added one by one in
/// order (the same bits as the plain loop): a loop over a wide layer then loads each group of
/// weights from one address and counts once per four multiply-adds, a third fewer instructions
/// per inference on a Cortex-M4F (BENCHMARKS.md).
#[inline(always)]
pub fn neuron(x: &[f32], w: &[f32], bias: f32) -> f32 {
    // Equal lengths, so the groups of four and the rest line up (extra elements are ignored).
    let n = x.len().min(w.len());
    let ((x, _), (w, _)) = (x.split_at(n), w.split_at(n));
    let mut acc = -0.0f32;
    if n < WIDE {
        for (xi, wi) in x.iter().zip(w) {
            acc += xi * wi;
        }
        return acc + bias;
    }
    let ((x4, x_rest), (w4, w_rest)) = (x.as_chunks::<4>(), w.as_chunks::<4>());
    for (xs, ws) in x4.iter().zip(w4) {
        acc += xs[0] * ws[0];
        acc += xs[1] * ws[1];
        acc += xs[2] * ws[2];
        acc += xs[3] * ws[3];
    }
    for (xi, wi) in x_rest.iter().zip(w_rest) {
        acc += xi * wi;
    }
    acc + bias
}

/// A dense layer followed by its activation: `out = activation(kernel · x + bias)`.
///
/// # Shapes
/// `x`: `IN`; `kernel`: `OUT × IN`, row-major (row `j` holds the weights into unit `j`, the
/// transpose of Keras' `(IN, OUT)` kernel); `bias` and `out`: `OUT`. Extra elements of any slice
/// are ignored; callers get shapes right by construction (the model file is validated, the
/// target's layers are typed).
///
/// # Examples
/// ```
/// use dendrite_core::{kernel::dense, Activation};
/// let kernel = [1.0, 2.0, -1.0, 0.5]; // 2 units × 2 inputs
/// let mut out = [0.0; 2];
/// dense(&[3.0, 1.0], &kernel, &[0.5, 0.0], Activation::Relu, &mut out);
/// assert_eq!(out, [5.5, 0.0]);
/// ```
#[inline(always)]
pub fn dense(x: &[f32], kernel: &[f32], bias: &[f32], activation: Activation, out: &mut [f32]) {
    affine(x, kernel, bias, out);
    activation.apply(out);
}

/// The pre-activations of a dense layer: `out = kernel · x + bias`, each unit a [`neuron`].
///
/// [`dense`] is this followed by the activation; the target's typed layers call it with the
/// activation fixed by their type ([`act`](crate::act)). Shapes as for [`dense`].
#[inline(always)]
pub fn affine(x: &[f32], kernel: &[f32], bias: &[f32], out: &mut [f32]) {
    // `max(1)`: a zero-width input has no rows to walk (and `chunks_exact(0)` would panic).
    let rows = kernel.chunks_exact(x.len().max(1));
    for ((o, row), &b) in out.iter_mut().zip(rows).zip(bias) {
        *o = neuron(x, row, b);
    }
}

/// Standardizes raw inputs in place: `x_i = (x_i - mean_i) / std_i`.
///
/// Storing the standardization in the model lets the device take raw sensor values.
#[inline(always)]
pub fn standardize(x: &mut [f32], mean: &[f32], std: &[f32]) {
    for ((v, &m), &s) in x.iter_mut().zip(mean).zip(std) {
        *v = standardized(*v, m, s);
    }
}

/// One raw input value standardized: `(x - mean) / std`, the step [`standardize`] takes.
#[inline(always)]
pub fn standardized(x: f32, mean: f32, std: f32) -> f32 {
    (x - mean) / std
}

/// Whether [`standardize`] with `mean` and `std` changes anything: false when every mean is 0
/// and every std is 1, where skipping the step is bit-exact (`(x - 0) / 1 == x`) and saves a
/// subtraction and a division per input.
///
/// Bit comparisons (float `==` is not `const`): a mean of -0.0 is not skipped, since
/// `x - -0.0` turns an input of -0.0 into +0.0.
///
/// ```
/// use dendrite_core::kernel::standardizes;
/// assert!(!standardizes(&[0.0, 0.0], &[1.0, 1.0]));
/// assert!(standardizes(&[-0.0, 0.0], &[1.0, 1.0]));
/// ```
pub const fn standardizes(mean: &[f32], std: &[f32]) -> bool {
    let mut standardize = false;
    let (mut m, mut s) = (mean, std);
    while let ([mi, m_rest @ ..], [si, s_rest @ ..]) = (m, s) {
        standardize |= mi.to_bits() != 0 || si.to_bits() != 1.0f32.to_bits();
        (m, s) = (m_rest, s_rest);
    }
    standardize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_sums_in_order_then_adds_bias() {
        // 1e8 + 1 - 1e8 in f32 is 0 when summed left to right: the order is part of the contract.
        let mut out = [0.0f32];
        dense(
            &[1e8, 1.0, -1e8],
            &[1.0, 1.0, 1.0],
            &[0.25],
            Activation::Linear,
            &mut out,
        );
        assert_eq!(out[0], 0.25);
    }

    #[test]
    fn neuron_adds_the_products_in_order_for_every_length() {
        // Products of very different sizes: any other order of additions rounds differently.
        let x: Vec<f32> = (0..23)
            .map(|i| (1.7f32).powi(i % 11) * if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let w: Vec<f32> = (0..23).map(|i| 1.0 / (i as f32 + 0.3)).collect();
        for n in 0..=x.len() {
            let mut expected = -0.0f32;
            for i in 0..n {
                expected += x[i] * w[i];
            }
            expected += 0.125;
            assert_eq!(
                neuron(&x[..n], &w[..n], 0.125).to_bits(),
                expected.to_bits(),
                "{n}"
            );
            // Extra weights are ignored, as extra inputs are.
            assert_eq!(
                neuron(&x[..n], &w, 0.125).to_bits(),
                expected.to_bits(),
                "{n}"
            );
            assert_eq!(
                neuron(&x, &w[..n], 0.125).to_bits(),
                expected.to_bits(),
                "{n}"
            );
        }
    }

    #[test]
    fn standardize_divides_by_std() {
        let mut x = [3.0f32, -1.0];
        standardize(&mut x, &[1.0, 1.0], &[2.0, 0.5]);
        assert_eq!(x, [1.0, -4.0]);
    }
}
