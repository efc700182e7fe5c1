//! `[callbacks.*]`: early stopping, the best-model checkpoint, the learning-rate schedule.

use super::{invalid, SpecError};
use crate::callbacks::{EarlyStopping, Mode, Schedule};
use serde::Deserialize;
use std::path::PathBuf;

/// `[callbacks]`: each callback is a table of its own, absent when not wanted.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CallbacksSpec {
    /// `[callbacks.early_stopping]`.
    pub early_stopping: Option<EarlyStoppingSpec>,
    /// `[callbacks.model_checkpoint]`.
    pub model_checkpoint: Option<CheckpointSpec>,
    /// `[callbacks.learning_rate_schedule]`.
    pub learning_rate_schedule: Option<Schedule>,
}

/// Keras' `EarlyStopping` arguments, with its defaults.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EarlyStoppingSpec {
    /// The quantity watched (default `val_loss`).
    pub monitor: String,
    /// Smallest change that counts as an improvement (default 0).
    pub min_delta: f64,
    /// Epochs without improvement before stopping (default 0).
    pub patience: usize,
    /// Put back the best epoch's weights at the end (default false).
    pub restore_best_weights: bool,
    /// `auto`, `min` or `max` (default `auto`).
    pub mode: Mode,
}

impl Default for EarlyStoppingSpec {
    fn default() -> Self {
        EarlyStoppingSpec {
            monitor: "val_loss".to_owned(),
            min_delta: 0.0,
            patience: 0,
            restore_best_weights: false,
            mode: Mode::Auto,
        }
    }
}

/// Keras' `ModelCheckpoint(save_best_only=True)` arguments.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// Where to write the best model file.
    pub path: PathBuf,
    /// The quantity watched (default `val_loss`).
    #[serde(default = "val_loss")]
    pub monitor: String,
    /// `auto`, `min` or `max` (default `auto`).
    #[serde(default)]
    pub mode: Mode,
}

fn val_loss() -> String {
    "val_loss".to_owned()
}

/// Checks that `monitor` (at `key`) is something `fit` logs.
pub(crate) fn check_monitor(monitor: &str, key: &str) -> Result<(), SpecError> {
    if crate::metrics::LOGGED.contains(&monitor) {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!(
                "`{monitor}` is not logged by fit: use one of {}",
                crate::metrics::LOGGED.join(", ")
            ),
        ))
    }
}

impl EarlyStoppingSpec {
    /// The callback.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] for an unknown `monitor` or a negative `min_delta`.
    pub fn build(&self) -> Result<EarlyStopping, SpecError> {
        check_monitor(&self.monitor, "callbacks.early_stopping.monitor")?;
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            return Err(invalid(
                "callbacks.early_stopping.min_delta",
                format!("{}: give a number ≥ 0", self.min_delta),
            ));
        }
        Ok(
            EarlyStopping::new(&self.monitor, self.mode, self.min_delta, self.patience)
                .restore_best_weights(self.restore_best_weights),
        )
    }
}

impl CallbacksSpec {
    /// Checks every value that TOML types alone do not.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming the key.
    pub fn check(&self) -> Result<(), SpecError> {
        if let Some(e) = &self.early_stopping {
            e.build()?;
        }
        if let Some(c) = &self.model_checkpoint {
            check_monitor(&c.monitor, "callbacks.model_checkpoint.monitor")?;
        }
        let key = "callbacks.learning_rate_schedule";
        match self.learning_rate_schedule {
            Some(Schedule::Step { factor, every }) => {
                if !(factor > 0.0 && factor <= 1.0) {
                    return Err(invalid(
                        format!("{key}.factor"),
                        format!("{factor}: give a number in (0, 1]"),
                    ));
                }
                if every == 0 {
                    return Err(invalid(format!("{key}.every"), "give at least 1 epoch"));
                }
            }
            Some(Schedule::Exponential {
                decay_rate,
                decay_epochs,
            }) => {
                if !(decay_rate > 0.0 && decay_rate <= 1.0) {
                    return Err(invalid(
                        format!("{key}.decay_rate"),
                        format!("{decay_rate}: give a number in (0, 1]"),
                    ));
                }
                if !(decay_epochs > 0.0 && decay_epochs.is_finite()) {
                    return Err(invalid(
                        format!("{key}.decay_epochs"),
                        format!("{decay_epochs}: give a positive number"),
                    ));
                }
            }
            None => {}
        }
        Ok(())
    }
}
