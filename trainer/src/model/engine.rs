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
use crate::SeededRng;
use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rand::RngExt;

/// One step of the flattened model.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `out = in · W + b` with the Dense layer at this index of the model, and the index of its
    /// gradient buffers.
    Linear { layer: usize, dense: usize },
    /// `out = f(in)`.
    Act(Activation),
    /// `out = in ⊙ mask` while training (mask `slot`), `out = in` otherwise.
    Dropout { rate: f32, slot: usize },
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
    /// Per Dropout layer: the last training pass's mask, 0 or `1 / (1 - rate)` per value.
    masks: Vec<Vec<f32>>,
    /// The batch's sample weights (from `class_weight`), when [`load`](Self::load) got some.
    sample_weights: Vec<f32>,
    weighted: bool,
    /// A kernel's transpose, for the gradient with respect to a layer's inputs.
    transposed: Vec<f32>,
    /// Packing space for the matrix products.
    panel: Vec<f32>,
}

impl Workspace {
    /// Buffers for `layers` taking `input` values, for batches of up to `capacity` samples.
    pub(crate) fn new(layers: &[Layer], input: usize, capacity: usize, outputs: usize) -> Self {
        let (mut ops, mut widths, mut grads) = (Vec::new(), Vec::new(), Vec::new());
        let mut masks = Vec::new();
        let (mut fan_in, mut widest, mut biggest) = (input, input.max(capacity), 0);
        for (index, layer) in layers.iter().enumerate() {
            let act = match layer {
                Layer::Dropout(d) => {
                    ops.push(Op::Dropout {
                        rate: d.rate,
                        slot: masks.len(),
                    });
                    widths.push(fan_in);
                    masks.push(vec![0.0; capacity * fan_in]);
                    continue;
                }
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
            masks,
            sample_weights: vec![1.0; capacity],
            weighted: false,
            transposed: vec![0.0; biggest],
            panel: vec![0.0; kernels::panel_len(widest)],
        }
    }

    /// The largest batch the buffers hold.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Copies the samples at `indices` into the batch buffers, with their weights when given
    /// (one per sample of `x`).
    pub(crate) fn load(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        indices: &[usize],
        weights: Option<&[f32]>,
    ) {
        gather(x, indices.iter().copied(), &mut self.x);
        gather(y, indices.iter().copied(), &mut self.y);
        self.weighted = weights.is_some();
        if let Some(w) = weights {
            for (dst, &i) in self.sample_weights.iter_mut().zip(indices) {
                *dst = w[i];
            }
        }
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
        self.weighted = false;
    }

    /// Runs the first `n` rows of the batch through the model for inference (Dropout passes
    /// its input through); returns the predictions.
    pub(crate) fn forward(&mut self, layers: &[Layer], n: usize) -> ArrayView2<'_, f32> {
        self.run_forward(layers, n, None)
    }

