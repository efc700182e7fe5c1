//! Keras files in and out: Keras 3's `.keras`, the legacy `.h5` of Keras 2 / tf.keras, and
//! weights-only `.weights.h5` files.
//!
//! A Keras model imports when it is a chain of `InputLayer`, `Dense`, `Activation`, `Dropout`,
//! `Flatten` and a leading `Normalization`, with activations Dendrite has; anything else is
//! refused with one line naming the layer, its class and what is supported.
//!
//! # Normalization
//!
//! Keras' `Normalization` computes `(x - mean) / max(sqrt(variance), epsilon)` with
//! `epsilon = 1e-7` (float32). The model file stores `std = max(sqrt(variance), 1e-7)`, computed
//! in f32 as Keras does (IEEE square root, correctly rounded), and dendrite-core computes
//! `(x - mean) / std`: the same operations on the same f32 values, so the standardized inputs
//! are bit-exact with Keras'. Exporting writes `variance = std²` rounded to f32, whose square
//! root is `std` again (the square root of a correctly rounded square is exact in binary
//! floating point), so the round trip keeps every bit.

mod config;
mod error;
mod reader;
mod writer;

pub use error::{KerasError, Result, SUPPORTED};
pub use writer::KerasFormat;

use crate::export::Preprocessing;
use crate::layers::{ActivationLayer, Dense, Layer};
use crate::Activation;
use crate::Sequential;
use dendrite_core::format::Task;
use ndarray::{Array1, Array2};
use std::path::Path;

/// Keras' `backend.epsilon()`, the floor of `Normalization`'s standard deviation.
pub const EPSILON: f32 = 1e-7;

/// A Keras model read from a file: the chain of layers Dendrite runs, with their weights.
#[derive(Clone, Debug, PartialEq)]
pub struct KerasModel {
    /// The model's name in Keras.
    pub name: String,
    /// Input width.
    pub input: usize,
    /// The leading `Normalization` layer's statistics, if the model has one.
    pub normalization: Option<Normalization>,
    /// `Dense` and `Activation` layers, input side first (`Dropout`, `Flatten` and
    /// `InputLayer` do nothing at inference and are left out).
    pub layers: Vec<KerasLayer>,
    /// A trailing `Normalization(invert=True)`: a regression model's targets'
    /// standardization, undone on the outputs (`mean + y · std`, dendrite-core's
    /// `destandardize`).
    pub targets: Option<Normalization>,
}

/// A `Normalization` layer's per-feature statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalization {
    /// Per-feature mean.
    pub mean: Vec<f32>,
    /// Per-feature variance.
    pub variance: Vec<f32>,
}

impl Normalization {
    /// The standard deviation Keras divides by: `max(sqrt(variance), 1e-7)`, per feature.
    pub fn std(&self) -> Vec<f32> {
        self.variance
            .iter()
            .map(|v| v.sqrt().max(EPSILON))
            .collect()
    }
}

/// A layer of an imported model.
#[derive(Clone, Debug, PartialEq)]
pub enum KerasLayer {
    /// A `Dense` layer: kernel `(in, units)` as Keras stores it; no bias when `use_bias=False`.
    Dense {
        /// The layer's name.
        name: String,
        /// The kernel, shape `(in, units)`.
        kernel: Array2<f32>,
        /// The bias, shape `(units)`, if the layer has one.
        bias: Option<Array1<f32>>,
        /// The activation folded into the layer.
        activation: Activation,
    },
    /// An `Activation` layer.
    Activation {
        /// The layer's name.
        name: String,
        /// The activation.
        activation: Activation,
    },
}

