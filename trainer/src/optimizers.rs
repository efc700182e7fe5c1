//! Optimizers, as in `keras.optimizers`, with Keras 3's update rules and defaults.
//!
//! Every update is element-wise in f32, in the order Keras writes it, so a step can be checked
//! by hand against Keras' formulas (see the tests).

use crate::error::{Error, Result};

/// Stochastic gradient descent, optionally with (Nesterov) momentum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Step size (Keras default 0.01).
    pub learning_rate: f32,
    /// Momentum factor (default 0: plain SGD).
    pub momentum: f32,
    /// Nesterov momentum (default false).
    pub nesterov: bool,
}

/// RMSprop, Keras 3 flavour: `v = ρv + (1-ρ)g²; w -= lr·g / sqrt(v + ε)` (ε inside the root).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsProp {
    /// Step size (default 0.001).
    pub learning_rate: f32,
    /// Decay of the squared-gradient average (default 0.9).
    pub rho: f32,
    /// Momentum factor (default 0).
    pub momentum: f32,
    /// Added to the average before the square root (default 1e-7).
    pub epsilon: f32,
}

/// Adam, Keras 3 flavour: the bias correction folded into the step size,
/// `α = lr·sqrt(1-β₂ᵗ)/(1-β₁ᵗ); w -= α·m / (sqrt(v) + ε)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    /// Step size (default 0.001).
    pub learning_rate: f32,
    /// Decay of the gradient average (default 0.9).
    pub beta_1: f32,
    /// Decay of the squared-gradient average (default 0.999).
    pub beta_2: f32,
    /// Added to `sqrt(v)` (default 1e-7).
    pub epsilon: f32,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd {
            learning_rate: 0.01,
            momentum: 0.0,
            nesterov: false,
        }
    }
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsProp {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
        }
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam {
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

/// Any optimizer `compile` accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// See [`Sgd`].
    Sgd(Sgd),
    /// See [`RmsProp`].
    RmsProp(RmsProp),
    /// See [`Adam`].
    Adam(Adam),
}

impl Optimizer {
    /// The optimizer Keras calls `name` (`"sgd"`, `"rmsprop"`, `"adam"`), with Keras' defaults.
    ///
    /// # Errors
    /// [`Error::UnknownName`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "sgd" => Ok(Optimizer::Sgd(Sgd::default())),
            "rmsprop" => Ok(Optimizer::RmsProp(RmsProp::default())),
            "adam" => Ok(Optimizer::Adam(Adam::default())),
            _ => Err(Error::UnknownName {
                kind: "optimizer",
                name: name.to_owned(),
                expected: "sgd, rmsprop, adam",
            }),
        }
    }

    /// Keras' name for the optimizer.
    pub const fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd(_) => "sgd",
            Optimizer::RmsProp(_) => "rmsprop",
            Optimizer::Adam(_) => "adam",
        }
    }

    /// The current step size.
    pub fn learning_rate(&self) -> f32 {
        match self {
            Optimizer::Sgd(o) => o.learning_rate,
            Optimizer::RmsProp(o) => o.learning_rate,
            Optimizer::Adam(o) => o.learning_rate,
        }
    }

    /// Sets the step size (for schedules; the optimizer's state is kept).
    pub fn set_learning_rate(&mut self, learning_rate: f32) {
        match self {
            Optimizer::Sgd(o) => o.learning_rate = learning_rate,
            Optimizer::RmsProp(o) => o.learning_rate = learning_rate,
            Optimizer::Adam(o) => o.learning_rate = learning_rate,
        }
    }

    /// Returns the optimizer with another step size.
    pub fn with_learning_rate(mut self, learning_rate: f32) -> Self {
        self.set_learning_rate(learning_rate);
        self
    }

    /// Fresh state (zeroed accumulators) for variables of the given sizes.
    pub fn state(&self, sizes: &[usize]) -> OptimizerState {
        let slots = match self {
            Optimizer::Sgd(o) if o.momentum == 0.0 => 0,
            Optimizer::Sgd(_) => 1,
            Optimizer::RmsProp(o) if o.momentum == 0.0 => 1,
            Optimizer::RmsProp(_) | Optimizer::Adam(_) => 2,
        };
        OptimizerState {
            iterations: 0,
            scale: 0.0,
            slots: sizes.iter().map(|&n| vec![vec![0.0; n]; slots]).collect(),
        }
    }
}

