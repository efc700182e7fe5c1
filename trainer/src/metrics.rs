//! Metrics, as in `keras.metrics`: reported during training, never differentiated.

use crate::error::{Error, Result};
use crate::losses::Loss;
use ndarray::ArrayView2;

/// A metric named in `compile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// `"accuracy"`: Keras picks binary or categorical accuracy from the loss and output width
    /// (see [`Metric::resolve`]).
    Accuracy,
}

impl Metric {
    /// The metric Keras calls `name` (`"accuracy"` or `"acc"`).
    ///
    /// # Errors
    /// [`Error::UnknownName`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "accuracy" | "acc" => Ok(Metric::Accuracy),
            _ => Err(Error::UnknownName {
                kind: "metric",
                name: name.to_owned(),
                expected: "accuracy",
            }),
        }
    }

    /// What Keras' `compile` turns the metric into for `loss` and `units` outputs: binary
    /// accuracy for binary cross-entropy or a single output, categorical accuracy otherwise.
    pub fn resolve(self, loss: Loss, units: usize) -> ResolvedMetric {
        match self {
            Metric::Accuracy if loss == Loss::BinaryCrossentropy || units == 1 => {
                ResolvedMetric::BinaryAccuracy
            }
            Metric::Accuracy => ResolvedMetric::CategoricalAccuracy,
        }
    }
}

/// A metric as it is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolvedMetric {
    /// Share of samples whose predicted argmax equals the target's argmax.
    CategoricalAccuracy,
    /// Share of outputs where `p > 0.5` equals the target, averaged per sample.
    BinaryAccuracy,
}

impl ResolvedMetric {
    /// The name shown in the logs; Keras shows `accuracy` for both flavours.
    pub const fn name(&self) -> &'static str {
        "accuracy"
    }

    /// The name of the metric on validation data.
    pub const fn val_name(&self) -> &'static str {
        "val_accuracy"
    }

    /// The sum over the batch of the per-sample metric (divide by the batch size for the mean).
    ///
    /// # Shapes
    /// `pred` and `y`: `(batch, units)`.
    pub fn sum(&self, pred: ArrayView2<'_, f32>, y: ArrayView2<'_, f32>) -> f64 {
        let rows = pred.rows().into_iter().zip(y.rows());
        match self {
            ResolvedMetric::CategoricalAccuracy => rows
                .filter(|(p, y)| argmax(p.iter()) == argmax(y.iter()))
                .count() as f64,
            ResolvedMetric::BinaryAccuracy => rows
                .map(|(p, y)| {
                    let hits = p.iter().zip(y).filter(|(&p, &y)| (p > 0.5) == (y > 0.5));
                    hits.count() as f64 / p.len() as f64
                })
                .sum(),
        }
    }
}

/// Index of the largest value; the first one on ties, as NumPy and TensorFlow do.
pub fn argmax<'a>(values: impl Iterator<Item = &'a f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn categorical_accuracy_counts_argmax_hits() {
        let pred = array![[0.9f32, 0.1], [0.4, 0.6], [0.5, 0.5]];
        let y = array![[1.0f32, 0.0], [1.0, 0.0], [1.0, 0.0]];
        let metric = Metric::Accuracy.resolve(Loss::CategoricalCrossentropy, 2);
        assert_eq!(metric, ResolvedMetric::CategoricalAccuracy);
        // The tie [0.5, 0.5] goes to class 0, as np.argmax does.
        assert_eq!(metric.sum(pred.view(), y.view()), 2.0);
    }

    #[test]
    fn binary_accuracy_thresholds_at_one_half() {
        let pred = array![[0.7f32], [0.2], [0.5]];
        let y = array![[1.0f32], [1.0], [0.0]];
        let metric = Metric::Accuracy.resolve(Loss::BinaryCrossentropy, 1);
        assert_eq!(metric, ResolvedMetric::BinaryAccuracy);
        assert_eq!(metric.sum(pred.view(), y.view()), 2.0);
    }

    #[test]
    fn single_output_mse_uses_binary_accuracy() {
        let metric = Metric::Accuracy.resolve(Loss::MeanSquaredError, 1);
        assert_eq!(metric, ResolvedMetric::BinaryAccuracy);
    }
}
