//! Keras' `ModelCheckpoint(save_best_only=True)`: the best model so far, as a model file.

use super::monitor::{Mode, Monitor};
use super::{Callback, Logs};
use crate::{Preprocessing, Sequential};
use std::ops::ControlFlow;
use std::path::PathBuf;

/// Writes the model file (atomically) after every epoch that improves the monitored quantity,
/// so `path` always holds the best model seen, whatever happens to the epochs after it.
#[derive(Debug)]
pub struct ModelCheckpoint {
    path: PathBuf,
    monitor: Monitor,
    preprocessing: Preprocessing,
    /// The epoch of the model last written.
    pub saved_epoch: Option<usize>,
    /// The first error met while writing; later epochs are not saved after it.
    pub error: Option<crate::Error>,
    /// Set when the monitored quantity was not in the logs.
    pub missing: bool,
}

impl ModelCheckpoint {
    /// Saves to `path`, with `preprocessing` in the file, whenever `monitor` improves.
    pub fn new(
        path: impl Into<PathBuf>,
        monitor: &str,
        mode: Mode,
        preprocessing: Preprocessing,
    ) -> Self {
        ModelCheckpoint {
            path: path.into(),
            monitor: Monitor::new(monitor, mode, 0.0),
            preprocessing,
            saved_epoch: None,
            error: None,
            missing: false,
        }
    }

    /// The best value of the monitored quantity.
    pub fn best(&self) -> Option<f64> {
        self.monitor.best()
    }
}

impl Callback for ModelCheckpoint {
    fn on_epoch_end(
        &mut self,
        epoch: usize,
        logs: &Logs,
        model: &mut Sequential,
    ) -> ControlFlow<()> {
        match self.monitor.improved(logs) {
            None => self.missing = true,
            Some(true) if self.error.is_none() => match model.save(&self.path, &self.preprocessing)
            {
                Ok(()) => self.saved_epoch = Some(epoch),
                Err(e) => self.error = Some(e),
            },
            Some(_) => {}
        }
        ControlFlow::Continue(())
    }
}