impl KerasModel {
    /// Reads a `.keras` archive or a legacy `.h5` model.
    ///
    /// # Errors
    /// [`KerasError`]: the file cannot be read, is damaged, or uses something Dendrite does not
    /// have. Never panics, whatever the bytes.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::from_bytes(read_file(path)?, path, None)
    }

    /// Reads a weights-only file (Keras 3's `.weights.h5`, or a tf.keras 2 weights `.h5`)
    /// with the model's configuration: the JSON of `model.to_json()`.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn load_weights(path: impl AsRef<Path>, config_json: &str) -> Result<Self> {
        let path = path.as_ref();
        Self::from_bytes(read_file(path)?, path, Some(config_json))
    }

    /// Reads a Keras file's bytes; `origin` names it in errors, `config_json` replaces the
    /// file's own configuration (needed for weights-only files).
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_bytes(bytes: Vec<u8>, origin: &Path, config_json: Option<&str>) -> Result<Self> {
        reader::read(origin, bytes, config_json)
    }

    /// The number of outputs.
    pub fn output(&self) -> usize {
        self.layers
            .iter()
            .rev()
            .find_map(|l| match l {
                KerasLayer::Dense { kernel, .. } => Some(kernel.ncols()),
                KerasLayer::Activation { .. } => None,
            })
            .unwrap_or(self.input)
    }

    /// The model as a built [`Sequential`] holding the Keras weights (a missing bias is zero).
    ///
    /// # Errors
    /// [`KerasError::Model`] when the layers do not stack (never for a model read by
    /// [`load`](Self::load)).
    pub fn to_sequential(&self) -> Result<Sequential> {
        let mut model = Sequential::new();
        let mut weights = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            match layer {
                KerasLayer::Dense {
                    name,
                    kernel,
                    bias,
                    activation,
                } => {
                    let mut dense = Dense::new(kernel.ncols())
                        .activation(*activation)
                        .name(name);
                    if i == 0 {
                        dense = dense.input_dim(self.input);
                    }
                    model.add(dense)?;
                    let bias = bias
                        .clone()
                        .unwrap_or_else(|| Array1::zeros(kernel.ncols()));
                    weights.push((kernel.clone(), bias));
                }
                KerasLayer::Activation { name, activation } => {
                    if i == 0 {
                        // Sequential needs its input width on the first layer; an activation
                        // on the raw inputs cannot be stored in a model file anyway.
                        return Err(crate::Error::Export {
                            layer: name.clone(),
                            reason: "an activation before the first Dense layer cannot be stored"
                                .to_owned(),
                        }
                        .into());
                    }
                    model.add(ActivationLayer::new(*activation).name(name))?;
                }
            }
        }
        model.set_weights(weights)?;
        Ok(model)
    }

    /// What the model file stores besides the network: the leading `Normalization` layer's
    /// standardization (or none), `labels` and `features` (empty for none), and the task: a
    /// regression with the trailing inverted `Normalization`'s statistics when there is one;
    /// else classification when the output is a softmax or sigmoid or class names are given;
    /// else a regression in the outputs' own units.
    pub fn preprocessing(&self, labels: Vec<String>, features: Vec<String>) -> Preprocessing {
        let mut p = Preprocessing::identity(self.input);
        if let Some(n) = &self.normalization {
            p.mean = n.mean.clone();
            p.std = n.std();
        }
        let output = self.output();
        let probabilities = matches!(
            self.shape().last(),
            Some((_, Activation::Softmax | Activation::Sigmoid))
        );
        p.task = match &self.targets {
            Some(t) => Task::Regression {
                mean: t.mean.clone(),
                std: t.std(),
            },
            None if probabilities || !labels.is_empty() => Task::Classification,
            None => Task::Regression {
                mean: vec![0.0; output],
                std: vec![1.0; output],
            },
        };
        p.labels = labels;
        p.features = features;
        p
    }

    /// The model file's bytes, written by the library's export path
    /// ([`Sequential::to_model_bytes`]).
    ///
    /// # Errors
    /// [`KerasError::Model`] when the model file cannot hold the model (more layers than the
    /// format allows, two activations in a row, labels that do not match the outputs).
    pub fn to_model_bytes(&self, labels: Vec<String>) -> Result<Vec<u8>> {
        let sequential = self.to_sequential()?;
        Ok(sequential.to_model_bytes(&self.preprocessing(labels, Vec::new()))?)
    }
}

impl KerasModel {
    /// A built [`Sequential`]'s layers and weights as a Keras model (no standardization).
    ///
    /// # Errors
    /// [`KerasError::Model`] when the model has no weights.
    pub fn from_sequential(model: &Sequential) -> Result<Self> {
        if !model.is_built() {
            return Err(crate::Error::NotBuilt {
                operation: "a Keras export",
            }
            .into());
        }
        // Dropout is the identity outside training: the exported model is the inference graph.
        let layers = model
            .layers()
            .iter()
            .filter_map(|layer| match layer {
                Layer::Dense(d) => Some(KerasLayer::Dense {
                    name: layer.name().to_owned(),
                    kernel: d.kernel().clone(),
                    bias: Some(d.bias().clone()),
                    activation: d.activation,
                }),
                Layer::Activation(a) => Some(KerasLayer::Activation {
                    name: layer.name().to_owned(),
                    activation: a.activation(),
                }),
                Layer::Dropout(_) => None,
            })
            .collect();
        Ok(KerasModel {
            name: model.name().to_owned(),
            input: model.input_dim(),
            normalization: None,
            layers,
            targets: None,
        })
    }

