//! Running an exported model on the host through dendrite-core's forward pass, so the host
//! prints exactly the numbers the firmware computes from the same file.

use crate::error::{Error, Result};
use crate::quantize::{Int8Model, QuantizedModel};
use dendrite_core::format::{Architecture, DType, ModelView, Task};
use dendrite_core::{kernel, Activation};
use std::path::Path;

/// A model file, validated and unpacked for inference on the host: f32 layers through
/// dendrite-core's dense kernel, int8 layers through dendrite-core's int8 kernels
/// ([`dendrite_core::quant`]), as the firmware runs each.
#[derive(Clone, Debug)]
pub struct HostModel {
    path: std::path::PathBuf,
    architecture: Architecture,
    input: usize,
    mean: Vec<f32>,
    std: Vec<f32>,
    features: Vec<String>,
    labels: Vec<String>,
    task: Task<Vec<f32>>,
    layers: Vec<HostLayer>,
    /// The int8 network, for a file with int8 layers (its `layers` then hold no f32 weights).
    int8: Option<QuantizedModel>,
    crc: u32,
    file_len: usize,
}

/// Caller-owned scratch space for [`HostModel::predict_into`]: two activation buffers as wide as
/// the model's widest layer, so a prediction allocates nothing.
#[derive(Clone, Debug)]
pub struct PredictBuffers {
    a: Vec<f32>,
    b: Vec<f32>,
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
    /// The type of the weights the file stores for this layer.
    pub dtype: DType,
    /// `units × fan_in` weights, row-major (empty for an int8 layer: see [`HostModel::int8`]).
    pub kernel: Vec<f32>,
    /// `units` biases (empty for an int8 layer).
    pub bias: Vec<f32>,
}

