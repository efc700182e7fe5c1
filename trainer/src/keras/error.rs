//! What can go wrong reading or writing a Keras file.

use std::path::PathBuf;

/// The layers and activations a Keras model may use to be imported, named in every refusal.
pub const SUPPORTED: &str =
    "InputLayer, Dense, Activation, ReLU (max_value none or 6, negative_slope 0 or 0.2), \
LeakyReLU (negative_slope 0.2), ELU (alpha 1), Softmax, Dropout, Flatten, Normalization (first), \
BatchNormalization (next to a Dense layer), \
with activations linear, relu, sigmoid, tanh, softmax, relu6, leaky_relu, elu, selu, softplus, \
softsign, silu (swish), gelu, hard_sigmoid, hard_silu (hard_swish), exponential";

/// An error reading or writing a Keras file; every message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum KerasError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file name does not say which Keras format it is.
    #[error("{path}: not a Keras file: expected a `.keras` or `.h5` file")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The `.keras` zip archive is damaged or lacks a member.
    #[error("{path}: not a valid .keras archive: {reason}")]
    Archive {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The HDF5 weights (or legacy `.h5` model) are damaged or lack a dataset.
    #[error("{path}: bad HDF5 weights: {reason}")]
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The model's configuration (`config.json`, the `model_config` attribute) is not what
    /// Keras writes.
    #[error("{path}: bad model configuration: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The model uses a layer, activation or option Dendrite does not have.
    #[error(
        "{path}: layer `{layer}` ({class}) is not supported: {reason}; supported: {SUPPORTED}"
    )]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The layer's name.
        layer: String,
        /// The layer's Keras class.
        class: String,
        /// What exactly is not supported.
        reason: String,
    },
    /// A weight array has the wrong shape or is missing.
    #[error("{path}: layer `{layer}`: {reason}")]
    Weights {
        /// The file.
        path: PathBuf,
        /// The layer's name.
        layer: String,
        /// What is wrong.
        reason: String,
    },
    /// The model cannot be stored as a Dendrite model, or written as a Keras file.
    #[error("{0}")]
    Model(#[from] crate::Error),
}

/// Results of the Keras reader and writer.
pub type Result<T, E = KerasError> = std::result::Result<T, E>;
