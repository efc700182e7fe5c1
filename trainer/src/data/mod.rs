//! Users' data: CSV files read into a numeric matrix ([`read_csv`]), the held-out test split,
//! and the standardization fitted on the training rows and stored in the model file.
//!
//! ```no_run
//! use dendrite_trainer::data::{read_csv, CsvColumns, Standardization};
//! use std::path::Path;
//!
//! let columns = CsvColumns { label: Some("species"), ..Default::default() };
//! let mut iris = read_csv(Path::new("examples/data/iris.csv"), &columns)?;
//! assert_eq!(iris.classes, ["setosa", "versicolor", "virginica"]);
//! let scaler = Standardization::fit(iris.x.view());
//! scaler.apply(&mut iris.x);
//! # Ok::<(), dendrite_trainer::data::DataError>(())
//! ```

mod csv;
mod error;

pub use self::csv::{read_csv, read_csv_from, CsvColumns};
pub use error::DataError;

use crate::SeededRng;
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;

/// Samples read from a file: features as f32, one class index per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// One row per sample, one column per feature.
    pub x: Array2<f32>,
    /// The class index of each row (empty when the file was read without a label column).
    pub labels: Vec<u32>,
    /// Class names, in output order.
    pub classes: Vec<String>,
    /// Feature names, in column order.
    pub features: Vec<String>,
}

impl Dataset {
    /// The number of samples.
    pub fn rows(&self) -> usize {
        self.x.nrows()
    }

    /// A copy holding `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(Axis(0), rows),
            labels: if self.labels.is_empty() {
                Vec::new()
            } else {
                rows.iter().map(|&r| self.labels[r]).collect()
            },
            classes: self.classes.clone(),
            features: self.features.clone(),
        }
    }

    /// Holds out `fraction` of the rows (rounded to the nearest row) for testing, chosen by a
    /// shuffle drawn from `rng`: `(train, test)`, both in the shuffled order.
    ///
    /// # Errors
    /// [`DataError::BadSplit`] when `fraction` is outside `[0, 1)` or leaves a side empty.
    pub fn split_test(
        self,
        fraction: f64,
        rng: &mut SeededRng,
    ) -> Result<(Dataset, Option<Dataset>), DataError> {
        let bad = |reason: String| DataError::BadSplit {
            option: "test_split",
            value: fraction,
            reason,
        };
        if !(0.0..1.0).contains(&fraction) {
            return Err(bad("give a fraction in [0, 1)".to_owned()));
        }
        if fraction == 0.0 {
            return Ok((self, None));
        }
        let n = self.rows();
        let n_test = (n as f64 * fraction).round() as usize;
        if n_test == 0 || n_test == n {
            return Err(bad(format!(
                "leaves no {} rows out of {n}",
                if n_test == 0 { "test" } else { "training" }
            )));
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let test = self.select(&order[n - n_test..]);
        let train = self.select(&order[..n - n_test]);
        Ok((train, Some(test)))
    }

    /// Targets for a model with `outputs` units: one-hot rows, or for a single (sigmoid)
    /// output, the class index (0 or 1) as one column.
    ///
    /// # Errors
    /// [`DataError::TooManyClasses`] (with an empty path) when the labels do not fit the outputs.
    pub fn targets(&self, outputs: usize) -> Result<Array2<f32>, DataError> {
        let classes = self.classes.len().max(1);
        let fits = if outputs == 1 {
            classes <= 2
        } else {
            classes <= outputs
        };
        if !fits {
            return Err(DataError::TooManyClasses {
                path: Default::default(),
                column: String::new(),
                found: classes,
                outputs,
            });
        }
        let mut y = Array2::zeros((self.rows(), outputs));
        for (row, &label) in self.labels.iter().enumerate() {
            match outputs {
                1 => y[[row, 0]] = label as f32,
                _ => y[[row, label as usize]] = 1.0,
            }
        }
        Ok(y)
    }
}

impl Dataset {
    /// Moves the columns named `names` out of the features, in that order: the numeric targets
    /// of a regression, read with the features so every CSV rule (finite numbers, line and
    /// column in errors) applies to them too. `path` names the file in errors.
    ///
    /// # Shapes
    /// Returns `(rows, names.len())`; `x` loses those columns.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`] for a name that is not a feature column;
    /// [`DataError::NoFeatures`] when no feature would be left.
    pub fn take_columns(
        &mut self,
        names: &[String],
        path: &std::path::Path,
    ) -> Result<Array2<f32>, DataError> {
        let mut indices = Vec::with_capacity(names.len());
        for name in names {
            let index = self
                .features
                .iter()
                .position(|f| f == name)
                .ok_or_else(|| DataError::UnknownColumn {
                    path: path.to_owned(),
                    column: name.clone(),
                    available: self.features.join(", "),
                })?;
            indices.push(index);
        }
        let keep: Vec<usize> = (0..self.features.len())
            .filter(|i| !indices.contains(i))
            .collect();
        if keep.is_empty() {
            return Err(DataError::NoFeatures {
                path: path.to_owned(),
            });
        }
        let targets = self.x.select(Axis(1), &indices);
        self.x = self.x.select(Axis(1), &keep);
        self.features = keep.iter().map(|&i| self.features[i].clone()).collect();
        Ok(targets)
    }
}

/// Per-feature mean and standard deviation: raw inputs become `(x - mean) / std`, the formula
/// dendrite-core's kernel applies on the host and on the device.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardization {
    /// Per-feature mean.
    pub mean: Vec<f32>,
    /// Per-feature population standard deviation (ddof = 0, as NumPy's `std` and Keras'
    /// `Normalization`); 1 for a constant feature, which then passes through centred.
    pub std: Vec<f32>,
}

impl Standardization {
    /// Fits the mean and standard deviation of every column of `x`, accumulating in f64.
    pub fn fit(x: ArrayView2<'_, f32>) -> Self {
        let n = x.nrows().max(1) as f64;
        let mut mean = Vec::with_capacity(x.ncols());
        let mut std = Vec::with_capacity(x.ncols());
        for column in x.columns() {
            let m = column.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = column
                .iter()
                .map(|&v| (f64::from(v) - m).powi(2))
                .sum::<f64>()
                / n;
            let s = var.sqrt() as f32;
            mean.push(m as f32);
            std.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
        }
        Standardization { mean, std }
    }

    /// No change: mean 0 and std 1 for `features` columns.
    pub fn identity(features: usize) -> Self {
        Standardization {
            mean: vec![0.0; features],
            std: vec![1.0; features],
        }
    }

    /// Standardizes `x` in place with the formula of `dendrite_core::kernel::standardize`.
    pub fn apply(&self, x: &mut Array2<f32>) {
        for mut row in x.rows_mut() {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }
}

#[cfg(test)]
mod tests;
