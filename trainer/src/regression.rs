//! What a regression or anomaly-detection model's outputs mean on the host, from the same
//! dendrite-core code the firmware runs: values in the targets' units, reconstruction errors and
//! the anomaly threshold, and the scores `evaluate` reports (MAE, RMSE, R² per target;
//! precision and recall of the anomaly flag).

use crate::error::Result;
use crate::HostModel;
use dendrite_core::format::Task;
use dendrite_core::{destandardize, Reconstruction};
use ndarray::{Array2, ArrayView2};
use serde::Serialize;

impl HostModel {
    /// The model's outputs turned into what they mean: for a regression model the values in the
    /// targets' units (`y = z · std + mean`, dendrite-core's [`destandardize`]); the outputs
    /// as they are otherwise.
    pub fn values(&self, outputs: &[f32]) -> Vec<f32> {
        let mut values = outputs.to_vec();
        if let Task::Regression { mean, std } = self.task() {
            destandardize(&mut values, mean.iter().copied(), std.iter().copied());
        }
        values
    }

    /// The reconstruction error of an autoencoder's `outputs` for the raw `input`: the mean
    /// squared difference from the standardized input (dendrite-core's
    /// [`Reconstruction::of`], the device's code).
    pub fn reconstruction_error(&self, input: &[f32], outputs: &[f32]) -> f32 {
        let (mean, std) = self.standardization();
        Reconstruction::of(input, mean, std, outputs, self.task().threshold()).error
    }

    /// An anomaly model's verdict on its `outputs` for the raw `input`: the reconstruction error
    /// and whether it is above the model's threshold, by dendrite-core's
    /// [`Reconstruction::of`], the code the device runs. `None` for the other tasks.
    pub fn reconstruction(&self, input: &[f32], outputs: &[f32]) -> Option<Reconstruction> {
        let Task::Anomaly { threshold } = *self.task() else {
            return None;
        };
        let (mean, std) = self.standardization();
        Some(Reconstruction::of(input, mean, std, outputs, threshold))
    }

    /// The reconstruction error of every row of raw inputs `x`.
    ///
    /// # Errors
    /// [`crate::Error::ColumnMismatch`] when `x` does not have the model's number of inputs.
    pub fn reconstruction_errors(&self, x: ArrayView2<'_, f32>) -> Result<Vec<f32>> {
        let mut buffers = self.buffers();
        let mut input = vec![0.0f32; x.ncols()];
        let mut errors = Vec::with_capacity(x.nrows());
        for row in x.rows() {
            input.iter_mut().zip(row).for_each(|(d, &s)| *d = s);
            let outputs = self.predict_into(&input, &mut buffers)?;
            errors.push(self.reconstruction_error(&input, outputs));
        }
        Ok(errors)
    }
}

/// The `p`-th percentile of `values` (0 to 100), interpolated linearly between the two nearest
/// ranks as NumPy's default does; 0 for no values.
pub fn percentile(values: &[f32], p: f64) -> f32 {
    let mut sorted: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    sorted.sort_by(f64::total_cmp);
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let rank = p.clamp(0.0, 100.0) / 100.0 * last as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let value = sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64);
    value as f32
}

/// How a regression model did on one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetScores {
    /// The target's name.
    pub target: String,
    /// Mean absolute error, in the target's units.
    pub mae: f64,
    /// Root mean squared error, in the target's units.
    pub rmse: f64,
    /// Coefficient of determination: 1 - residual sum of squares / total sum of squares
    /// (scikit-learn's `r2_score`; 0 when the target is constant and predicted exactly, as
    /// there).
    pub r2: f64,
}

/// How a regression model did on a data set with known targets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegressionEvaluation {
    /// The number of samples.
    pub samples: usize,
    /// Mean squared error over every target, in the targets' units.
    pub mse: f64,
    /// Per target, in output order.
    pub targets: Vec<TargetScores>,
}

/// Runs every row of raw inputs `x` through `model`: one row of values per sample, in the
/// targets' units for a regression model ([`HostModel::values`]).
///
/// # Errors
/// [`crate::Error::ColumnMismatch`] when `x` does not have the model's number of inputs.
pub fn predict_values(model: &HostModel, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
    let mut predicted = Array2::zeros((x.nrows(), model.output()));
    let mut input = vec![0.0f32; x.ncols()];
    for (row, mut out) in x.rows().into_iter().zip(predicted.rows_mut()) {
        input.iter_mut().zip(row).for_each(|(d, &s)| *d = s);
        let values = model.values(&model.predict(&input)?);
        out.iter_mut().zip(values).for_each(|(d, v)| *d = v);
    }
    Ok(predicted)
}

