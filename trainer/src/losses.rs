//! Losses, as in `keras.losses`: value per sample and gradient of the batch mean.

use crate::activations::Activation;
use crate::error::{Error, Result};
use ndarray::{ArrayView2, ArrayViewMut2, Zip};

/// Keras' `epsilon()`: probabilities are clipped to `[EPSILON, 1 - EPSILON]` before the log.
pub const EPSILON: f32 = 1e-7;

/// A loss function. The value reported for a batch is the mean of the per-sample losses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// `-Σ_j y_j log(p_j)` per sample; the model must end in softmax, and the gradient is
    /// taken with respect to the logits: `p - y` (what Keras' TensorFlow backend does too).
    CategoricalCrossentropy,
    /// `-mean_j [y_j log(p_j) + (1 - y_j) log(1 - p_j)]` per sample; the model must end in
    /// sigmoid, and the gradient is taken with respect to the logits: `(p - y) / units`.
    BinaryCrossentropy,
    /// `mean_j (p_j - y_j)²` per sample, on any output activation.
    MeanSquaredError,
    /// `mean_j |p_j - y_j|` per sample (Keras' gradient of `|d|` at 0 is 0).
    MeanAbsoluteError,
    /// Keras' `Huber(delta=1.0)`: per output `½d²` where `|d| ≤ 1`, `|d| - ½` beyond, averaged
    /// over the outputs.
    Huber,
}

/// Keras' default `delta` of the Huber loss.
const HUBER_DELTA: f32 = 1.0;

const NAMES: &str = "categorical_crossentropy, binary_crossentropy, mean_squared_error (mse), \
                     mean_absolute_error (mae), huber";

impl Loss {
    /// The loss Keras calls `name`.
    ///
    /// # Errors
    /// [`Error::UnknownName`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "categorical_crossentropy" => Ok(Loss::CategoricalCrossentropy),
            "binary_crossentropy" => Ok(Loss::BinaryCrossentropy),
            "mean_squared_error" | "mse" => Ok(Loss::MeanSquaredError),
            "mean_absolute_error" | "mae" => Ok(Loss::MeanAbsoluteError),
            "huber" | "huber_loss" => Ok(Loss::Huber),
            _ => Err(Error::UnknownName {
                kind: "loss",
                name: name.to_owned(),
                expected: NAMES,
            }),
        }
    }

    /// Keras' name for the loss.
    pub const fn name(&self) -> &'static str {
        match self {
            Loss::CategoricalCrossentropy => "categorical_crossentropy",
            Loss::BinaryCrossentropy => "binary_crossentropy",
            Loss::MeanSquaredError => "mean_squared_error",
            Loss::MeanAbsoluteError => "mean_absolute_error",
            Loss::Huber => "huber",
        }
    }

    /// Whether the loss compares numbers (regression) rather than classes.
    pub const fn is_regression(&self) -> bool {
        matches!(
            self,
            Loss::MeanSquaredError | Loss::MeanAbsoluteError | Loss::Huber
        )
    }

    /// The output activation the loss is fused with, if any: the model must end with it, and
    /// [`gradient`](Self::gradient) is then with respect to that activation's inputs.
    pub const fn fused_activation(&self) -> Option<Activation> {
        match self {
            Loss::CategoricalCrossentropy => Some(Activation::Softmax),
            Loss::BinaryCrossentropy => Some(Activation::Sigmoid),
            Loss::MeanSquaredError | Loss::MeanAbsoluteError | Loss::Huber => None,
        }
    }

    /// The sum over the batch of the per-sample losses (divide by the batch size for Keras'
    /// reported value). Accumulated in f64 so running means over an epoch do not drift.
    ///
    /// # Shapes
    /// `pred` and `y`: `(batch, units)`.
    pub fn sum(&self, pred: ArrayView2<'_, f32>, y: ArrayView2<'_, f32>) -> f64 {
        let units = pred.ncols() as f32;
        let mut total = 0.0f64;
        for (p, y) in pred.rows().into_iter().zip(y.rows()) {
            let per_sample: f32 = match self {
                Loss::CategoricalCrossentropy => -p
                    .iter()
                    .zip(y)
                    .map(|(&p, &y)| y * clip(p).ln())
                    .sum::<f32>(),
                Loss::BinaryCrossentropy => {
                    let s: f32 = p.iter().zip(y).map(|(&p, &y)| binary(p, y)).sum();
                    s / units
                }
                Loss::MeanSquaredError => {
                    let s: f32 = p.iter().zip(y).map(|(&p, &y)| (p - y) * (p - y)).sum();
                    s / units
                }
                Loss::MeanAbsoluteError => {
                    let s: f32 = p.iter().zip(y).map(|(&p, &y)| (p - y).abs()).sum();
                    s / units
                }
                Loss::Huber => {
                    let s: f32 = p.iter().zip(y).map(|(&p, &y)| huber(p - y)).sum();
                    s / units
                }
            };
            total += f64::from(per_sample);
        }
        total
    }

    /// Writes the gradient of the batch-mean loss into `out`: with respect to the logits for a
    /// fused loss, with respect to the outputs otherwise.
    ///
    /// # Shapes
    /// `pred`, `y` and `out`: `(batch, units)`.
    pub fn gradient(
        &self,
        pred: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        mut out: ArrayViewMut2<'_, f32>,
    ) {
        let batch = pred.nrows() as f32;
        let per_output = 1.0 / (batch * pred.ncols() as f32);
        let scale = match self {
            Loss::CategoricalCrossentropy => 1.0 / batch,
            Loss::MeanSquaredError => 2.0 * per_output,
            _ => per_output,
        };
        let derivative: fn(f32) -> f32 = match self {
            Loss::MeanAbsoluteError => |d| if d == 0.0 { 0.0 } else { d.signum() },
            Loss::Huber => |d| d.clamp(-HUBER_DELTA, HUBER_DELTA),
            _ => |d| d,
        };
        if *self == Loss::CategoricalCrossentropy {
            // d/dz of -Σ y log softmax(z) is p·Σy - y, which is p - y for one-hot targets.
            Zip::from(out.rows_mut())
                .and(pred.rows())
                .and(y.rows())
                .for_each(|mut o, p, y| {
                    let mass = y.sum();
                    Zip::from(&mut o)
                        .and(&p)
                        .and(&y)
                        .for_each(|o, &p, &y| *o = (p * mass - y) * scale);
                });
        } else {
            Zip::from(&mut out)
                .and(&pred)
                .and(&y)
                .for_each(|o, &p, &y| *o = derivative(p - y) * scale);
        }
    }
}

fn clip(p: f32) -> f32 {
    p.clamp(EPSILON, 1.0 - EPSILON)
}

/// Keras' Huber loss of one difference: quadratic within `delta`, linear beyond.
fn huber(d: f32) -> f32 {
    let a = d.abs();
    if a <= HUBER_DELTA {
        0.5 * d * d
    } else {
        HUBER_DELTA * a - 0.5 * HUBER_DELTA * HUBER_DELTA
    }
}

fn binary(p: f32, y: f32) -> f32 {
    let p = clip(p);
    -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
}

#[cfg(test)]
mod tests;
