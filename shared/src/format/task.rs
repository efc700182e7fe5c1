//! What a model's outputs mean, and how each layer's weights are stored.

use crate::Activation;
use serde::{Deserialize, Serialize};

/// What a model's outputs mean: the one place the host and the device learn how to read them.
///
/// `F` holds the regression targets' standardization: `&[f32]` when writing a model
/// ([`ModelRef`](super::ModelRef)), [`F32s`](super::F32s) when reading one
/// ([`ModelView`](super::ModelView)).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Task<F> {
    /// One output per class (or one sigmoid output for two classes); the labels name the classes.
    #[default]
    Classification,
    /// Numeric targets, one per output; the labels name them. The network predicts standardized
    /// targets, and `y = z · std + mean` turns them back into the user's units.
    Regression {
        /// Per-target mean.
        mean: F,
        /// Per-target standard deviation.
        std: F,
    },
    /// An autoencoder: the outputs reconstruct the standardized inputs, and a reconstruction
    /// error (mean squared) above the threshold flags an anomaly.
    Anomaly {
        /// The largest reconstruction error still called normal.
        threshold: f32,
    },
}

impl<F> Task<F> {
    /// The task's code in the model file.
    pub const fn code(&self) -> u8 {
        match self {
            Task::Classification => 0,
            Task::Regression { .. } => 1,
            Task::Anomaly { .. } => 2,
        }
    }

    /// A word for the task: `"classification"`, `"regression"` or `"anomaly"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression { .. } => "regression",
            Task::Anomaly { .. } => "anomaly",
        }
    }

    /// The anomaly threshold, 0 for the other tasks (as stored in the file).
    pub const fn threshold(&self) -> f32 {
        match self {
            Task::Anomaly { threshold } => *threshold,
            _ => 0.0,
        }
    }
}

impl<F: AsRef<[f32]>> Task<F> {
    /// The same task, borrowing the targets' standardization: an owned `Task<Vec<f32>>` becomes
    /// the `Task<&[f32]>` a [`ModelRef`](super::ModelRef) takes.
    pub fn as_slices(&self) -> Task<&[f32]> {
        match self {
            Task::Classification => Task::Classification,
            Task::Regression { mean, std } => Task::Regression {
                mean: mean.as_ref(),
                std: std.as_ref(),
            },
            Task::Anomaly { threshold } => Task::Anomaly {
                threshold: *threshold,
            },
        }
    }
}

/// How a layer's weights are stored in the model file.
///
/// On the wire it is one byte; values this build does not know are refused with
/// [`DecodeError::UnsupportedLayer`](super::DecodeError::UnsupportedLayer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `f32` kernel and bias.
    #[default]
    F32,
    /// int8 weights, int32 biases and TFLite's requantization ([`Int8View`](super::Int8View)).
    I8,
}

impl DType {
    /// The byte that stands for the type in the model file.
    pub const fn code(self) -> u8 {
        match self {
            DType::F32 => 0,
            DType::I8 => 1,
        }
    }

    /// The type stored as `code`, if this build knows it.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(DType::F32),
            1 => Some(DType::I8),
            _ => None,
        }
    }
}

/// The class a classifier's outputs pick: the index of the largest output (the first one on a
/// tie), or, for a single output (binary classification), 1 when it lies above the middle of its
/// activation's range (0.5 for a sigmoid or a hard sigmoid, whose outputs lie in [0, 1]; 0
/// otherwise) and 0 when not.
///
/// The one class rule of Dendrite: the host's `predict`, `evaluate` and `run`, and the firmware's
/// replies, all call it.
///
/// ```
/// use dendrite_core::{class_of, Activation};
/// assert_eq!(class_of(&[0.2, 0.7, 0.1], Activation::Softmax), 1);
/// assert_eq!(class_of(&[0.974], Activation::Sigmoid), 1);
/// assert_eq!(class_of(&[0.25], Activation::Sigmoid), 0);
/// assert_eq!(class_of(&[0.25], Activation::HardSigmoid), 0);
/// assert_eq!(class_of(&[0.25], Activation::Tanh), 1);
/// ```
pub fn class_of(outputs: &[f32], last: Activation) -> usize {
    if let [only] = outputs {
        let middle = if matches!(last, Activation::Sigmoid | Activation::HardSigmoid) {
            0.5
        } else {
            0.0
        };
        return usize::from(*only > middle);
    }
    let mut best = 0;
    let mut best_value = f32::NEG_INFINITY;
    for (i, &v) in outputs.iter().enumerate() {
        if v > best_value {
            best = i;
            best_value = v;
        }
    }
    best
}

