//! The training engine: batched forward and backward passes over preallocated buffers.
//!
//! A model is flattened into a list of operations (a Dense layer becomes a matrix product plus,
//! unless linear, an activation). Each operation owns an output buffer and a gradient buffer of
//! `capacity` rows, row-major; a batch uses the first `n` rows, so nothing is allocated per
//! step. The products go through [`kernels`](super::kernels) (same bits on every x86_64), the
//! activations through dendrite-core's (`libm`, the functions the firmware runs).

use super::kernels::{self, column_sums, gemm, transpose, Strided};
use crate::activations;
use crate::layers::{Dense, Layer};
use crate::losses::Loss;
use crate::metrics::ResolvedMetric;
use crate::optimizers::{Optimizer, OptimizerState};
use crate::Activation;
use ndarray::{ArrayView2, ArrayViewMut2};

/// One step of the flattened model.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `out = in · W + b` with the Dense layer at this index of the model, and the index of its
    /// gradient buffers.
    Linear { layer: usize, dense: usize },
    /// `out = f(in)`.
    Act(Activation),
}

/// Buffers for batches of up to `capacity` samples.
#[derive(Clone)]
pub(crate) struct Workspace {
    ops: Vec<Op>,
    capacity: usize,
    /// Output width of each op.
    widths: Vec<usize>,
    input: usize,
    outputs: usize,
    /// The batch's inputs and targets, row-major.
    x: Vec<f32>,
    y: Vec<f32>,
    outs: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
    /// Per Dense layer: gradients of the kernel (`in × units`, row-major) and of the bias.
    grads: Vec<(Vec<f32>, Vec<f32>)>,
    /// A kernel's transpose, for the gradient with respect to a layer's inputs.
    transposed: Vec<f32>,
    /// Packing space for the matrix products.
    panel: Vec<f32>,
}

impl Workspace {
    /// Buffers for `layers` taking `input` values, for batches of up to `capacity` samples.
    pub(crate) fn new(layers: &[Layer], input: usize, capacity: usize, outputs: usize) -> Self {
        let (mut ops, mut widths, mut grads) = (Vec::new(), Vec::new(), Vec::new());
        let (mut fan_in, mut widest, mut biggest) = (input, input.max(capacity), 0);
        for (index, layer) in layers.iter().enumerate() {
            let act = match layer {
                Layer::Dense(d) => {
                    let dense = grads.len();
                    ops.push(Op::Linear {
                        layer: index,
                        dense,
                    });
                    widths.push(d.units);
                    grads.push((vec![0.0; fan_in * d.units], vec![0.0; d.units]));
                    biggest = biggest.max(fan_in * d.units);
                    d.activation
                }
                Layer::Activation(a) => a.activation,
            };
            fan_in = layer.output_dim(fan_in);
            widest = widest.max(fan_in);
            if act != Activation::Linear {
                ops.push(Op::Act(act));
                widths.push(fan_in);
            }
        }
        let buffers = || widths.iter().map(|&w| vec![0.0; capacity * w]).collect();
        Workspace {
            x: vec![0.0; capacity * input],
            y: vec![0.0; capacity * outputs],
            outs: buffers(),
            deltas: buffers(),
            ops,
            capacity,
            widths,
            input,
            outputs,
            grads,
            transposed: vec![0.0; biggest],
            panel: vec![0.0; kernels::panel_len(widest)],
        }
    }

    /// The largest batch the buffers hold.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Copies the samples at `indices` into the batch buffers.
    pub(crate) fn load(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        indices: &[usize],
    ) {
        gather(x, indices.iter().copied(), &mut self.x);
        gather(y, indices.iter().copied(), &mut self.y);
    }

    /// Copies `n` consecutive samples starting at `start` into the batch buffers (the targets
    /// only when given).
    pub(crate) fn load_range(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: Option<ArrayView2<'_, f32>>,
        start: usize,
        n: usize,
    ) {
        gather(x, start..start + n, &mut self.x);
        if let Some(y) = y {
            gather(y, start..start + n, &mut self.y);
        }
    }

