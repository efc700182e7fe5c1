//! The arithmetic of inference, over slices: one dense layer, one standardization.
//!
//! These functions are the only place where Dendrite multiplies weights at inference time. The
//! host's runtime-shaped model calls them directly; the target's compile-time-shaped
//! [`Dense`](crate::Dense) calls them on its arrays. Same code, same summation order, same bits.

use crate::Activation;

/// One unit's pre-activation: `Σ_i x_i · w_i + bias`, summed left to right, never fused.
///
/// The sum starts at `-0.0`, the identity of float addition, so the compiler can drop the first
/// addition without changing any result.
#[inline(always)]
pub fn neuron(x: &[f32], w: &[f32], bias: f32) -> f32 {
    let mut acc = -0.0f32;
    for (xi, wi) in x.iter().zip(w) {
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
    fn standardize_divides_by_std() {
        let mut x = [3.0f32, -1.0];
        standardize(&mut x, &[1.0, 1.0], &[2.0, 0.5]);
        assert_eq!(x, [1.0, -4.0]);
    }
}
