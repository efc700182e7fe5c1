//! Callbacks, as in `keras.callbacks`: hooks `fit` calls at the start and end of epochs and
//! batches. The progress display ([`ProgbarLogger`]) is one; so is [`History`]; so are
//! [`EarlyStopping`], [`ModelCheckpoint`], [`LearningRateScheduler`] and [`TerminateOnNaN`].

mod checkpoint;
mod early_stopping;
mod monitor;
mod progbar;
mod schedule;
mod terminate_on_nan;

pub use checkpoint::ModelCheckpoint;
pub use early_stopping::EarlyStopping;
pub use monitor::{Mode, Monitor};
pub use progbar::ProgbarLogger;
pub use schedule::{LearningRateScheduler, Schedule};
pub use terminate_on_nan::TerminateOnNaN;

use crate::Sequential;
use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// Named values reported by `fit` and `evaluate`: `loss`, `accuracy`, `val_loss`, ….
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(&'static str, f64)>,
}

impl Logs {
    /// The value called `name`, if reported.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries.iter().find(|(n, _)| *n == name).map(|e| e.1)
    }

    /// Sets `name` to `value`, replacing any previous value.
    pub fn set(&mut self, name: &'static str, value: f64) {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// Every entry, in the order reported.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.entries.iter().copied()
    }

    /// Every entry sorted by name, as Keras 3 prints them (`accuracy` before `loss`).
    pub fn sorted(&self) -> Vec<(&'static str, f64)> {
        let mut entries = self.entries.clone();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
    }

    /// Removes every entry, keeping the storage.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// What `fit` tells callbacks before the first epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrainParams {
    /// The number of epochs.
    pub epochs: usize,
    /// The number of batches (optimizer steps) per epoch.
    pub steps: usize,
}

/// A hook into `fit`. Every method has a default that does nothing.
pub trait Callback {
    /// Before the first epoch.
    fn on_train_begin(&mut self, _params: &TrainParams) {}

    /// Before epoch `epoch` (counted from 0).
    fn on_epoch_begin(&mut self, _epoch: usize) {}

    /// After batch `step` (counted from 1) of the current epoch, with the running means.
    fn on_train_batch_end(&mut self, _step: usize, _logs: &Logs) {}

    /// After epoch `epoch`, with its means and validation results. Return
    /// `ControlFlow::Break(())` to stop training (early stopping); the model may be changed
    /// (restoring the best weights).
    fn on_epoch_end(
        &mut self,
        _epoch: usize,
        _logs: &Logs,
        _model: &mut Sequential,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }

    /// After the last epoch.
    fn on_train_end(&mut self) {}
}

/// The per-epoch record `fit` returns, as Keras' `History`: `history["loss"][epoch]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The epochs recorded (counted from 0).
    pub epoch: Vec<usize>,
    /// Per reported name, one value per epoch.
    pub history: BTreeMap<String, Vec<f64>>,
}

impl History {
    /// The values of `name` per epoch, if reported.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.history.get(name).map(Vec::as_slice)
    }

    /// The value of `name` after the last epoch.
    pub fn last(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(|v| v.last().copied())
    }
}

impl Callback for History {
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, _: &mut Sequential) -> ControlFlow<()> {
        self.epoch.push(epoch);
        for (name, value) in logs.iter() {
            self.history.entry(name.to_owned()).or_default().push(value);
        }
        ControlFlow::Continue(())
    }
}