    /// Runs the first `n` rows of the batch through the model; returns the predictions.
    pub(crate) fn forward(&mut self, layers: &[Layer], n: usize) -> ArrayView2<'_, f32> {
        for (i, op) in self.ops.iter().enumerate() {
            let (done, rest) = self.outs.split_at_mut(i);
            let (input, fan_in) = match i {
                0 => (&self.x[..], self.input),
                _ => (&done[i - 1][..], self.widths[i - 1]),
            };
            let width = self.widths[i];
            let out = &mut rest[0][..n * width];
            match *op {
                Op::Linear { layer, .. } => {
                    let d = dense(layers, layer);
                    let a = Strided::row_major(input, fan_in);
                    let bias = Some(slice(&d.bias));
                    gemm((n, width, fan_in), a, kernel(d), bias, out, &mut self.panel);
                }
                Op::Act(activation) => {
                    out.copy_from_slice(&input[..n * width]);
                    activate(activation, out, width);
                }
            }
        }
        self.predictions(n)
    }

    fn predictions(&self, n: usize) -> ArrayView2<'_, f32> {
        match self.outs.last() {
            Some(out) => view(out, n, self.outputs),
            None => view(&self.x, n, self.input),
        }
    }

    /// Adds the batch's loss and metric sums (over samples) to `loss_sum` and `metric_sums`.
    pub(crate) fn score(
        &self,
        loss: Loss,
        metrics: &[ResolvedMetric],
        n: usize,
        loss_sum: &mut f64,
        metric_sums: &mut [f64],
    ) {
        let (pred, y) = (self.predictions(n), view(&self.y, n, self.outputs));
        *loss_sum += loss.sum(pred, y);
        for (sum, metric) in metric_sums.iter_mut().zip(metrics) {
            *sum += metric.sum(pred, y);
        }
    }

    /// Back-propagates the loss of the first `n` rows (after [`forward`](Self::forward)) into
    /// the gradient buffers.
    pub(crate) fn backward(&mut self, layers: &[Layer], loss: Loss, n: usize) {
        let last = self.ops.len() - 1;
        // A fused loss hands back the gradient with respect to its activation's inputs, so the
        // final activation (checked by `compile`) is skipped.
        let start = match loss.fused_activation() {
            Some(_) => last - 1,
            None => last,
        };
        let pred = view(&self.outs[last], n, self.outputs);
        let y = view(&self.y, n, self.outputs);
        let delta = ArrayViewMut2::from_shape(
            (n, self.outputs),
            &mut self.deltas[start][..n * self.outputs],
        )
        .expect("gradient buffers hold `capacity` rows");
        loss.gradient(pred, y, delta);
        for i in (0..=start).rev() {
            match self.ops[i] {
                Op::Act(a) => self.act_backward(a, i, n),
                Op::Linear { layer, dense: k } => {
                    self.linear_backward(dense(layers, layer), i, k, n)
                }
            }
        }
    }

    /// `delta[i-1] = delta[i] ⊙ f'(out[i])`; nothing to do for an activation on the inputs.
    fn act_backward(&mut self, activation: Activation, i: usize, n: usize) {
        if i == 0 {
            return;
        }
        let len = n * self.widths[i];
        let (lo, hi) = self.deltas.split_at_mut(i);
        let (target, delta, out) = (&mut lo[i - 1][..len], &hi[0][..len], &self.outs[i][..len]);
        if activation == Activation::Relu {
            // Keras' relu gradient at exactly 0 is 0, as here (out > 0 ⇔ z > 0).
            for ((t, &d), &a) in target.iter_mut().zip(delta).zip(out) {
                *t = if a > 0.0 { d } else { 0.0 };
            }
            return;
        }
        target.copy_from_slice(delta);
        let width = self.widths[i];
        let target = ArrayViewMut2::from_shape((n, width), target).expect("n rows of width");
        activations::backward(activation, view(out, n, width), target);
    }

    /// `dW = inᵀ·delta`, `db = Σ_rows delta`, and `delta[i-1] = delta·Wᵀ` unless `i` is first.
    fn linear_backward(&mut self, d: &Dense, i: usize, k: usize, n: usize) {
        let (input, fan_in) = match i {
            0 => (&self.x[..], self.input),
            _ => (&self.outs[i - 1][..], self.widths[i - 1]),
        };
        let units = self.widths[i];
        let (lo, hi) = self.deltas.split_at_mut(i);
        let delta = &hi[0][..n * units];
        let (dw, db) = &mut self.grads[k];
        let input_t = Strided::transposed(input, fan_in);
        gemm(
            (fan_in, units, n),
            input_t,
            delta,
            None,
            dw,
            &mut self.panel,
        );
        column_sums(delta, units, db);
        if i > 0 {
            let wt = &mut self.transposed[..fan_in * units];
            transpose(kernel(d), fan_in, units, wt);
            let prev = &mut lo[i - 1][..n * fan_in];
            let a = Strided::row_major(delta, units);
            gemm((n, fan_in, units), a, wt, None, prev, &mut self.panel);
        }
    }

    /// Applies one optimizer step to every Dense layer with the gradients just computed.
    pub(crate) fn apply(
        &self,
        layers: &mut [Layer],
        optimizer: &Optimizer,
        state: &mut OptimizerState,
    ) {
        state.begin_step(optimizer);
        let denses = layers.iter_mut().filter_map(|l| match l {
            Layer::Dense(d) => Some(d),
            Layer::Activation(_) => None,
        });
        for (k, (d, (dw, db))) in denses.zip(&self.grads).enumerate() {
            let w = d
                .kernel
                .as_slice_mut()
                .expect("kernels are kept contiguous");
            state.update(optimizer, 2 * k, w, dw);
            let b = d.bias.as_slice_mut().expect("biases are kept contiguous");
            state.update(optimizer, 2 * k + 1, b, db);
        }
    }

    /// The gradients of the last [`backward`](Self::backward), per Dense layer: the kernel's
    /// (`in × units`, row-major) and the bias'.
    #[cfg(test)]
    pub(crate) fn gradients(&self) -> Vec<(&[f32], &[f32])> {
        self.grads.iter().map(|(w, b)| (&w[..], &b[..])).collect()
    }
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("ops", &self.ops)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// Applies `activation` to `rows` of `width` values, in place, with dendrite-core's functions.
fn activate(activation: Activation, rows: &mut [f32], width: usize) {
    match activation {
        Activation::Softmax => rows
            .chunks_exact_mut(width)
            .for_each(|row| activation.apply(row)),
        _ => activation.apply(rows),
    }
}

