//! Stopping a training run whose loss is no longer a number, as `keras.callbacks.TerminateOnNaN`.

use super::{Callback, Logs};
use crate::Sequential;
use std::ops::ControlFlow;

/// Stops `fit` at the end of the epoch in which the loss became NaN or infinite, and remembers
/// where: the weights are then no longer numbers either, so the caller must not save them.
///
/// # Examples
/// ```
/// use dendrite_trainer::callbacks::{Callback, Logs, TerminateOnNaN};
/// let mut guard = TerminateOnNaN::default();
/// let mut logs = Logs::default();
/// logs.set("loss", f64::NAN);
/// guard.on_epoch_begin(2);
/// guard.on_train_batch_end(7, &logs);
/// assert_eq!(guard.diverged, Some((2, 7)));
/// ```
#[derive(Clone, Debug, Default)]
pub struct TerminateOnNaN {
    epoch: usize,
    /// The epoch (from 0) and batch (from 1) at which the loss stopped being finite.
    pub diverged: Option<(usize, usize)>,
    /// The loss reported then (NaN or infinite).
    pub loss: Option<f64>,
}

impl Callback for TerminateOnNaN {
    fn on_epoch_begin(&mut self, epoch: usize) {
        self.epoch = epoch;
    }

    fn on_train_batch_end(&mut self, step: usize, logs: &Logs) {
        match logs.get("loss") {
            Some(loss) if !loss.is_finite() && self.diverged.is_none() => {
                self.diverged = Some((self.epoch, step));
                self.loss = Some(loss);
            }
            _ => {}
        }
    }

    fn on_epoch_end(&mut self, _: usize, _: &Logs, _: &mut Sequential) -> ControlFlow<()> {
        match self.diverged {
            Some(_) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        }
    }
}
