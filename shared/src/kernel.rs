//! The arithmetic of inference, over slices: one dense layer, one standardization.
//!
//! These functions are the only place where Dendrite multiplies weights at inference time. The
//! host's runtime-shaped model calls them directly; the target's compile-time-shaped
//! [`Dense`](crate::Dense) calls them on its arrays. Same code, same summation order, same bits.

use crate::activation::act::Act;
use crate::Activation;

/// How many products [`neuron`] takes per turn of its loop over a wide layer.
const GROUP: usize = 16;

/// One unit's pre-activation: `Σ_i x_i · w_i + bias`, summed left to right, never fused.
///
/// The sum starts at `-0.0`, the identity of float addition, so the compiler can drop the first
/// addition without changing any result.
///
/// The products are written out in groups: a loop takes 16 at a time (`GROUP`), then the fewer
/// than 16 left are a group of 8, of 4, of 2 and of 1, each there or not. Every addition still
/// comes in order, one by one (the same bits as the plain loop), but for a width known at compile
/// time the code is straight-line at any optimization level: a compiler that optimizes for size
/// (`opt-level = "s"`) keeps a plain loop as a loop, a dozen instructions per multiply-add on a
/// Cortex-M4F, where the written-out groups take two or three (BENCHMARKS.md).
#[inline(always)]
pub fn neuron(x: &[f32], w: &[f32], bias: f32) -> f32 {
    // Equal lengths, so the groups line up (extra elements are ignored).
    let n = x.len().min(w.len());
    let ((x, _), (w, _)) = (x.split_at(n), w.split_at(n));
    let ((wide_x, x), (wide_w, w)) = (x.as_chunks::<GROUP>(), w.as_chunks::<GROUP>());
    let mut acc = -0.0f32;
    for (xs, ws) in wide_x.iter().zip(wide_w) {
        acc = products16(acc, xs, ws);
    }
    let (acc, x, w) = group(acc, x, w, products8);
    let (acc, x, w) = group(acc, x, w, products4);
    let (acc, x, w) = group(acc, x, w, products2);
    let (acc, _, _) = group(acc, x, w, |acc, &[x0], &[w0]| acc + x0 * w0);
    acc + bias
}

/// `acc` plus the products of the first `N` inputs and weights, by `products`, and the inputs and
/// weights after them; `acc`, `x` and `w` unchanged when fewer than `N` are left.
#[inline(always)]
fn group<'a, const N: usize>(
    acc: f32,
    x: &'a [f32],
    w: &'a [f32],
    products: impl FnOnce(f32, &[f32; N], &[f32; N]) -> f32,
) -> (f32, &'a [f32], &'a [f32]) {
    match (x.split_first_chunk::<N>(), w.split_first_chunk::<N>()) {
        (Some((xs, x_rest)), Some((ws, w_rest))) => (products(acc, xs, ws), x_rest, w_rest),
        _ => (acc, x, w),
    }
}

/// `acc + x_0 w_0 + … + x_15 w_15`, added in order.
#[inline(always)]
fn products16(acc: f32, x: &[f32; GROUP], w: &[f32; GROUP]) -> f32 {
    match (x.as_chunks::<8>(), w.as_chunks::<8>()) {
        (([x0, x1], []), ([w0, w1], [])) => products8(products8(acc, x0, w0), x1, w1),
        // Not reached: 16 is two 8s.
        _ => acc,
    }
}

/// `acc + x_0 w_0 + … + x_7 w_7`, added in order.
#[inline(always)]
fn products8(acc: f32, x: &[f32; 8], w: &[f32; 8]) -> f32 {
    let [x0, x1, x2, x3, x4, x5, x6, x7] = *x;
    let [w0, w1, w2, w3, w4, w5, w6, w7] = *w;
    acc + x0 * w0 + x1 * w1 + x2 * w2 + x3 * w3 + x4 * w4 + x5 * w5 + x6 * w6 + x7 * w7
}

/// `acc + x_0 w_0 + x_1 w_1 + x_2 w_2 + x_3 w_3`, added in order.
#[inline(always)]
fn products4(acc: f32, x: &[f32; 4], w: &[f32; 4]) -> f32 {
    let [x0, x1, x2, x3] = *x;
    let [w0, w1, w2, w3] = *w;
    acc + x0 * w0 + x1 * w1 + x2 * w2 + x3 * w3
}

