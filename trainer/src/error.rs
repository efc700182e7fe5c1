//! The trainer library's error type.

use std::path::PathBuf;

/// Everything the trainer library can refuse, with what went wrong and what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first layer does not say how many inputs the model takes.
    #[error("the first layer `{layer}` has no input_dim: give it one, e.g. `Dense::new(4).input_dim(3)`")]
    MissingInputDim {
        /// Name of the first layer.
        layer: String,
    },
    /// A layer's declared input width disagrees with the layer before it.
    #[error("layer `{layer}` declares input_dim {declared} but the layer before it outputs {actual} values")]
    InputDimMismatch {
        /// Name of the layer.
        layer: String,
        /// What the layer declares.
        declared: usize,
        /// What the previous layer produces.
        actual: usize,
    },
    /// The model has no layers.
    #[error("the model has no layers: add at least one Dense layer")]
    EmptyModel,
    /// An operation needs `compile` first.
    #[error(
        "the model is not compiled: call `compile(optimizer, loss, metrics)` before `{operation}`"
    )]
    NotCompiled {
        /// What was attempted.
        operation: &'static str,
    },
    /// An operation needs weights, but the model has not been built.
    #[error("the model has no weights yet: call `build(&mut rng)` or `fit` before `{operation}`")]
    NotBuilt {
        /// What was attempted.
        operation: &'static str,
    },
    /// The loss is only supported on a particular output activation.
    #[error("loss `{loss}` needs a `{needed}` output layer, but the last layer's activation is `{found}`")]
    LossNeedsActivation {
        /// The loss' Keras name.
        loss: &'static str,
        /// The activation the loss needs.
        needed: &'static str,
        /// The activation the model ends with.
        found: &'static str,
    },
    /// An array has the wrong number of columns.
    #[error("{what} has {found} columns but the model expects {expected}")]
    ColumnMismatch {
        /// Which array.
        what: &'static str,
        /// The number of columns the model expects.
        expected: usize,
        /// The number of columns given.
        found: usize,
    },
    /// Inputs and targets disagree on the number of samples.
    #[error("x has {x} rows but y has {y}: give one target row per sample")]
    RowMismatch {
        /// Rows of x.
        x: usize,
        /// Rows of y.
        y: usize,
    },
    /// There is nothing to train or evaluate on.
    #[error("{what} is empty: give at least one sample")]
    NoSamples {
        /// Which data set.
        what: &'static str,
    },
    /// An option value is out of range.
    #[error("invalid {option} = {value}: {expected}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// The rejected value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A name (activation, initializer, optimizer, loss, metric) is unknown.
    #[error("unknown {kind} `{name}`: expected one of {expected}")]
    UnknownName {
        /// What kind of thing was named.
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names accepted.
        expected: &'static str,
    },
    /// A label cannot be turned into a class index.
    #[error("label {value} at index {index} is not a class in 0..{num_classes}")]
    InvalidLabel {
        /// Position of the label.
        index: usize,
        /// The label.
        value: f32,
        /// The number of classes.
        num_classes: usize,
    },
    /// An input value is NaN or infinite.
    #[error("input value {} is {value}: every input must be a finite number", index + 1)]
    NotFinite {
        /// Position of the value (0-based).
        index: usize,
        /// The value.
        value: f32,
    },
    /// Weights given to [`Sequential::set_weights`](crate::Sequential::set_weights) do not fit
    /// the model.
    #[error("cannot set the weights of layer `{layer}`: {reason}")]
    SetWeights {
        /// The layer.
        layer: String,
        /// What does not fit.
        reason: String,
    },
    /// The model cannot be written in the model file format.
    #[error("cannot export layer `{layer}`: {reason}")]
    Export {
        /// The offending layer.
        layer: String,
        /// Why.
        reason: String,
    },
    /// A model file could not be decoded.
    #[error("{path}: not a valid model file: {reason}")]
    InvalidModelFile {
        /// The file.
        path: PathBuf,
        /// The decoder's complaint (magic, version, CRC, …).
        reason: dendrite_core::format::DecodeError,
    },
    /// A model file refused before it is decoded: too large, or not a regular file.
    #[error("{path}: not a valid model file: {reason}")]
    ModelFileRefused {
        /// The file.
        path: PathBuf,
        /// Why it was not read.
        reason: String,
    },
    /// A model file with int8 layers given where f32 weights are needed.
    #[error(
        "{path}: holds int8 layers; {what} needs f32 weights: give the f32 model file it was \
         quantized from"
    )]
    Int8Layers {
        /// The file.
        path: PathBuf,
        /// What needs f32 weights (`quantizing`, `a Keras export`, …).
        what: &'static str,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The trainer library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