    /// Runs the first `n` rows through the model as training does: every Dropout layer draws
    /// a fresh mask from `rng` (in layer order, row-major), kept for [`backward`](Self::backward).
    pub(crate) fn forward_train(
        &mut self,
        layers: &[Layer],
        n: usize,
        rng: &mut SeededRng,
    ) -> ArrayView2<'_, f32> {
        self.run_forward(layers, n, Some(rng))
    }

    fn run_forward(
        &mut self,
        layers: &[Layer],
        n: usize,
        mut training: Option<&mut SeededRng>,
    ) -> ArrayView2<'_, f32> {
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
                Op::Dropout { rate, slot } => {
                    let input = &input[..n * width];
                    match training.as_deref_mut() {
                        Some(rng) if rate > 0.0 => {
                            let mask = &mut self.masks[slot][..n * width];
                            draw_mask(rate, mask, rng);
                            for ((o, &v), &m) in out.iter_mut().zip(input).zip(&*mask) {
                                *o = v * m;
                            }
                        }
                        _ => {
                            self.masks[slot][..n * width].fill(1.0);
                            out.copy_from_slice(input);
                        }
                    }
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
    /// As Keras, the loss of each sample is multiplied by its weight (when loaded) and the
    /// layers' regularization penalty is added to every sample's loss (so once to the mean).
    pub(crate) fn score(
        &self,
        layers: &[Layer],
        loss: Loss,
        metrics: &[ResolvedMetric],
        n: usize,
        loss_sum: &mut f64,
        metric_sums: &mut [f64],
    ) {
        let (pred, y) = (self.predictions(n), view(&self.y, n, self.outputs));
        *loss_sum += if self.weighted {
            let rows = pred.outer_iter().zip(y.outer_iter());
            rows.zip(&self.sample_weights)
                .map(|((p, t), &w)| {
                    let (p, t) = (p.insert_axis(Axis(0)), t.insert_axis(Axis(0)));
                    loss.sum(p, t) * f64::from(w)
                })
                .sum()
        } else {
            loss.sum(pred, y)
        };
        *loss_sum += super::regularization_loss(layers) * n as f64;
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
        if self.weighted {
            let delta = &mut self.deltas[start][..n * self.outputs];
            for (row, &w) in delta
                .chunks_exact_mut(self.outputs)
                .zip(&self.sample_weights)
            {
                row.iter_mut().for_each(|d| *d *= w);
            }
        }
        for i in (0..=start).rev() {
            match self.ops[i] {
                Op::Act(a) => self.act_backward(a, i, n),
                Op::Dropout { slot, .. } => self.dropout_backward(slot, i, n),
                Op::Linear { layer, dense: k } => {
                    self.linear_backward(dense(layers, layer), i, k, n)
                }
            }
        }
    }

    /// `delta[i-1] = delta[i] ⊙ mask`; nothing to do for a dropout on the inputs.
    fn dropout_backward(&mut self, slot: usize, i: usize, n: usize) {
        if i == 0 {
            return;
        }
        let len = n * self.widths[i];
        let (lo, hi) = self.deltas.split_at_mut(i);
        let mask = &self.masks[slot][..len];
        for ((t, &d), &m) in lo[i - 1][..len].iter_mut().zip(&hi[0][..len]).zip(mask) {
            *t = d * m;
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
        // The activation's inputs: the previous op's outputs, kept until the next batch.
        let z = &self.outs[i - 1][..len];
        if let Some(derivative) = activations::derivative(activation) {
            for (((t, &d), &z), &a) in target.iter_mut().zip(delta).zip(z).zip(out) {
                *t = d * derivative(z, a);
            }
            return;
        }
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
        activations::backward(activation, view(z, n, width), view(out, n, width), target);
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
        if let Some(r) = d.kernel_regularizer {
            r.add_gradient(kernel(d), dw);
        }
        if let Some(r) = d.bias_regularizer {
            r.add_gradient(slice(&d.bias), db);
        }
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
            Layer::Activation(_) | Layer::Dropout(_) => None,
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

    /// The masks of the last training pass, per Dropout layer (`n × width`, row-major).
    #[cfg(test)]
    pub(crate) fn masks(&self) -> &[Vec<f32>] {
        &self.masks
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

/// Fills `mask` with Keras' inverted-dropout mask: each value is kept when a uniform draw in
/// `[0, 1)` is at least `rate`, and a kept value is scaled by `1 / (1 - rate)`.
fn draw_mask(rate: f32, mask: &mut [f32], rng: &mut SeededRng) {
    let keep = 1.0 / (1.0 - rate);
    for m in mask {
        *m = if rng.random::<f32>() >= rate {
            keep
        } else {
            0.0
        };
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
        Layer::Activation(_) | Layer::Dropout(_) => {
            unreachable!("Linear ops point at Dense layers")
        }
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
            Layer::Activation(_) | Layer::Dropout(_) => None,
        })
        .flatten()
        .collect()
}