/// Runs every row of raw inputs `x` through `model` and scores its values (in the targets'
/// units) against `y`.
///
/// # Errors
/// [`crate::Error::ColumnMismatch`] when `x` or `y` do not have the model's widths.
pub fn evaluate_regression(
    model: &HostModel,
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
) -> Result<RegressionEvaluation> {
    let outputs = model.output();
    if y.ncols() != outputs {
        return Err(crate::Error::ColumnMismatch {
            what: "the targets",
            expected: outputs,
            found: y.ncols(),
        });
    }
    let predicted = predict_values(model, x)?;
    let predicted = predicted.as_slice().unwrap_or_default();
    let names = target_names(model);
    let n = x.nrows().max(1) as f64;
    let targets = (0..outputs)
        .map(|j| {
            let truth = y.column(j);
            let mean = truth.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let (mut abs, mut sq, mut total) = (0.0, 0.0, 0.0);
            for (i, &t) in truth.iter().enumerate() {
                let d = f64::from(predicted[i * outputs + j]) - f64::from(t);
                abs += d.abs();
                sq += d * d;
                total += (f64::from(t) - mean).powi(2);
            }
            TargetScores {
                target: names[j].clone(),
                mae: abs / n,
                rmse: (sq / n).sqrt(),
                r2: if total > 0.0 { 1.0 - sq / total } else { 0.0 },
            }
        })
        .collect::<Vec<_>>();
    let mse = targets.iter().map(|t| t.rmse * t.rmse).sum::<f64>() / outputs.max(1) as f64;
    Ok(RegressionEvaluation {
        samples: x.nrows(),
        mse,
        targets,
    })
}

/// The names of a regression model's targets: its stored labels, else `y0`, `y1`, ….
pub fn target_names(model: &HostModel) -> Vec<String> {
    if model.labels().is_empty() {
        (0..model.output()).map(|i| format!("y{i}")).collect()
    } else {
        model.labels().to_vec()
    }
}

/// How an anomaly detector did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnomalyEvaluation {
    /// The number of samples.
    pub samples: usize,
    /// The threshold stored in the model.
    pub threshold: f32,
    /// Mean reconstruction error.
    pub mean_error: f64,
    /// Rows flagged anomalous (error above the threshold, [`Reconstruction::judge`]).
    pub flagged: usize,
    /// With labels (1 or `true` = anomalous): share of flagged rows that are anomalous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// With labels: share of anomalous rows that are flagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<f64>,
}

/// Scores an anomaly detector on raw inputs `x`, with `anomalous` marking the truly anomalous
/// rows when known.
///
/// # Errors
/// [`crate::Error::ColumnMismatch`] when `x` does not have the model's number of inputs.
pub fn evaluate_anomaly(
    model: &HostModel,
    x: ArrayView2<'_, f32>,
    anomalous: Option<&[bool]>,
) -> Result<AnomalyEvaluation> {
    let threshold = model.task().threshold();
    let errors = model.reconstruction_errors(x)?;
    let flags: Vec<bool> = errors
        .iter()
        .map(|&e| Reconstruction::judge(e, threshold).anomalous)
        .collect();
    let (precision, recall) = match anomalous {
        Some(truth) => {
            let hits = flags.iter().zip(truth).filter(|(&f, &t)| f && t).count() as f64;
            let flagged = flags.iter().filter(|&&f| f).count() as f64;
            let actual = truth.iter().filter(|&&t| t).count() as f64;
            let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
            (Some(ratio(hits, flagged)), Some(ratio(hits, actual)))
        }
        None => (None, None),
    };
    Ok(AnomalyEvaluation {
        samples: errors.len(),
        threshold,
        mean_error: errors.iter().map(|&e| f64::from(e)).sum::<f64>() / errors.len().max(1) as f64,
        flagged: flags.iter().filter(|&&f| f).count(),
        precision,
        recall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [4.0f32, 1.0, 3.0, 2.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 4.0);
        // numpy.percentile([1, 2, 3, 4], 99) = 3.97
        assert!((percentile(&v, 99.0) - 3.97).abs() < 1e-6);
        assert_eq!(percentile(&v, 50.0), 2.5);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
