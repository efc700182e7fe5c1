//! Weight initializers, with Keras 3's names, defaults and formulas.

use crate::error::{Error, Result};
use crate::SeededRng;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

/// How a weight tensor gets its first values. `fan_in` and `fan_out` are the kernel's input and
/// output widths (Keras' `(in, units)` kernel shape).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Initializer {
    /// All zeros (Keras' default for biases).
    Zeros,
    /// All ones.
    Ones,
    /// Normal with the given mean and standard deviation (Keras default: 0.0, 0.05).
    RandomNormal {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        stddev: f32,
    },
    /// Uniform in `[minval, maxval)` (Keras default: -0.05, 0.05).
    RandomUniform {
        /// Lower bound.
        minval: f32,
        /// Upper bound.
        maxval: f32,
    },
    /// Uniform in ±sqrt(6 / (fan_in + fan_out)): Keras' default kernel initializer.
    GlorotUniform,
    /// Truncated normal (cut at two standard deviations), std sqrt(2 / (fan_in + fan_out)).
    GlorotNormal,
    /// Truncated normal (cut at two standard deviations), std sqrt(2 / fan_in).
    HeNormal,
    /// Uniform in ±sqrt(6 / fan_in).
    HeUniform,
}

/// The names [`Initializer::from_name`] accepts, for error messages.
const NAMES: &str =
    "zeros, ones, random_normal, random_uniform, glorot_uniform, glorot_normal, he_normal, he_uniform";

/// Standard deviation of a standard normal truncated to ±2: Keras divides the target std by it
/// so the truncated distribution has the variance asked for.
const TRUNCATED_STD: f64 = 0.879_625_661_034_239_8;

impl Initializer {
    /// Keras' `random_normal`: N(0, 0.05).
    pub const fn random_normal() -> Self {
        Initializer::RandomNormal {
            mean: 0.0,
            stddev: 0.05,
        }
    }

    /// Keras' `random_uniform`: U(-0.05, 0.05).
    pub const fn random_uniform() -> Self {
        Initializer::RandomUniform {
            minval: -0.05,
            maxval: 0.05,
        }
    }

    /// The initializer Keras calls `name`, with Keras' default parameters.
    ///
    /// # Errors
    /// [`Error::UnknownName`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "zeros" => Initializer::Zeros,
            "ones" => Initializer::Ones,
            "random_normal" => Self::random_normal(),
            "random_uniform" => Self::random_uniform(),
            "glorot_uniform" => Initializer::GlorotUniform,
            "glorot_normal" => Initializer::GlorotNormal,
            "he_normal" => Initializer::HeNormal,
            "he_uniform" => Initializer::HeUniform,
            _ => {
                return Err(Error::UnknownName {
                    kind: "initializer",
                    name: name.to_owned(),
                    expected: NAMES,
                })
            }
        })
    }

    /// Keras' name for the initializer.
    pub const fn name(&self) -> &'static str {
        match self {
            Initializer::Zeros => "zeros",
            Initializer::Ones => "ones",
            Initializer::RandomNormal { .. } => "random_normal",
            Initializer::RandomUniform { .. } => "random_uniform",
            Initializer::GlorotUniform => "glorot_uniform",
            Initializer::GlorotNormal => "glorot_normal",
            Initializer::HeNormal => "he_normal",
            Initializer::HeUniform => "he_uniform",
        }
    }

    /// Fills `values` (a tensor in row-major order) with fresh draws from `rng`.
    pub fn fill(&self, values: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut SeededRng) {
        let (fan_in, fan_out) = (fan_in as f64, fan_out as f64);
        match *self {
            Initializer::Zeros => values.fill(0.0),
            Initializer::Ones => values.fill(1.0),
            Initializer::RandomNormal { mean, stddev } => {
                fill_normal(values, mean as f64, stddev as f64, rng)
            }
            Initializer::RandomUniform { minval, maxval } => {
                fill_uniform(values, minval as f64, maxval as f64, rng)
            }
            Initializer::GlorotUniform => {
                let limit = (6.0 / (fan_in + fan_out)).sqrt();
                fill_uniform(values, -limit, limit, rng)
            }
            Initializer::GlorotNormal => {
                fill_truncated(values, (2.0 / (fan_in + fan_out)).sqrt(), rng)
            }
            Initializer::HeNormal => fill_truncated(values, (2.0 / fan_in).sqrt(), rng),
            Initializer::HeUniform => {
                let limit = (6.0 / fan_in).sqrt();
                fill_uniform(values, -limit, limit, rng)
            }
        }
    }
}

fn fill_normal(values: &mut [f32], mean: f64, stddev: f64, rng: &mut SeededRng) {
    for v in values {
        let z: f64 = StandardNormal.sample(rng);
        *v = (mean + stddev * z) as f32;
    }
}

fn fill_uniform(values: &mut [f32], low: f64, high: f64, rng: &mut SeededRng) {
    for v in values {
        let u: f64 = rng.random();
        *v = (low + (high - low) * u) as f32;
    }
}

/// Keras' variance-scaling truncated normal: draws beyond two standard deviations are redrawn,
/// and the std is divided by [`TRUNCATED_STD`] so the result has variance `stddev²`.
fn fill_truncated(values: &mut [f32], stddev: f64, rng: &mut SeededRng) {
    let scale = stddev / TRUNCATED_STD;
    for v in values {
        let z = loop {
            let z: f64 = StandardNormal.sample(rng);
            if z.abs() <= 2.0 {
                break z;
            }
        };
        *v = (scale * z) as f32;
    }
}

#[cfg(test)]
mod tests;