/// Copies rows `indices` of `from` into the first rows of `to` (row-major).
fn gather(from: ArrayView2<'_, f32>, indices: impl Iterator<Item = usize>, to: &mut [f32]) {
    let width = from.ncols();
    match from.as_slice() {
        Some(all) => {
            for (dst, i) in to.chunks_exact_mut(width).zip(indices) {
                dst.copy_from_slice(&all[i * width..(i + 1) * width]);
            }
        }
        None => {
            for (dst, i) in to.chunks_exact_mut(width).zip(indices) {
                for (d, &s) in dst.iter_mut().zip(from.row(i)) {
                    *d = s;
                }
            }
        }
    }
}

/// The first `n` rows of a row-major buffer of `width` columns, as a matrix view.
fn view(buffer: &[f32], n: usize, width: usize) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((n, width), &buffer[..n * width]).expect("buffers hold n rows")
}

/// The Dense layer an operation refers to; the op list is built from these very layers.
fn dense(layers: &[Layer], index: usize) -> &Dense {
    match &layers[index] {
        Layer::Dense(d) => d,
        Layer::Activation(_) => unreachable!("Linear ops point at Dense layers"),
    }
}

fn kernel(d: &Dense) -> &[f32] {
    d.kernel.as_slice().expect("kernels are kept contiguous")
}

fn slice(bias: &ndarray::Array1<f32>) -> &[f32] {
    bias.as_slice().expect("biases are kept contiguous")
}

/// The sizes of every trainable variable, in the order [`Workspace::apply`] updates them.
pub(crate) fn variable_sizes(layers: &[Layer]) -> Vec<usize> {
    layers
        .iter()
        .filter_map(|l| match l {
            Layer::Dense(d) => Some([d.kernel.len(), d.bias.len()]),
            Layer::Activation(_) => None,
        })
        .flatten()
        .collect()
}
