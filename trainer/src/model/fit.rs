//! `fit`, `evaluate` and `predict`.

use super::engine::{variable_sizes, Workspace};
use super::Sequential;
use crate::callbacks::{Callback, History, Logs, ProgbarLogger, TrainParams};
use crate::error::{Error, Result};
use crate::SeededRng;
use ndarray::{s, Array2, ArrayView2, AsArray, Ix2};
use rand::seq::SliceRandom;
use std::ops::ControlFlow;

/// How much `fit` prints, as Keras' `verbose`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing (`verbose=0`).
    Silent,
    /// A live bar while an epoch runs (on a terminal), then its line (`verbose=1`).
    #[default]
    ProgressBar,
    /// One plain line per epoch (`verbose=2`).
    OneLinePerEpoch,
}

/// The arguments of Keras' `fit` besides the data, with Keras' defaults.
#[derive(Clone, Debug)]
pub struct FitOptions<'a> {
    /// Passes over the training data (default 1).
    pub epochs: usize,
    /// Samples per optimizer step; the last batch of an epoch may be smaller (default 32).
    pub batch_size: usize,
    /// Reshuffle the training samples before every epoch (default true).
    pub shuffle: bool,
    /// Fraction of the samples, taken from the END before any shuffling, held out for
    /// validation after each epoch (default 0).
    pub validation_split: f64,
    /// Explicit validation data `(x, y)`; takes precedence over `validation_split`.
    pub validation_data: Option<(ArrayView2<'a, f32>, ArrayView2<'a, f32>)>,
    /// What to print.
    pub verbose: Verbosity,
    /// Keras' `class_weight`: each training sample's loss is multiplied by its class's weight
    /// (the sum is still divided by the batch size, as Keras). Default: none.
    pub class_weight: Option<ClassWeight>,
}

/// The weight of each class in the training loss: `fit`'s `class_weight`.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassWeight {
    /// scikit-learn's `"balanced"`: class `c` weighs `n_samples / (n_classes · count_c)`, over
    /// the classes present in the training rows.
    Balanced,
    /// One weight per class index (as Keras' `{0: w0, 1: w1, …}`).
    PerClass(Vec<f32>),
}

impl ClassWeight {
    /// One weight per training sample. A sample's class is the argmax of its one-hot row, or
    /// its rounded value with a single output column (binary labels), as Keras reads it.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when a class has no weight, or a weight is negative or not
    /// finite.
    pub fn sample_weights(&self, y: ArrayView2<'_, f32>) -> Result<Vec<f32>> {
        let classes: Vec<usize> = y.rows().into_iter().map(class_of).collect();
        let per_class = match self {
            ClassWeight::PerClass(w) => {
                if let Some(bad) = w.iter().find(|w| !w.is_finite() || **w < 0.0) {
                    return Err(Error::InvalidOption {
                        option: "class_weight",
                        value: bad.to_string(),
                        expected: "finite, non-negative weights",
                    });
                }
                w.clone()
            }
            ClassWeight::Balanced => balanced(&classes),
        };
        classes
            .iter()
            .map(|&c| {
                per_class
                    .get(c)
                    .copied()
                    .ok_or_else(|| Error::InvalidOption {
                        option: "class_weight",
                        value: format!("{} weights", per_class.len()),
                        expected: "one weight for every class of the labels",
                    })
            })
            .collect()
    }
}

/// Keras' class of a target row: argmax of a one-hot row, the rounded value of a single column.
fn class_of(row: ndarray::ArrayView1<'_, f32>) -> usize {
    if row.len() == 1 {
        return row[0].round().max(0.0) as usize;
    }
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// scikit-learn's `compute_class_weight("balanced")`: `n / (k · count_c)` for the `k` classes
/// present; absent classes (no samples to weigh) get 1.
fn balanced(classes: &[usize]) -> Vec<f32> {
    let width = classes.iter().max().map_or(0, |&m| m + 1);
    let mut counts = vec![0usize; width];
    for &c in classes {
        counts[c] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count() as f64;
    let n = classes.len() as f64;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                1.0
            } else {
                (n / (present * c as f64)) as f32
            }
        })
        .collect()
}