/// What an optimizer remembers between steps: its iteration count and, per variable, its
/// accumulators (momentum, squared-gradient average), all starting at zero as in Keras.
#[derive(Clone, Debug)]
pub struct OptimizerState {
    iterations: u64,
    /// Per-step factor: Adam's bias-corrected step size.
    scale: f32,
    slots: Vec<Vec<Vec<f32>>>,
}

impl OptimizerState {
    /// The number of steps taken so far.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// The number of variables the state holds accumulators for.
    pub fn variables(&self) -> usize {
        self.slots.len()
    }

    /// Starts a step: computes the per-step factors. Call once per batch, then [`update`] each
    /// variable.
    ///
    /// [`update`]: Self::update
    pub fn begin_step(&mut self, optimizer: &Optimizer) {
        if let Optimizer::Adam(o) = optimizer {
            // Keras: local_step = iterations + 1, powers and α computed in f32.
            let t = (self.iterations + 1) as f32;
            let beta_1_power = o.beta_1.powf(t);
            let beta_2_power = o.beta_2.powf(t);
            self.scale = o.learning_rate * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power);
        }
        self.iterations += 1;
    }

    /// Updates variable number `index` (`w`) with its gradient `g`.
    ///
    /// # Panics
    /// When `index` is out of range or the lengths differ from the state's: both are fixed by
    /// the model, a mismatch is a bug in the trainer.
    pub fn update(&mut self, optimizer: &Optimizer, index: usize, w: &mut [f32], g: &[f32]) {
        let slots = &mut self.slots[index];
        assert!(w.len() == g.len() && slots.iter().all(|s| s.len() == w.len()));
        match (optimizer, slots.as_mut_slice()) {
            (Optimizer::Sgd(o), []) => sgd(o.learning_rate, w, g),
            (Optimizer::Sgd(o), [m]) => sgd_momentum(o, w, g, m),
            (Optimizer::RmsProp(o), [v]) => rmsprop(o, w, g, v),
            (Optimizer::RmsProp(o), [v, m]) => rmsprop_momentum(o, w, g, v, m),
            (Optimizer::Adam(o), [m, v]) => adam(o, self.scale, w, g, m, v),
            _ => panic!("optimizer state does not belong to {}", optimizer.name()),
        }
    }
}

fn sgd(lr: f32, w: &mut [f32], g: &[f32]) {
    for (w, &g) in w.iter_mut().zip(g) {
        *w -= lr * g;
    }
}

/// Keras 3: `m = μm - lr·g`, then `w += m`, or with Nesterov `w += μm - lr·g`.
fn sgd_momentum(o: &Sgd, w: &mut [f32], g: &[f32], m: &mut [f32]) {
    for ((w, &g), m) in w.iter_mut().zip(g).zip(m) {
        *m = o.momentum * *m - o.learning_rate * g;
        if o.nesterov {
            *w += o.momentum * *m - o.learning_rate * g;
        } else {
            *w += *m;
        }
    }
}

fn rmsprop(o: &RmsProp, w: &mut [f32], g: &[f32], v: &mut [f32]) {
    for ((w, &g), v) in w.iter_mut().zip(g).zip(v) {
        *v = o.rho * *v + (1.0 - o.rho) * (g * g);
        *w -= o.learning_rate * g / (*v + o.epsilon).sqrt();
    }
}

/// Keras 3 with momentum: `m = μm + lr·g / sqrt(v + ε)`, `w -= m`.
fn rmsprop_momentum(o: &RmsProp, w: &mut [f32], g: &[f32], v: &mut [f32], m: &mut [f32]) {
    for (((w, &g), v), m) in w.iter_mut().zip(g).zip(v).zip(m) {
        *v = o.rho * *v + (1.0 - o.rho) * (g * g);
        *m = o.momentum * *m + o.learning_rate * g / (*v + o.epsilon).sqrt();
        *w -= *m;
    }
}

/// Keras 3: `m += (g - m)(1 - β₁)`, `v += (g² - v)(1 - β₂)`, `w -= α·m / (sqrt(v) + ε)`.
fn adam(o: &Adam, alpha: f32, w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m).zip(v) {
        *m += (g - *m) * (1.0 - o.beta_1);
        *v += (g * g - *v) * (1.0 - o.beta_2);
        *w -= alpha * *m / (v.sqrt() + o.epsilon);
    }
}

#[cfg(test)]
mod tests;