impl HostModel {
    /// Validates and unpacks a model file's bytes.
    ///
    /// # Errors
    /// [`Error::InvalidModelFile`] with dendrite-core's reason (magic, version, CRC, …);
    /// `origin` names the source in the message.
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        let invalid = |reason| Error::InvalidModelFile {
            path: origin.to_owned(),
            reason,
        };
        let view = ModelView::from_bytes(bytes).map_err(invalid)?;
        let int8 = if view.layers().any(|l| l.int8.is_some()) {
            let model =
                QuantizedModel::from_model_bytes(bytes).map_err(|e| Error::ModelFileRefused {
                    path: origin.to_owned(),
                    reason: e.to_string(),
                })?;
            // Checked once here, so a prediction fails only on its input.
            model
                .int8
                .with_view(|m| m.validate())
                .map_err(|e| Error::ModelFileRefused {
                    path: origin.to_owned(),
                    reason: e.to_string(),
                })?;
            Some(model)
        } else {
            None
        };
        let layers = view
            .layers()
            .map(|l| HostLayer {
                name: l.name().to_owned(),
                units: usize::from(l.units),
                activation: l.activation,
                dtype: if l.int8.is_some() {
                    DType::I8
                } else {
                    DType::F32
                },
                kernel: l.kernel.iter().collect(),
                bias: l.bias.iter().collect(),
            })
            .collect();
        Ok(HostModel {
            path: origin.to_owned(),
            architecture: view.architecture(),
            input: usize::from(view.input()),
            mean: view.mean().iter().collect(),
            std: view.std().iter().collect(),
            features: view.features().map(str::to_owned).collect(),
            labels: view.classes().map(str::to_owned).collect(),
            task: match view.task() {
                Task::Classification => Task::Classification,
                Task::Regression { mean, std } => Task::Regression {
                    mean: mean.iter().collect(),
                    std: std.iter().collect(),
                },
                Task::Anomaly { threshold } => Task::Anomaly { threshold },
            },
            layers,
            int8,
            crc: view.crc(),
            file_len: view.len(),
        })
    }

    /// Reads and validates a model file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::InvalidModelFile`] when it is not
    /// a valid model, is not a regular file, or is larger than
    /// [`MAX_MODEL_FILE_BYTES`](crate::limits::MAX_MODEL_FILE_BYTES) (refused before reading).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_bounded(path, crate::limits::MAX_MODEL_FILE_BYTES)?;
        Self::from_bytes(&bytes, path)
    }

    /// The model's outputs for one sample of raw inputs: standardization, then each layer
    /// through `dendrite_core::kernel::dense`, exactly as the firmware runs it.
    ///
    /// Allocates its result; [`predict_into`](Self::predict_into) reuses buffers instead.
    ///
    /// # Errors
    /// [`Error::ColumnMismatch`] when `x` does not have [`input`](Self::input) values.
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        let mut buffers = self.buffers();
        Ok(self.predict_into(x, &mut buffers)?.to_vec())
    }

    /// Buffers for [`predict_into`](Self::predict_into), sized for this model's widest layer.
    pub fn buffers(&self) -> PredictBuffers {
        let widest = self.widest();
        PredictBuffers {
            a: vec![0.0; widest],
            b: vec![0.0; widest],
        }
    }

    /// [`predict`](Self::predict) without allocating: the same dendrite-core calls in the same
    /// order (so the same bits), through `buffers`; returns the outputs, borrowed from them.
    ///
    /// # Errors
    /// [`Error::ColumnMismatch`] when `x` does not have [`input`](Self::input) values or the
    /// buffers belong to a narrower model; [`Error::NotFinite`] for a NaN or infinite input
    /// (refused as the CSV reader and the firmware refuse it).
    pub fn predict_into<'b>(
        &self,
        x: &[f32],
        buffers: &'b mut PredictBuffers,
    ) -> Result<&'b [f32]> {
        self.check_input(x.len())?;
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                index,
                value: x[index],
            });
        }
        if let Some(int8) = &self.int8 {
            let (outputs, _) = self.run_int8(int8, x)?;
            let found = buffers.a.len();
            let out = buffers
                .a
                .get_mut(..outputs.len())
                .ok_or(Error::ColumnMismatch {
                    what: "the prediction buffers",
                    expected: outputs.len(),
                    found,
                })?;
            out.copy_from_slice(&outputs);
            return Ok(out);
        }
        let widest = self.widest();
        if buffers.a.len() < widest || buffers.b.len() < widest {
            return Err(Error::ColumnMismatch {
                what: "the prediction buffers",
                expected: widest,
                found: buffers.a.len().min(buffers.b.len()),
            });
        }
        let (mut current, mut next) = (&mut buffers.a[..], &mut buffers.b[..]);
        current[..x.len()].copy_from_slice(x);
        kernel::standardize(&mut current[..x.len()], &self.mean, &self.std);
        let mut width = x.len();
        for layer in &self.layers {
            let out = &mut next[..layer.units];
            kernel::dense(
                &current[..width],
                &layer.kernel,
                &layer.bias,
                layer.activation,
                out,
            );
            width = layer.units;
            std::mem::swap(&mut current, &mut next);
        }
        Ok(&current[..width])
    }

    /// For a model with int8 layers: the raw int8 outputs for one sample of raw inputs (the
    /// standardization, TFLite's input quantization, the int8 layers), what TFLite's interpreter
    /// computes for the same int8 network; [`predict`](Self::predict) returns them
    /// dequantized. `None` for an f32 model.
    ///
    /// # Errors
    /// As [`predict_into`](Self::predict_into).
    pub fn predict_quantized(&self, x: &[f32]) -> Result<Option<Vec<i8>>> {
        self.check_input(x.len())?;
        match &self.int8 {
            Some(int8) => Ok(Some(self.run_int8(int8, x)?.1)),
            None => Ok(None),
        }
    }

    /// The int8 path: finite inputs checked, then dendrite-core's int8 network.
    fn run_int8(&self, int8: &QuantizedModel, x: &[f32]) -> Result<(Vec<f32>, Vec<i8>)> {
        self.check_input(x.len())?;
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                index,
                value: x[index],
            });
        }
        int8.predict_both(x).map_err(|e| Error::ModelFileRefused {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    /// Predicts every row of `rows` (row-major, [`input`](Self::input) values each) into
    /// `out` (row-major, [`output`](Self::output) values each), sample by sample through
    /// [`predict_into`](Self::predict_into): the same bits as one call per row.
    ///
    /// # Errors
    /// [`Error::ColumnMismatch`] when `rows` is not a whole number of samples or `out` does not
    /// hold one output row per sample.
    pub fn predict_batch_into(&self, rows: &[f32], out: &mut [f32]) -> Result<()> {
        let (input, output) = (self.input.max(1), self.output());
        let samples = rows.len() / input;
        if !rows.len().is_multiple_of(input) || out.len() != samples * output {
            return Err(Error::ColumnMismatch {
                what: "the output buffer",
                expected: samples * output,
                found: out.len(),
            });
        }
        let mut buffers = self.buffers();
        for (x, y) in rows
            .chunks_exact(input)
            .zip(out.chunks_exact_mut(output.max(1)))
        {
            y.copy_from_slice(self.predict_into(x, &mut buffers)?);
        }
        Ok(())
    }

    /// The widest of the input and every layer's output.
    fn widest(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.units)
            .fold(self.input, usize::max)
    }

    fn check_input(&self, found: usize) -> Result<()> {
        if found == self.input {
            return Ok(());
        }
        Err(Error::ColumnMismatch {
            what: "the input",
            expected: self.input,
            found,
        })
    }

    /// The number of outputs (the last layer's units).
    pub fn output(&self) -> usize {
        self.layers.last().map_or(self.input, |l| l.units)
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

    /// The class names (or, for regression, the target names) stored in the file; empty when
    /// it has none.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The input feature names stored in the file (empty when it has none).
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// What the outputs mean, with the regression targets' standardization.
    pub fn task(&self) -> &Task<Vec<f32>> {
        &self.task
    }

    /// The class `outputs` (this model's forward pass) pick, by dendrite-core's one rule
    /// ([`dendrite_core::class_of`]: argmax, or above 0.5 for a single sigmoid output), the
    /// firmware's rule too; `None` for a regression or anomaly model, whose outputs have no class.
    pub fn class_of(&self, outputs: &[f32]) -> Option<usize> {
        match self.task {
            Task::Classification => {
                let last = self.architecture.layers.last();
                let activation = last.map_or(dendrite_core::Activation::Linear, |&(_, a)| a);
                Some(dendrite_core::class_of(outputs, activation))
            }
            Task::Regression { .. } | Task::Anomaly { .. } => None,
        }
    }

    /// The int8 network (with the f32 standardization before it) of a file with int8 layers;
    /// `None` for an f32 model.
    pub fn int8(&self) -> Option<&QuantizedModel> {
        self.int8.as_ref()
    }

    /// The int8 layers of a file with int8 layers, `None` for an f32 model.
    pub fn int8_layers(&self) -> Option<&Int8Model> {
        self.int8.as_ref().map(|q| &q.int8)
    }

    /// Refuses a model with int8 layers for a use that needs f32 weights (`what`: quantizing,
    /// exporting to Keras, initial weights).
    ///
    /// # Errors
    /// [`Error::Int8Layers`] naming the file and `what`.
    pub fn require_f32(&self, what: &'static str) -> Result<()> {
        match self.int8 {
            Some(_) => Err(Error::Int8Layers {
                path: self.path.clone(),
                what,
            }),
            None => Ok(()),
        }
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

/// Reads a model file of at most `limit` bytes; a larger file, or anything but a regular file
/// (a FIFO, `/dev/zero`), is refused before it is read.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    crate::limits::read_limited(path, limit).map_err(|source| {
        if source.kind() == std::io::ErrorKind::InvalidInput {
            Error::ModelFileRefused {
                path: path.to_owned(),
                reason: source.to_string(),
            }
        } else {
            Error::Io {
                path: path.to_owned(),
                source,
            }
        }
    })
}
