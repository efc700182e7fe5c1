//! Learning-rate schedules, as Keras' `LearningRateScheduler` with a step or exponential decay.

use super::{Callback, Logs, TrainParams};
use crate::Sequential;
use std::ops::ControlFlow;

/// How the learning rate falls with the epoch (counted from 0).
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(tag = "schedule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// `lr0 · factor^floor(epoch / every)`: multiply by `factor` every `every` epochs.
    Step {
        /// The multiplier, in (0, 1].
        factor: f32,
        /// Epochs between drops (≥ 1).
        every: usize,
    },
    /// `lr0 · decay_rate^(epoch / decay_epochs)`: Keras' `ExponentialDecay` counted in epochs.
    Exponential {
        /// The multiplier per `decay_epochs`, in (0, 1].
        decay_rate: f32,
        /// Epochs over which the rate is multiplied by `decay_rate` once (> 0; default 1).
        #[serde(default = "one")]
        decay_epochs: f32,
    },
}

fn one() -> f32 {
    1.0
}

impl Schedule {
    /// The learning rate of `epoch` when the first epoch's is `initial`.
    pub fn rate(&self, initial: f32, epoch: usize) -> f32 {
        match *self {
            Schedule::Step { factor, every } => {
                let drops = (epoch / every.max(1)) as i32;
                initial * factor.powi(drops)
            }
            Schedule::Exponential {
                decay_rate,
                decay_epochs,
            } => initial * decay_rate.powf(epoch as f32 / decay_epochs),
        }
    }
}

/// Sets the optimizer's learning rate before every epoch from a [`Schedule`], starting from the
/// rate the model was compiled with; the optimizer's state (moments) is kept, as in Keras.
#[derive(Clone, Debug)]
pub struct LearningRateScheduler {
    schedule: Schedule,
    initial: Option<f32>,
    /// The rate used in each epoch so far.
    pub rates: Vec<f32>,
}

impl LearningRateScheduler {
    /// Follows `schedule`.
    pub fn new(schedule: Schedule) -> Self {
        LearningRateScheduler {
            schedule,
            initial: None,
            rates: Vec::new(),
        }
    }
}

impl Callback for LearningRateScheduler {
    fn on_train_begin(&mut self, _params: &TrainParams) {
        self.rates.clear();
    }

    // The trait hands the model to `on_epoch_end` only, so the rate for epoch e + 1 is set at
    // the end of epoch e; epoch 0 runs at the compiled rate, which is `rate(initial, 0)`.
    fn on_epoch_end(
        &mut self,
        epoch: usize,
        _logs: &Logs,
        model: &mut Sequential,
    ) -> ControlFlow<()> {
        if let Some(optimizer) = model.optimizer_mut() {
            let initial = *self.initial.get_or_insert(optimizer.learning_rate());
            if self.rates.is_empty() {
                self.rates.push(initial);
            }
            let next = self.schedule.rate(initial, epoch + 1);
            optimizer.set_learning_rate(next);
            self.rates.push(next);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_decay_drops_every_n_epochs() {
        let s = Schedule::Step {
            factor: 0.5,
            every: 2,
        };
        let rates: Vec<f32> = (0..5).map(|e| s.rate(0.1, e)).collect();
        assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
    }

    #[test]
    fn exponential_decay_is_continuous_in_epochs() {
        let s = Schedule::Exponential {
            decay_rate: 0.25,
            decay_epochs: 2.0,
        };
        assert_eq!(s.rate(1.0, 0), 1.0);
        assert_eq!(s.rate(1.0, 1), 0.5);
        assert_eq!(s.rate(1.0, 2), 0.25);
    }

    #[test]
    fn the_scheduler_sets_the_optimizer_before_each_epoch() {
        use crate::layers::Dense;
        use crate::{Loss, Optimizer};
        let mut m = Sequential::new();
        m.add(Dense::new(1).input_dim(1)).unwrap();
        m.compile(
            Optimizer::from_name("sgd").unwrap(),
            Loss::MeanSquaredError,
            &[],
        )
        .unwrap();
        let mut cb = LearningRateScheduler::new(Schedule::Step {
            factor: 0.1,
            every: 1,
        });
        cb.on_train_begin(&TrainParams {
            epochs: 3,
            steps: 1,
        });
        for epoch in 0..2 {
            let _ = cb.on_epoch_end(epoch, &Logs::default(), &mut m);
        }
        let lr = m.optimizer().unwrap().learning_rate();
        assert!((lr - 0.0001).abs() < 1e-9, "{lr}");
        assert_eq!(cb.rates.len(), 3);
    }
}
