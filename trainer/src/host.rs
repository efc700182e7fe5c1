//! Running an exported model on the host through dendrite-core's forward pass, so the host
//! prints exactly the numbers the firmware computes from the same file.

use crate::error::{Error, Result};
use dendrite_core::format::{Architecture, ModelView};
use dendrite_core::{kernel, Activation};
use std::path::Path;

/// A model file, validated and unpacked for inference on the host.
#[derive(Clone, Debug)]
pub struct HostModel {
    architecture: Architecture,
    input: usize,
    mean: Vec<f32>,
    std: Vec<f32>,
    labels: Vec<String>,
    layers: Vec<HostLayer>,
    crc: u32,
    file_len: usize,
}

/// One dense layer as the file stores it.
#[derive(Clone, Debug)]
pub struct HostLayer {
    /// The layer's name.
    pub name: String,
    /// The number of outputs.
    pub units: usize,
    /// The activation applied to the outputs.
    pub activation: Activation,
    /// `units × fan_in` weights, row-major.
    pub kernel: Vec<f32>,
    /// `units` biases.
    pub bias: Vec<f32>,
}

impl HostModel {
    /// Validates and unpacks a model file's bytes.
    ///
    /// # Errors
    /// [`Error::InvalidModelFile`] with dendrite-core's reason (magic, version, CRC, …);
    /// `origin` names the source in the message.
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        let view = ModelView::from_bytes(bytes).map_err(|e| Error::InvalidModelFile {
            path: origin.to_owned(),
            reason: e.to_string(),
        })?;
        let layers = view
            .layers()
            .map(|l| HostLayer {
                name: l.spec.name.to_owned(),
                units: usize::from(l.spec.units),
                activation: l.spec.activation,
                kernel: l.kernel.iter().collect(),
                bias: l.bias.iter().collect(),
            })
            .collect();
        Ok(HostModel {
            architecture: view.architecture(),
            input: usize::from(view.input()),
            mean: view.mean().iter().collect(),
            std: view.std().iter().collect(),
            labels: view.classes().map(str::to_owned).collect(),
            layers,
            crc: view.crc(),
            file_len: view.len(),
        })
    }

    /// Reads and validates a model file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::InvalidModelFile`] when it is not
    /// a valid model.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// The model's outputs for one sample of raw inputs: standardization, then each layer
    /// through `dendrite_core::kernel::dense`, exactly as the firmware runs it.
    ///
    /// # Errors
    /// [`Error::ColumnMismatch`] when `x` does not have [`input`](Self::input) values.
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        if x.len() != self.input {
            return Err(Error::ColumnMismatch {
                what: "the input",
                expected: self.input,
                found: x.len(),
            });
        }
        let mut current = x.to_vec();
        kernel::standardize(&mut current, &self.mean, &self.std);
        for layer in &self.layers {
            let mut out = vec![0.0; layer.units];
            kernel::dense(
                &current,
                &layer.kernel,
                &layer.bias,
                layer.activation,
                &mut out,
            );
            current = out;
        }
        Ok(current)
    }

    /// The architecture (`3-4-2 relu/softmax`).
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The number of raw inputs.
    pub fn input(&self) -> usize {
        self.input
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[HostLayer] {
        &self.layers
    }

    /// The standardization: per-feature mean and std.
    pub fn standardization(&self) -> (&[f32], &[f32]) {
        (&self.mean, &self.std)
    }

    /// The class names stored in the file (empty when it has none).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The file's CRC-32 trailer.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// The file's size in bytes.
    pub fn file_len(&self) -> usize {
        self.file_len
    }

    /// The number of weights and biases.
    pub fn param_count(&self) -> usize {
        self.architecture.param_count()
    }
}