impl Default for FitOptions<'_> {
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            validation_split: 0.0,
            validation_data: None,
            verbose: Verbosity::ProgressBar,
            class_weight: None,
        }
    }
}

impl Sequential {
    /// Trains the model, as Keras' `fit`. Builds the model first (drawing its weights from
    /// `rng`) if it has no weights; shuffles with `rng`.
    ///
    /// # Errors
    /// [`Error::NotCompiled`], shape mismatches between the data and the model, and invalid
    /// options (a zero batch size, a validation split outside `[0, 1)`).
    pub fn fit<'x>(
        &mut self,
        x: impl AsArray<'x, f32, Ix2>,
        y: impl AsArray<'x, f32, Ix2>,
        options: &FitOptions<'_>,
        rng: &mut SeededRng,
    ) -> Result<History> {
        let mut history = History::default();
        self.fit_with_callbacks(x, y, options, rng, &mut [&mut history])?;
        Ok(history)
    }

    /// [`fit`](Self::fit) with extra callbacks, called in order after the progress display.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_with_callbacks<'x>(
        &mut self,
        x: impl AsArray<'x, f32, Ix2>,
        y: impl AsArray<'x, f32, Ix2>,
        options: &FitOptions<'_>,
        rng: &mut SeededRng,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<()> {
        let (x, y) = (x.into(), y.into());
        self.check_data(x, y, "fit")?;
        check_options(options)?;
        let (train, validation) = split(x, y, options.validation_data, options.validation_split)?;
        if !self.built {
            self.build(rng)?;
        }
        let mut hooks = Hooks {
            progbar: (options.verbose != Verbosity::Silent)
                .then(|| ProgbarLogger::new(options.verbose)),
            user: callbacks,
        };
        self.train_loop(train, validation, options, rng, &mut hooks)
    }

    fn train_loop(
        &mut self,
        (x, y): (ArrayView2<'_, f32>, ArrayView2<'_, f32>),
        validation: Option<(ArrayView2<'_, f32>, ArrayView2<'_, f32>)>,
        options: &FitOptions<'_>,
        rng: &mut SeededRng,
        callbacks: &mut Hooks<'_, '_>,
    ) -> Result<()> {
        let batch = options.batch_size.min(x.nrows());
        let params = TrainParams {
            epochs: options.epochs,
            steps: x.nrows().div_ceil(batch),
        };
        let weights = match &options.class_weight {
            Some(cw) => Some(cw.sample_weights(y)?),
            None => None,
        };
        let mut ws = Workspace::new(&self.layers, self.input_dim, batch, self.output_dim());
        let mut indices: Vec<usize> = (0..x.nrows()).collect();
        callbacks.each(|c| c.on_train_begin(&params));
        for epoch in 0..options.epochs {
            callbacks.each(|c| c.on_epoch_begin(epoch));
            if options.shuffle {
                indices.shuffle(rng);
            }
            let data = (x, y, weights.as_deref());
            let mut logs = self.train_epoch(&mut ws, data, &indices, (batch, rng), callbacks)?;
            if let Some((vx, vy)) = validation {
                let val = self.evaluate(vx, vy, batch)?;
                for (name, value) in val.iter() {
                    logs.set(val_name(name), value);
                }
            }
            let mut stop = false;
            callbacks
                .each(|c| stop |= c.on_epoch_end(epoch, &logs, self) == ControlFlow::Break(()));
            if stop {
                break;
            }
        }
        callbacks.each(|c| c.on_train_end());
        Ok(())
    }

    /// One pass over `indices` in batches; returns the epoch's means (weighted by batch size).
    fn train_epoch(
        &mut self,
        ws: &mut Workspace,
        (x, y, weights): (ArrayView2<'_, f32>, ArrayView2<'_, f32>, Option<&[f32]>),
        indices: &[usize],
        (batch, rng): (usize, &mut SeededRng),
        callbacks: &mut Hooks<'_, '_>,
    ) -> Result<Logs> {
        let compiled = self
            .compiled
            .as_mut()
            .ok_or(Error::NotCompiled { operation: "fit" })?;
        let state = compiled
            .state
            .get_or_insert_with(|| compiled.optimizer.state(&variable_sizes(&self.layers)));
        let (mut loss_sum, mut metric_sums) = (0.0, vec![0.0; compiled.metrics.len()]);
        let (mut seen, mut logs) = (0usize, Logs::default());
        for (step, chunk) in indices.chunks(batch).enumerate() {
            let n = chunk.len();
            ws.load(x, y, chunk, weights);
            ws.forward_train(&self.layers, n, rng);
            ws.score(
                &self.layers,
                compiled.loss,
                &compiled.metrics,
                n,
                &mut loss_sum,
                &mut metric_sums,
            );
            ws.backward(&self.layers, compiled.loss, n);
            ws.apply(&mut self.layers, &compiled.optimizer, state);
            seen += n;
            logs.set("loss", loss_sum / seen as f64);
            for (metric, sum) in compiled.metrics.iter().zip(&metric_sums) {
                logs.set(metric.name(), metric.finish(sum / seen as f64));
            }
            callbacks.each(|c| c.on_train_batch_end(step + 1, &logs));
        }
        Ok(logs)
    }

    /// The loss and metrics over `(x, y)`, in batches of `batch_size`, without updates: Keras'
    /// `evaluate`.
    ///
    /// # Errors
    /// [`Error::NotCompiled`], [`Error::NotBuilt`], shape mismatches, a zero batch size.
    pub fn evaluate<'x>(
        &self,
        x: impl AsArray<'x, f32, Ix2>,
        y: impl AsArray<'x, f32, Ix2>,
        batch_size: usize,
    ) -> Result<Logs> {
        let (x, y) = (x.into(), y.into());
        let compiled = self.compiled.as_ref().ok_or(Error::NotCompiled {
            operation: "evaluate",
        })?;
        self.require_built("evaluate")?;
        self.check_data(x, y, "evaluate")?;
        check_batch_size(batch_size)?;
        let batch = batch_size.min(x.nrows());
        let mut ws = Workspace::new(&self.layers, self.input_dim, batch, self.output_dim());
        let (mut loss_sum, mut metric_sums) = (0.0, vec![0.0; compiled.metrics.len()]);
        for start in (0..x.nrows()).step_by(batch) {
            let n = batch.min(x.nrows() - start);
            ws.load_range(x, Some(y), start, n);
            ws.forward(&self.layers, n);
            ws.score(
                &self.layers,
                compiled.loss,
                &compiled.metrics,
                n,
                &mut loss_sum,
                &mut metric_sums,
            );
        }
        let mut logs = Logs::default();
        logs.set("loss", loss_sum / x.nrows() as f64);
        for (metric, sum) in compiled.metrics.iter().zip(metric_sums) {
            logs.set(metric.name(), metric.finish(sum / x.nrows() as f64));
        }
        Ok(logs)
    }

    /// The model's outputs for every row of `x`: Keras' `predict`, on the trainer's batched
    /// forward pass (exported models predict through dendrite-core instead, see
    /// [`HostModel`](crate::HostModel)).
    ///
    /// # Errors
    /// [`Error::NotBuilt`], [`Error::ColumnMismatch`].
    pub fn predict<'x>(&self, x: impl AsArray<'x, f32, Ix2>) -> Result<Array2<f32>> {
        let x = x.into();
        self.require_built("predict")?;
        check_columns("x", self.input_dim, x.ncols())?;
        const BATCH: usize = 32;
        let batch = BATCH.min(x.nrows()).max(1);
        let mut ws = Workspace::new(&self.layers, self.input_dim, batch, self.output_dim());
        let mut out = Array2::zeros((x.nrows(), self.output_dim()));
        for start in (0..x.nrows()).step_by(batch) {
            let n = batch.min(x.nrows() - start);
            ws.load_range(x, None, start, n);
            let pred = ws.forward(&self.layers, n);
            out.slice_mut(s![start..start + n, ..]).assign(&pred);
        }
        Ok(out)
    }

    pub(super) fn check_data(
        &self,
        x: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        op: &'static str,
    ) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::EmptyModel);
        }
        if self.compiled.is_none() {
            return Err(Error::NotCompiled { operation: op });
        }
        check_columns("x", self.input_dim, x.ncols())?;
        check_columns("y", self.output_dim(), y.ncols())?;
        if x.nrows() != y.nrows() {
            return Err(Error::RowMismatch {
                x: x.nrows(),
                y: y.nrows(),
            });
        }
        if x.nrows() == 0 {
            return Err(Error::NoSamples { what: "x" });
        }
        Ok(())
    }
}