/// `acc + x_0 w_0 + x_1 w_1`, added in order.
#[inline(always)]
fn products2(acc: f32, x: &[f32; 2], w: &[f32; 2]) -> f32 {
    let ([x0, x1], [w0, w1]) = (*x, *w);
    acc + x0 * w0 + x1 * w1
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

/// A typed dense layer and its activation: `out_j = A(kernel_j · x + bias_j)`, each unit a
/// [`neuron`] whose elementwise activation ([`Act::unit`]) is applied as it is computed, then
/// [`Act::layer`] (the softmax) on the whole layer. The bits of [`dense`].
///
/// A layer of at most 8 units (`STRAIGHT`) and 64 weights is written out unit by unit, straight-line code at
/// any optimization level (a loop over a few units costs a third more per unit at
/// `opt-level = "s"`); a wider one is built by a loop, never zeroed first.
#[inline(always)]
pub(crate) fn layer<const IN: usize, const OUT: usize, A: Act>(
    x: &[f32; IN],
    kernel: &[[f32; IN]; OUT],
    bias: &[f32; OUT],
) -> [f32; OUT] {
    // `j` is always below OUT: the `None` arms are never taken, and the compiler drops them.
    let unit = |j: usize| match (kernel.get(j), bias.get(j)) {
        (Some(row), Some(&b)) => A::unit(neuron(x, row, b)),
        _ => 0.0,
    };
    let mut out = if OUT <= STRAIGHT && IN * OUT <= STRAIGHT_PRODUCTS {
        // Zeros that the stores below overwrite: the compiler drops them.
        let mut out = [0.0; OUT];
        let mut set = |j: usize| {
            if let Some(o) = out.get_mut(j) {
                *o = unit(j);
            }
        };
        // Eight calls, not a loop: at "s" a loop stays a loop.
        set(0);
        set(1);
        set(2);
        set(3);
        set(4);
        set(5);
        set(6);
        set(7);
        out
    } else {
        core::array::from_fn(unit)
    };
    A::layer(&mut out);
    out
}

/// The widest layer [`layer`] writes out unit by unit...
const STRAIGHT: usize = 8;
/// ...when it has at most this many weights (512 bytes of code on a Cortex-M4F).
const STRAIGHT_PRODUCTS: usize = 64;

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
        // Up to 70: every combination of the groups of 8, 4, 2 and 1, after 0 to 4 turns of 16.
        let x: Vec<f32> = (0..70)
            .map(|i| (1.7f32).powi(i % 11) * if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let w: Vec<f32> = (0..70).map(|i| 1.0 / (i as f32 + 0.3)).collect();
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

    /// The typed layer of `IN` inputs and `OUT` units with activation `A`, against the plain
    /// loop: every sum from -0.0, left to right, plus the bias, then the activation on the layer.
    fn typed_layer_matches_the_plain_loop<const IN: usize, const OUT: usize, A: Act>() {
        let x: [f32; IN] = core::array::from_fn(|i| (1.3f32).powi(i as i32 % 7) - 1.5);
        let kernel: [[f32; IN]; OUT] = core::array::from_fn(|j| {
            core::array::from_fn(|i| ((i * 7 + j * 3) % 11) as f32 / 3.0 - 1.7)
        });
        let bias: [f32; OUT] = core::array::from_fn(|j| j as f32 * 0.25 - 0.5);
        let mut want = [0.0f32; OUT];
        for ((o, row), b) in want.iter_mut().zip(&kernel).zip(bias) {
            let mut acc = -0.0f32;
            for (xi, wi) in x.iter().zip(row) {
                acc += xi * wi;
            }
            *o = acc + b;
        }
        A::ACTIVATION.apply(&mut want);
        let got = layer::<IN, OUT, A>(&x, &kernel, &bias);
        assert_eq!(
            got.map(f32::to_bits),
            want.map(f32::to_bits),
            "{IN}-{OUT} {:?}",
            A::ACTIVATION
        );
    }

    #[test]
    fn typed_layers_written_out_or_looped_give_the_plain_loops_bits() {
        use crate::act::{Linear, Relu, Sigmoid, Softmax, Tanh};
        // Written out unit by unit (at most 8 units and 64 weights)...
        typed_layer_matches_the_plain_loop::<3, 4, Relu>();
        typed_layer_matches_the_plain_loop::<4, 2, Softmax>();
        typed_layer_matches_the_plain_loop::<8, 8, Tanh>();
        typed_layer_matches_the_plain_loop::<1, 1, Sigmoid>();
        // ...or built by a loop over the units, softmax of more than 4 outputs included.
        typed_layer_matches_the_plain_loop::<16, 9, Relu>();
        typed_layer_matches_the_plain_loop::<33, 4, Linear>();
        typed_layer_matches_the_plain_loop::<64, 10, Softmax>();
        typed_layer_matches_the_plain_loop::<23, 5, Sigmoid>();
    }

    #[test]
    fn standardize_divides_by_std() {
        let mut x = [3.0f32, -1.0];
        standardize(&mut x, &[1.0, 1.0], &[2.0, 0.5]);
        assert_eq!(x, [1.0, -4.0]);
    }
}
