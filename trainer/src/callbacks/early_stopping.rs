//! Keras' `EarlyStopping`: stop when the monitored quantity has stopped improving.

use super::monitor::{Mode, Monitor};
use super::{Callback, Logs, TrainParams};
use crate::Sequential;
use ndarray::{Array1, Array2};
use std::ops::ControlFlow;

/// Stops `fit` after `patience` epochs without an improvement of more than `min_delta`, and
/// optionally puts back the weights of the best epoch.
///
/// As Keras 3: the first epoch sets the reference; with `restore_best_weights` the best epoch's
/// weights are restored when training ends, whether it was stopped early or ran out of epochs.
/// A quantity missing from the logs (`val_loss` without validation data) is an error, reported
/// by [`EarlyStopping::missing`] after `fit`, rather than silently never stopping.
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    monitor: Monitor,
    patience: usize,
    restore_best_weights: bool,
    wait: usize,
    epochs: usize,
    best_epoch: Option<usize>,
    best_weights: Option<Vec<(Array2<f32>, Array1<f32>)>>,
    /// The epoch training was stopped after, if it was.
    pub stopped_epoch: Option<usize>,
    /// Set when the monitored quantity was not in the logs.
    pub missing: bool,
}

impl EarlyStopping {
    /// Watches `monitor` (`val_loss` in Keras' default), with `mode`, `min_delta`, `patience`.
    pub fn new(monitor: &str, mode: Mode, min_delta: f64, patience: usize) -> Self {
        EarlyStopping {
            monitor: Monitor::new(monitor, mode, min_delta),
            patience,
            restore_best_weights: false,
            wait: 0,
            epochs: 0,
            best_epoch: None,
            best_weights: None,
            stopped_epoch: None,
            missing: false,
        }
    }

    /// Restores the best epoch's weights at the end of training.
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best_weights = restore;
        self
    }

    /// The epoch (counted from 0) with the best monitored value.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    fn finish(&mut self, model: &mut Sequential) {
        if let Some(weights) = self.best_weights.take() {
            for (dense, (kernel, bias)) in model.dense_layers_mut().zip(weights) {
                // Same layer, same shapes: the weights were copied from it.
                let _ = dense.set_weights(kernel, bias);
            }
        }
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, params: &TrainParams) {
        self.epochs = params.epochs;
        self.wait = 0;
        self.stopped_epoch = None;
    }

    fn on_epoch_end(
        &mut self,
        epoch: usize,
        logs: &Logs,
        model: &mut Sequential,
    ) -> ControlFlow<()> {
        let Some(improved) = self.monitor.improved(logs) else {
            self.missing = true;
            return ControlFlow::Continue(());
        };
        if improved {
            self.wait = 0;
            self.best_epoch = Some(epoch);
            if self.restore_best_weights {
                let weights = model
                    .dense_layers_mut()
                    .map(|d| (d.kernel().clone(), d.bias().clone()));
                self.best_weights = Some(weights.collect());
            }
        } else {
            self.wait += 1;
        }
        let stop = self.wait >= self.patience && epoch > 0 && !improved;
        if stop {
            self.stopped_epoch = Some(epoch);
        }
        if stop || epoch + 1 == self.epochs {
            self.finish(model);
        }
        if stop {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

#[cfg(test)]
mod tests;
