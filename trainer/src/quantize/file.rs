//! Int8 models as model files ([`DType::I8`](dendrite_core::format::DType) layers).

use super::{Int8Activation, Int8Layer, Int8Model, QuantizedModel};
use crate::host::HostModel;
use dendrite_core::format::{Int8LayerRef, LayerRef, LayerSpec, ModelRef, ModelView, Task};
use dendrite_core::Activation;

/// Why an int8 model file could not be written or read.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum Int8FileError {
    /// dendrite-core refused to write the model.
    #[error("cannot write the int8 model: {0}")]
    Encode(dendrite_core::format::EncodeError),
    /// dendrite-core refused the file.
    #[error("not a valid model file: {0}")]
    Decode(dendrite_core::format::DecodeError),
    /// The file holds float layers.
    #[error(
        "the model file holds f32 layers, not int8 ones: quantize it with `dendrite quantize`"
    )]
    NotInt8,
}

/// The Keras activation a layer's header names: relu when the clamp starts at the quantized 0
/// (a relu6 is a relu whose clamp also ends early).
fn header_activation(layer: &Int8Layer) -> Activation {
    match layer.activation {
        Int8Activation::Softmax(_) => Activation::Softmax,
        Int8Activation::Logistic(_) => Activation::Sigmoid,
        Int8Activation::Tanh(_) => Activation::Tanh,
        Int8Activation::None if i32::from(layer.activation_min) == layer.output.zero_point => {
            Activation::Relu
        }
        Int8Activation::None => Activation::Linear,
    }
}

impl QuantizedModel {
    /// The model file: the f32 standardization, then the int8 layers. Per-tensor scaling is
    /// written per unit (the same multiplier repeated); weight scales are not stored.
    ///
    /// # Errors
    /// [`Int8FileError::Encode`] when dendrite-core refuses the model.
    pub fn to_model_bytes(&self, labels: &[String]) -> Result<Vec<u8>, Int8FileError> {
        self.encode(labels, &[], Task::Classification)
    }

    /// The model file of the int8 model quantized from `float`: its class or target names, its
    /// feature names and its task (a regression's target standardization, an anomaly
    /// threshold) carried over, so the int8 file answers in the same units.
    ///
    /// # Errors
    /// [`Int8FileError::Encode`] when dendrite-core refuses the model.
    pub fn to_model_file(&self, float: &HostModel) -> Result<Vec<u8>, Int8FileError> {
        let task = match float.task() {
            Task::Classification => Task::Classification,
            Task::Regression { mean, std } => Task::Regression {
                mean: mean.as_slice(),
                std: std.as_slice(),
            },
            Task::Anomaly { threshold } => Task::Anomaly {
                threshold: *threshold,
            },
        };
        self.encode(float.labels(), float.features(), task)
    }

    fn encode(
        &self,
        labels: &[String],
        features: &[String],
        task: Task<&[f32]>,
    ) -> Result<Vec<u8>, Int8FileError> {
        let per_unit = |v: &[i32], units: usize| {
            if v.len() == 1 {
                vec![v[0]; units]
            } else {
                v.to_vec()
            }
        };
        let scaling: Vec<(Vec<i32>, Vec<i32>)> = self
            .int8
            .layers
            .iter()
            .map(|l| {
                (
                    per_unit(&l.multiplier, l.units()),
                    per_unit(&l.shift, l.units()),
                )
            })
            .collect();
        let names: Vec<String> = (1..=self.int8.layers.len())
            .map(|i| format!("dense_{i}"))
            .collect();
        let refs: Vec<LayerRef<'_>> = self
            .int8
            .layers
            .iter()
            .zip(&names)
            .map(|(l, name)| LayerRef {
                spec: LayerSpec {
                    units: l.units() as u16,
                    activation: header_activation(l),
                    name,
                },
                kernel: &[],
                bias: &[],
            })
            .collect();
        let int8: Vec<Int8LayerRef<'_>> = self
            .int8
            .layers
            .iter()
            .zip(&scaling)
            .map(|(l, (multiplier, shift))| Int8LayerRef {
                weights: &l.weights,
                bias: &l.bias,
                multiplier,
                shift,
                input: l.input,
                output: l.output,
                activation_min: l.activation_min,
                activation_max: l.activation_max,
                activation_output: l.activation_output,
                softmax: match &l.activation {
                    Int8Activation::Softmax(p) => Some(*p),
                    _ => None,
                },
                lut: match &l.activation {
                    Int8Activation::Logistic(t) | Int8Activation::Tanh(t) => Some(&**t),
                    _ => None,
                },
            })
            .collect();
        let labels = labels.join("\n");
        let features = features.join("\n");
        let model = ModelRef {
            input: self.int8.inputs() as u16,
            labels: &labels,
            features: &features,
            task,
            mean: &self.mean,
            std: &self.std,
            layers: &refs,
            int8: &int8,
        };
        let mut bytes = vec![0; model.encoded_len().map_err(Int8FileError::Encode)?];
        model.encode(&mut bytes).map_err(Int8FileError::Encode)?;
        Ok(bytes)
    }

    /// Reads an int8 model file (weight scales are not stored: `weight_scales` stays empty).
    ///
    /// # Errors
    /// [`Int8FileError::Decode`] for an invalid file, [`Int8FileError::NotInt8`] for a float one.
    pub fn from_model_bytes(bytes: &[u8]) -> Result<Self, Int8FileError> {
        let view = ModelView::from_bytes(bytes).map_err(Int8FileError::Decode)?;
        let mut layers = Vec::new();
        for l in view.layers() {
            let q = l.int8.ok_or(Int8FileError::NotInt8)?;
            let activation = match (q.softmax, q.lut, l.activation) {
                (Some(p), _, _) => Int8Activation::Softmax(p),
                (None, Some(t), Activation::Sigmoid) => Int8Activation::Logistic(Box::new(*t)),
                (None, Some(t), _) => Int8Activation::Tanh(Box::new(*t)),
                (None, None, _) => Int8Activation::None,
            };
            layers.push(Int8Layer {
                weights: q.weights.to_vec(),
                bias: q.bias.iter().collect(),
                weight_scales: Vec::new(),
                multiplier: q.multiplier.iter().collect(),
                shift: q.shift.iter().collect(),
                input: q.input,
                output: q.output,
                activation_min: q.activation_min,
                activation_max: q.activation_max,
                activation,
                activation_output: q.activation_output,
            });
        }
        Ok(QuantizedModel {
            mean: view.mean().iter().collect(),
            std: view.std().iter().collect(),
            int8: Int8Model { layers },
        })
    }
}