/// Turns a regression model's standardized outputs back into the targets' units, in place:
/// `y = z · std + mean` per target.
pub fn destandardize(
    outputs: &mut [f32],
    mean: impl IntoIterator<Item = f32>,
    std: impl IntoIterator<Item = f32>,
) {
    for ((y, m), s) in outputs.iter_mut().zip(mean).zip(std) {
        *y = *y * s + m;
    }
}

/// The reconstruction error of an autoencoder: the mean of the squared differences between the
/// standardized inputs and the outputs, summed in input order (the same bits on every side).
pub fn reconstruction_error(standardized_inputs: &[f32], outputs: &[f32]) -> f32 {
    mean_squared_difference(standardized_inputs.iter().copied(), outputs)
}

/// `Σ (x_i - y_i)² / n` over `n` = the number of `xs`, summed in order in `f32`.
#[inline(always)]
fn mean_squared_difference(xs: impl ExactSizeIterator<Item = f32>, outputs: &[f32]) -> f32 {
    let n = xs.len().max(1) as f32;
    let mut sum = 0.0f32;
    for (x, &y) in xs.zip(outputs) {
        let d = x - y;
        sum += d * d;
    }
    sum / n
}

/// An autoencoder's verdict on one input: its reconstruction error and whether that error
/// flags an anomaly. The host's `predict`, `evaluate` and `run` and the firmware's replies
/// (protocol version 3, [`Prediction::reconstruction`](crate::protocol::Prediction)) all come
/// from [`Reconstruction::of`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reconstruction {
    /// The mean squared difference between the standardized input and the outputs
    /// ([`reconstruction_error`]).
    pub error: f32,
    /// Whether the input is anomalous: its error is above the model's threshold, or not a
    /// number (an input the model cannot reconstruct at all is not normal).
    pub anomalous: bool,
}

impl Reconstruction {
    /// The verdict on `error` against a model's `threshold` (the largest error still normal).
    ///
    /// ```
    /// use dendrite_core::Reconstruction;
    /// assert!(!Reconstruction::judge(0.5, 0.5).anomalous);
    /// assert!(Reconstruction::judge(0.51, 0.5).anomalous);
    /// assert!(Reconstruction::judge(f32::NAN, 0.5).anomalous);
    /// ```
    pub fn judge(error: f32, threshold: f32) -> Self {
        Self {
            error,
            // NaN is anomalous: only an error at most the threshold is normal.
            anomalous: !matches!(
                error.partial_cmp(&threshold),
                Some(core::cmp::Ordering::Less | core::cmp::Ordering::Equal)
            ),
        }
    }

    /// The verdict on an autoencoder's `outputs` for one raw input: the input standardized
    /// with the model's `mean` and `std` as the forward pass does ([`kernel::standardize`],
    /// one value at a time, without a copy of the input), its [`reconstruction_error`], then
    /// [`judge`](Self::judge)d against `threshold`. An input value beyond `mean` or `std` is
    /// taken as it is, as [`kernel::standardize`] leaves it.
    ///
    /// [`kernel::standardize`]: crate::kernel::standardize
    ///
    /// ```
    /// use dendrite_core::Reconstruction;
    /// // Inputs (3, 5) standardized with mean 1, std 2 are (1, 2); outputs (1, 0) miss by (0, 2).
    /// let r = Reconstruction::of(&[3.0, 5.0], &[1.0, 1.0], &[2.0, 2.0], &[1.0, 0.0], 1.5);
    /// assert_eq!(r.error, 2.0);
    /// assert!(r.anomalous);
    /// ```
    pub fn of(
        raw_input: &[f32],
        mean: &[f32],
        std: &[f32],
        outputs: &[f32],
        threshold: f32,
    ) -> Self {
        let mut stats = mean.iter().zip(std);
        let standardized = raw_input.iter().map(move |&x| match stats.next() {
            Some((&m, &s)) => crate::kernel::standardized(x, m, s),
            None => x,
        });
        Self::judge(mean_squared_difference(standardized, outputs), threshold)
    }
}