fn check_columns(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::ColumnMismatch {
            what,
            expected,
            found,
        })
    }
}

fn check_batch_size(batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        return Err(Error::InvalidOption {
            option: "batch_size",
            value: "0".to_owned(),
            expected: "a positive number of samples",
        });
    }
    Ok(())
}

fn check_options(options: &FitOptions<'_>) -> Result<()> {
    check_batch_size(options.batch_size)?;
    let split = options.validation_split;
    if !(0.0..1.0).contains(&split) {
        return Err(Error::InvalidOption {
            option: "validation_split",
            value: split.to_string(),
            expected: "a fraction in [0, 1)",
        });
    }
    Ok(())
}

type Pair<'a> = (ArrayView2<'a, f32>, ArrayView2<'a, f32>);

/// Keras' split: the LAST `validation_split` of the samples, before shuffling, unless
/// `validation_data` is given.
fn split<'a>(
    x: ArrayView2<'a, f32>,
    y: ArrayView2<'a, f32>,
    validation_data: Option<Pair<'a>>,
    validation_split: f64,
) -> Result<(Pair<'a>, Option<Pair<'a>>)> {
    if let Some(validation) = validation_data {
        return Ok(((x, y), Some(validation)));
    }
    if validation_split == 0.0 {
        return Ok(((x, y), None));
    }
    // Keras: split_at = floor(n * (1 - validation_split)).
    let at = (x.nrows() as f64 * (1.0 - validation_split)).floor() as usize;
    if at == 0 || at == x.nrows() {
        return Err(Error::NoSamples {
            what: if at == 0 {
                "the training part after validation_split"
            } else {
                "the validation part of validation_split"
            },
        });
    }
    let (tx, vx) = x.split_at(ndarray::Axis(0), at);
    let (ty, vy) = y.split_at(ndarray::Axis(0), at);
    Ok(((tx, ty), Some((vx, vy))))
}

/// `loss` → `val_loss`, `accuracy` → `val_accuracy`, `mae` → `val_mae`, ….
fn val_name(name: &str) -> &'static str {
    match name {
        "loss" => "val_loss",
        "accuracy" => "val_accuracy",
        "mae" => "val_mae",
        "mse" => "val_mse",
        "rmse" => "val_rmse",
        _ => "val_other",
    }
}

/// The progress display (when printing) followed by the caller's callbacks.
struct Hooks<'c, 'd> {
    progbar: Option<ProgbarLogger>,
    user: &'c mut [&'d mut dyn Callback],
}

impl Hooks<'_, '_> {
    fn each(&mut self, mut f: impl FnMut(&mut dyn Callback)) {
        if let Some(p) = &mut self.progbar {
            f(p);
        }
        for c in self.user.iter_mut() {
            f(&mut **c);
        }
    }
}
