//! The training engine: batched forward and backward passes over preallocated buffers.
//!
//! A model is flattened into a list of operations (a Dense layer becomes a matrix product plus,
//! unless linear, an activation). Each operation owns an output buffer and a gradient buffer of
//! `capacity` rows; a batch uses the first `n` rows, so nothing is allocated per step.

use crate::activations::{self, Activation};
use crate::layers::{Dense, Layer};
use crate::losses::Loss;
use crate::metrics::ResolvedMetric;
use crate::optimizers::{Optimizer, OptimizerState};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut2};

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
pub(crate) struct Workspace {
    ops: Vec<Op>,
    /// The batch's inputs and targets.
    pub(crate) x: Array2<f32>,
    pub(crate) y: Array2<f32>,
    outs: Vec<Array2<f32>>,
    deltas: Vec<Array2<f32>>,
    /// Per Dense layer: gradients of the kernel and of the bias.
    grads: Vec<(Array2<f32>, Array1<f32>)>,
}

impl Workspace {
    /// Buffers for `layers` taking `input` values, for batches of up to `capacity` samples.
    pub(crate) fn new(layers: &[Layer], input: usize, capacity: usize, outputs: usize) -> Self {
        let (mut ops, mut widths, mut grads) = (Vec::new(), Vec::new(), Vec::new());
        let mut fan_in = input;
        for (index, layer) in layers.iter().enumerate() {
            let act = match layer {
                Layer::Dense(d) => {
                    let dense = grads.len();
                    ops.push(Op::Linear {
                        layer: index,
                        dense,
                    });
                    widths.push(d.units);
                    grads.push((Array2::zeros((fan_in, d.units)), Array1::zeros(d.units)));
                    d.activation
                }
                Layer::Activation(a) => a.activation,
            };
            fan_in = layer.output_dim(fan_in);
            if act != Activation::Linear {
                ops.push(Op::Act(act));
                widths.push(fan_in);
            }
        }
        let buffers = || {
            widths
                .iter()
                .map(|&w| Array2::zeros((capacity, w)))
                .collect()
        };
        Workspace {
            ops,
            x: Array2::zeros((capacity, input)),
            y: Array2::zeros((capacity, outputs)),
            outs: buffers(),
            deltas: buffers(),
            grads,
        }
    }

    /// Copies the samples at `indices` into the batch buffers.
    pub(crate) fn load(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        indices: &[usize],
    ) {
        for (r, &i) in indices.iter().enumerate() {
            self.x.row_mut(r).assign(&x.row(i));
            self.y.row_mut(r).assign(&y.row(i));
        }
    }

    /// Copies `n` consecutive inputs starting at `start` into the batch buffer.
    pub(crate) fn load_range(&mut self, x: ArrayView2<'_, f32>, start: usize, n: usize) {
        self.x
            .slice_mut(s![..n, ..])
            .assign(&x.slice(s![start..start + n, ..]));
    }

    /// Runs the first `n` rows of the batch through the model; returns the predictions.
    pub(crate) fn forward(&mut self, layers: &[Layer], n: usize) -> ArrayView2<'_, f32> {
        for (i, op) in self.ops.iter().enumerate() {
            let (done, rest) = self.outs.split_at_mut(i);
            let input = match i {
                0 => self.x.slice(s![..n, ..]),
                _ => done[i - 1].slice(s![..n, ..]),
            };
            let mut out = rest[0].slice_mut(s![..n, ..]);
            match *op {
                Op::Linear { layer, .. } => {
                    let d = dense(layers, layer);
                    general_mat_mul(1.0, &input, &d.kernel, 0.0, &mut out);
                    out += &d.bias;
                }
                Op::Act(a) => {
                    out.assign(&input);
                    activations::forward(a, out);
                }
            }
        }
        self.predictions(n)
    }

    fn predictions(&self, n: usize) -> ArrayView2<'_, f32> {
        match self.outs.last() {
            Some(out) => out.slice(s![..n, ..]),
            None => self.x.slice(s![..n, ..]),
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
        let (pred, y) = (self.predictions(n), self.y.slice(s![..n, ..]));
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
        let pred = self.outs[last].slice(s![..n, ..]);
        let y = self.y.slice(s![..n, ..]);
        loss.gradient(pred, y, self.deltas[start].slice_mut(s![..n, ..]));
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
        let (lo, hi) = self.deltas.split_at_mut(i);
        let mut target = lo[i - 1].slice_mut(s![..n, ..]);
        target.assign(&hi[0].slice(s![..n, ..]));
        activations::backward(activation, self.outs[i].slice(s![..n, ..]), target);
    }

    /// `dW = inᵀ·delta`, `db = Σ_rows delta`, and `delta[i-1] = delta·Wᵀ` unless `i` is first.
    fn linear_backward(&mut self, d: &Dense, i: usize, k: usize, n: usize) {
        let input = match i {
            0 => self.x.slice(s![..n, ..]),
            _ => self.outs[i - 1].slice(s![..n, ..]),
        };
        let (lo, hi) = self.deltas.split_at_mut(i);
        let delta = hi[0].slice(s![..n, ..]);
        let (dw, db) = &mut self.grads[k];
        general_mat_mul(1.0, &input.t(), &delta, 0.0, dw);
        db.fill(0.0);
        for row in delta.rows() {
            *db += &row;
        }
        if i > 0 {
            let mut prev: ArrayViewMut2<'_, f32> = lo[i - 1].slice_mut(s![..n, ..]);
            general_mat_mul(1.0, &delta, &d.kernel.t(), 0.0, &mut prev);
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
            state.update(optimizer, 2 * k, w, dw.as_slice().expect("contiguous"));
            let b = d.bias.as_slice_mut().expect("biases are kept contiguous");
            state.update(optimizer, 2 * k + 1, b, db.as_slice().expect("contiguous"));
        }
    }

    /// The gradients of the last [`backward`](Self::backward), per Dense layer (kernel, bias).
    #[cfg(test)]
    pub(crate) fn gradients(&self) -> &[(Array2<f32>, Array1<f32>)] {
        &self.grads
    }
}

/// The Dense layer an operation refers to; the op list is built from these very layers.
fn dense(layers: &[Layer], index: usize) -> &Dense {
    match &layers[index] {
        Layer::Dense(d) => d,
        Layer::Activation(_) => unreachable!("Linear ops point at Dense layers"),
    }
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
