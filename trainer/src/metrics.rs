//! Metrics, as in `keras.metrics`: reported during training, never differentiated.

use crate::error::{Error, Result};
use crate::losses::Loss;
use ndarray::ArrayView2;

/// Every name `fit` may log, in the order reports list them: the loss and the metrics, then
/// their values on the validation data.
pub const LOGGED: [&str; 10] = [
    "loss",
    "accuracy",
    "mae",
    "mse",
    "rmse",
    "val_loss",
    "val_accuracy",
    "val_mae",
    "val_mse",
    "val_rmse",
];

/// A metric named in `compile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// `"accuracy"`: Keras picks binary or categorical accuracy from the loss and output width
    /// (see [`Metric::resolve`]).
    Accuracy,
    /// `"mae"`: mean absolute error.
    MeanAbsoluteError,
    /// `"mse"`: mean squared error.
    MeanSquaredError,
    /// `"rmse"`: root mean squared error over all the samples seen (Keras'
    /// `RootMeanSquaredError`: the root of the mean, not the mean of batch roots).
    RootMeanSquaredError,
}

impl Metric {
    /// The metric Keras calls `name` (`"accuracy"` or `"acc"`, `"mae"`, `"mse"`, `"rmse"`).
    ///
    /// # Errors
    /// [`Error::UnknownName`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "accuracy" | "acc" => Ok(Metric::Accuracy),
            "mae" | "mean_absolute_error" => Ok(Metric::MeanAbsoluteError),
            "mse" | "mean_squared_error" => Ok(Metric::MeanSquaredError),
            "rmse" | "root_mean_squared_error" => Ok(Metric::RootMeanSquaredError),
            _ => Err(Error::UnknownName {
                kind: "metric",
                name: name.to_owned(),
                expected: "accuracy, mae, mse, rmse",
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
            Metric::MeanAbsoluteError => ResolvedMetric::MeanAbsoluteError,
            Metric::MeanSquaredError => ResolvedMetric::MeanSquaredError,
            Metric::RootMeanSquaredError => ResolvedMetric::RootMeanSquaredError,
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
    /// Mean over the outputs of `|p - y|`.
    MeanAbsoluteError,
    /// Mean over the outputs of `(p - y)²`.
    MeanSquaredError,
    /// The root of the mean squared error over everything seen.
    RootMeanSquaredError,
}

impl ResolvedMetric {
    /// The name shown in the logs; Keras shows `accuracy` for both flavours.
    pub const fn name(&self) -> &'static str {
        match self {
            ResolvedMetric::CategoricalAccuracy | ResolvedMetric::BinaryAccuracy => "accuracy",
            ResolvedMetric::MeanAbsoluteError => "mae",
            ResolvedMetric::MeanSquaredError => "mse",
            ResolvedMetric::RootMeanSquaredError => "rmse",
        }
    }

    /// The name of the metric on validation data.
    pub const fn val_name(&self) -> &'static str {
        match self {
            ResolvedMetric::CategoricalAccuracy | ResolvedMetric::BinaryAccuracy => "val_accuracy",
            ResolvedMetric::MeanAbsoluteError => "val_mae",
            ResolvedMetric::MeanSquaredError => "val_mse",
            ResolvedMetric::RootMeanSquaredError => "val_rmse",
        }
    }

    /// Whether a larger value is better (accuracy) rather than a smaller one (errors).
    pub const fn higher_is_better(&self) -> bool {
        matches!(
            self,
            ResolvedMetric::CategoricalAccuracy | ResolvedMetric::BinaryAccuracy
        )
    }

    /// The metric's value from the mean of the per-sample sums: the mean itself, or its root
    /// for the root mean squared error.
    pub fn finish(&self, mean: f64) -> f64 {
        match self {
            ResolvedMetric::RootMeanSquaredError => mean.sqrt(),
            _ => mean,
        }
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
            ResolvedMetric::MeanAbsoluteError => per_output(rows, |d| d.abs()),
            ResolvedMetric::MeanSquaredError | ResolvedMetric::RootMeanSquaredError => {
                per_output(rows, |d| d * d)
            }
        }
    }
}

/// The sum over the rows of the mean over the outputs of `f(p - y)`, in f64.
fn per_output<'a>(
    rows: impl Iterator<Item = (ndarray::ArrayView1<'a, f32>, ndarray::ArrayView1<'a, f32>)>,
    f: impl Fn(f64) -> f64,
) -> f64 {
    rows.map(|(p, y)| {
        let s: f64 = p
            .iter()
            .zip(y)
            .map(|(&p, &y)| f(f64::from(p) - f64::from(y)))
            .sum();
        s / p.len() as f64
    })
    .sum()
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
    fn regression_metrics_average_over_outputs_and_rmse_takes_the_root_at_the_end() {
        let pred = array![[1.0f32, 2.0], [0.0, 0.0]];
        let y = array![[0.0f32, 0.0], [0.0, 1.0]];
        let sum = |m: Metric| {
            m.resolve(Loss::MeanSquaredError, 2)
                .sum(pred.view(), y.view())
        };
        assert_eq!(sum(Metric::MeanAbsoluteError), 1.5 + 0.5);
        assert_eq!(sum(Metric::MeanSquaredError), 2.5 + 0.5);
        let rmse = Metric::RootMeanSquaredError.resolve(Loss::MeanSquaredError, 2);
        assert_eq!(
            rmse.finish(sum(Metric::RootMeanSquaredError) / 2.0),
            1.5f64.sqrt()
        );
        assert_eq!(rmse.name(), "rmse");
        assert!(Metric::from_name("r2").is_err());
    }

    #[test]
    fn single_output_mse_uses_binary_accuracy() {
        let metric = Metric::Accuracy.resolve(Loss::MeanSquaredError, 1);
        assert_eq!(metric, ResolvedMetric::BinaryAccuracy);
    }
}