    /// Each Dense layer's width and activation once `Activation` layers are folded into the
    /// Dense layer before them: what must agree for weights to move between two models.
    fn shape(&self) -> Vec<(usize, Activation)> {
        let mut out: Vec<(usize, Activation)> = Vec::new();
        for layer in &self.layers {
            match layer {
                KerasLayer::Dense {
                    kernel, activation, ..
                } => out.push((kernel.ncols(), *activation)),
                KerasLayer::Activation { activation, .. } => {
                    if let Some(last) = out.last_mut() {
                        if last.1 == Activation::Linear {
                            last.1 = *activation;
                        }
                    }
                }
            }
        }
        out
    }

    /// The Dense layers' `(kernel, bias)` pairs, as [`Sequential::set_weights`] takes them
    /// (a missing bias is zero).
    pub fn weights(&self) -> Vec<(Array2<f32>, Array1<f32>)> {
        self.layers
            .iter()
            .filter_map(|layer| match layer {
                KerasLayer::Dense { kernel, bias, .. } => Some((
                    kernel.clone(),
                    bias.clone()
                        .unwrap_or_else(|| Array1::zeros(kernel.ncols())),
                )),
                KerasLayer::Activation { .. } => None,
            })
            .collect()
    }
}

/// Sets `model`'s weights (built or not) from a file of the same architecture: a `.keras`
/// archive, a legacy `.h5`, a weights-only `.weights.h5` (laid out for `model`'s layers) or a
/// Dendrite model file. Training then starts where that file's model stands, e.g. where Keras
/// started.
///
/// # Errors
/// As [`KerasModel::load`]; [`KerasError::Weights`] when the file's layers (widths, folded
/// activations) differ from `model`'s; [`KerasError::Model`] when the shapes do not fit.
pub fn set_initial_weights(model: &mut Sequential, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let source = if bytes.starts_with(&dendrite_core::format::MAGIC) {
        let host = crate::HostModel::from_bytes(&bytes, path)?;
        host.require_f32("training from initial weights")?;
        KerasModel::from_model_file(&host)
    } else if reader::has_own_config(&bytes) {
        KerasModel::from_bytes(bytes, path, None)?
    } else {
        // A weights-only file: its layout follows the model's own layers.
        let mut described = model.clone();
        described.set_weights(
            model
                .layers()
                .iter()
                .scan(model.input_dim(), |fan_in, layer| {
                    let item = match layer {
                        Layer::Dense(d) => {
                            Some((Array2::zeros((*fan_in, d.units)), Array1::zeros(d.units)))
                        }
                        Layer::Activation(_) | Layer::Dropout(_) => None,
                    };
                    *fan_in = layer.output_dim(*fan_in);
                    Some(item)
                })
                .flatten()
                .collect(),
        )?;
        let config = writer::config_for(&KerasModel::from_sequential(&described)?);
        KerasModel::from_bytes(bytes, path, Some(&config))?
    };
    let mine = sequential_shape(model);
    if source.input != model.input_dim() || source.shape() != mine {
        return Err(KerasError::Weights {
            path: path.to_owned(),
            layer: model.name().to_owned(),
            reason: format!(
                "the file's model is {} inputs, then (units, activation) {:?}; this model is {} inputs, then {:?}",
                source.input,
                source.shape(),
                model.input_dim(),
                mine
            ),
        });
    }
    model.set_weights(source.weights())?;
    Ok(())
}

/// [`KerasModel::shape`] of a model that may have no weights yet.
fn sequential_shape(model: &Sequential) -> Vec<(usize, Activation)> {
    let layers = model
        .layers()
        .iter()
        .filter_map(|layer| match layer {
            Layer::Dense(d) => Some(KerasLayer::Dense {
                name: String::new(),
                kernel: Array2::zeros((0, d.units)),
                bias: None,
                activation: d.activation,
            }),
            Layer::Activation(a) => Some(KerasLayer::Activation {
                name: String::new(),
                activation: a.activation(),
            }),
            Layer::Dropout(_) => None,
        })
        .collect();
    KerasModel {
        name: String::new(),
        input: 0,
        normalization: None,
        layers,
        targets: None,
    }
    .shape()
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    crate::limits::read_limited(path, crate::limits::MAX_KERAS_FILE_BYTES).map_err(|source| {
        KerasError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

/// Writes `model` as a Keras file: a `.keras` archive Keras 3 loads with
/// `keras.models.load_model`, or a legacy `.h5`. A model that standardizes gets a
/// `Normalization` layer first.
///
/// # Errors
/// As [`to_bytes`]; [`KerasError::Model`] naming the file when it cannot be written.
pub fn save(model: &KerasModel, path: impl AsRef<Path>, format: KerasFormat) -> Result<()> {
    let bytes = to_bytes(model, format)?;
    crate::export::write_atomically(path.as_ref(), &bytes).map_err(KerasError::Model)
}

pub use writer::to_bytes;
