//! The quantity a callback watches, and which way is better.

use super::Logs;

/// Whether a smaller or a larger value of the monitored quantity is better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Keras' `auto`: larger is better for accuracies, smaller for everything else.
    #[default]
    Auto,
    /// Smaller is better (losses).
    Min,
    /// Larger is better (accuracies).
    Max,
}

/// A logged quantity, the improvement that counts, and the best value seen.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitor {
    /// The name in the logs: `val_loss`, `loss`, `val_accuracy`, ….
    pub name: String,
    /// An improvement smaller than this does not count (Keras' `min_delta`, ≥ 0).
    pub min_delta: f64,
    maximize: bool,
    best: Option<f64>,
}

impl Monitor {
    /// Watches `name`; `mode` `Auto` maximizes names containing `acc`, as Keras does.
    pub fn new(name: &str, mode: Mode, min_delta: f64) -> Self {
        let maximize = match mode {
            Mode::Auto => name.contains("acc"),
            Mode::Min => false,
            Mode::Max => true,
        };
        Monitor {
            name: name.to_owned(),
            min_delta: min_delta.abs(),
            maximize,
            best: None,
        }
    }

    /// The best value seen so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Reads the value from `logs` and records it if it improves on the best by more than
    /// `min_delta`. `None` when the logs lack the quantity (no validation data for `val_*`).
    pub fn improved(&mut self, logs: &Logs) -> Option<bool> {
        let value = logs.get(&self.name)?;
        let better = match self.best {
            None => true,
            Some(best) if self.maximize => value - self.min_delta > best,
            Some(best) => value + self.min_delta < best,
        };
        if better {
            self.best = Some(value);
        }
        Some(better)
    }
}
