//! Writing a model file from borrowed arrays, without `alloc`.

use super::int8::{self, Int8LayerRef};
use super::{
    crc32, labels_fit, names_fit, version_of, DType, EncodeError, LayerSpec, Task, MAGIC,
    MAX_LAYERS, OLDEST_VERSION,
};
use serde::ser::SerializeTuple;
use serde::{Serialize, Serializer};

/// One layer's weights, borrowed, ready to be written.
#[derive(Clone, Copy, Debug)]
pub struct LayerRef<'a> {
    /// Width, activation and name.
    pub spec: LayerSpec<'a>,
    /// `units × fan_in` weights, row-major: row `j` holds the weights into unit `j`.
    pub kernel: &'a [f32],
    /// `units` biases.
    pub bias: &'a [f32],
}

/// A whole model, borrowed, ready to be written as a model file.
///
/// # Examples
/// ```
/// use dendrite_core::format::{LayerRef, LayerSpec, ModelRef, ModelView};
/// use dendrite_core::Activation;
///
/// let spec = LayerSpec { units: 1, activation: Activation::Sigmoid, name: "out" };
/// let layers = [LayerRef { spec, kernel: &[0.5, -0.5], bias: &[0.1] }];
/// let model = ModelRef {
///     input: 2,
///     features: "temperature\nhumidity",
///     labels: "dry\nwet",
///     mean: &[0.0, 0.0],
///     std: &[1.0, 1.0],
///     layers: &layers,
///     ..ModelRef::default()
/// };
///
/// let mut bytes = vec![0u8; model.encoded_len()?];
/// model.encode(&mut bytes)?;
/// let view = ModelView::from_bytes(&bytes)?;
/// assert_eq!(view.architecture().to_string(), "2-1 sigmoid");
/// assert_eq!(view.features().collect::<Vec<_>>(), ["temperature", "humidity"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelRef<'a> {
    /// Input width.
    pub input: u16,
    /// Input feature names joined by `'\n'`; empty when the features have no names.
    pub features: &'a str,
    /// Class names (classification) or target names (regression) joined by `'\n'`; may be
    /// empty.
    pub labels: &'a str,
    /// What the outputs mean.
    pub task: Task<&'a [f32]>,
    /// Per-feature mean subtracted from the raw inputs.
    pub mean: &'a [f32],
    /// Per-feature standard deviation the centred inputs are divided by.
    pub std: &'a [f32],
    /// The layers, input side first.
    pub layers: &'a [LayerRef<'a>],
    /// Empty for a float model. For an int8 model, one entry per layer: every layer is then
    /// int8 ([`DType::I8`]), its [`LayerRef`] giving the spec with an empty kernel and bias.
    pub int8: &'a [Int8LayerRef<'a>],
}

impl ModelRef<'_> {
    /// The size of the model file in bytes, checksum included.
    ///
    /// # Errors
    /// The same as [`encode`](Self::encode), but for [`EncodeError::BufferTooSmall`].
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        self.validate()?;
        let header = self.header_len()?;
        Ok(header + 1 + padding(header) + 4 * self.data_words() + 4)
    }

    /// Writes the model file into `out` and returns the number of bytes written.
    ///
    /// # Errors
    /// [`EncodeError`] when the model is inconsistent or `out` is too small; `out` may then hold
    /// a partial write, never a valid model.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let total = self.encoded_len()?;
        let out = out.get_mut(..total).ok_or(EncodeError::BufferTooSmall)?;
        let header = postcard::to_slice(&Header(self), out)
            .map_err(|_| EncodeError::BufferTooSmall)?
            .len();
        let pad = padding(header);
        let (body, trailer) = out.split_at_mut(total - 4);
        let (_, rest) = body.split_at_mut(header);
        let (pad_bytes, data) = rest.split_at_mut(1 + pad);
        // The padding is a postcard byte string of `pad` zeros: its length, then the zeros.
        pad_bytes.fill(0);
        if let Some(len) = pad_bytes.first_mut() {
            *len = pad as u8;
        }
        for (chunk, word) in data.chunks_exact_mut(4).zip(self.words()) {
            chunk.copy_from_slice(&word);
        }
        trailer.copy_from_slice(&crc32(body).to_le_bytes());
        Ok(total)
    }

    /// Bytes of the postcard-encoded header (magic to threshold).
    fn header_len(&self) -> Result<usize, EncodeError> {
        postcard::serialize_with_flavor(&Header(self), postcard::ser_flavors::Size::default())
            .map_err(|_| EncodeError::InvalidShape)
    }

    /// Number of 4-byte words in the data section.
    fn data_words(&self) -> usize {
        let targets = match self.task {
            Task::Regression { mean, std } => mean.len() + std.len(),
            _ => 0,
        };
        let mut fan_in = usize::from(self.input);
        let mut weights = 0;
        for (i, l) in self.layers.iter().enumerate() {
            let units = usize::from(l.spec.units);
            weights += match self.int8.get(i) {
                Some(_) => int8::words(units, fan_in, l.spec.activation).unwrap_or(0),
                None => l.kernel.len() + l.bias.len(),
            };
            fan_in = units;
        }
        self.mean.len() + self.std.len() + weights + targets
    }

    /// The f32 values of the data section (standardization, f32 layers, targets), in file order.
    fn data(&self) -> impl Iterator<Item = f32> + '_ {
        let targets: (&[f32], &[f32]) = match self.task {
            Task::Regression { mean, std } => (mean, std),
            _ => (&[], &[]),
        };
        let weights = self
            .layers
            .iter()
            .flat_map(|l| l.kernel.iter().chain(l.bias));
        self.mean
            .iter()
            .chain(self.std)
            .chain(weights)
            .chain(targets.0)
            .chain(targets.1)
            .copied()
    }

    /// The data section's words, in file order.
    fn words(&self) -> impl Iterator<Item = [u8; 4]> + '_ {
        let targets: (&[f32], &[f32]) = match self.task {
            Task::Regression { mean, std } => (mean, std),
            _ => (&[], &[]),
        };
        let layers = self.layers.iter().enumerate().flat_map(|(i, l)| {
            let float = l.kernel.iter().chain(l.bias).map(|v| v.to_le_bytes());
            float.chain(self.int8.get(i).into_iter().flat_map(Int8LayerRef::data))
        });
        let f = |v: &f32| v.to_le_bytes();
        self.mean
            .iter()
            .chain(self.std)
            .map(f)
            .chain(layers)
            .chain(targets.0.iter().chain(targets.1).map(f))
    }

    /// The format version the file is written in: the oldest that holds every layer's
    /// activation (2 for linear, relu, sigmoid, tanh and softmax alone; 3 otherwise).
    pub fn version(&self) -> u16 {
        self.layers
            .iter()
            .map(|l| version_of(l.spec.activation))
            .fold(OLDEST_VERSION, u16::max)
    }

    /// The weight type of every layer.
    fn dtype(&self) -> DType {
        if self.int8.is_empty() {
            DType::F32
        } else {
            DType::I8
        }
    }

    /// Checks shapes, finiteness, standardization, names and task: a model file is never
    /// written that the decoder would refuse.
    fn validate(&self) -> Result<(), EncodeError> {
        let input = usize::from(self.input);
        if input == 0 || self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
            return Err(EncodeError::InvalidShape);
        }
        if self.mean.len() != input || self.std.len() != input {
            return Err(EncodeError::InvalidShape);
        }
        if !self.int8.is_empty() && self.int8.len() != self.layers.len() {
            return Err(EncodeError::InvalidShape);
        }
        let mut fan_in = input;
        for (i, layer) in self.layers.iter().enumerate() {
            let units = usize::from(layer.spec.units);
            let shape_ok = match self.int8.get(i) {
                Some(q) => {
                    layer.kernel.is_empty()
                        && layer.bias.is_empty()
                        && q.is_valid(units, fan_in, layer.spec.activation)
                }
                None => layer.kernel.len() == units * fan_in && layer.bias.len() == units,
            };
            if units == 0 || !shape_ok {
                return Err(EncodeError::InvalidShape);
            }
            fan_in = units;
        }
        if !self.data().all(f32::is_finite) || !self.task.threshold().is_finite() {
            return Err(EncodeError::NonFinite);
        }
        let output = fan_in as u16;
        let target_std_ok = match self.task {
            Task::Regression { mean, std } => {
                if mean.len() != fan_in || std.len() != fan_in {
                    return Err(EncodeError::InvalidShape);
                }
                std.iter().all(|&s| s > 0.0)
            }
            Task::Anomaly { threshold } => {
                if fan_in != input {
                    return Err(EncodeError::InvalidShape);
                }
                threshold >= 0.0
            }
            Task::Classification => true,
        };
        if self.std.iter().any(|&s| s <= 0.0) || !target_std_ok {
            return Err(EncodeError::InvalidNormalization);
        }
        let labels_ok = match self.task {
            Task::Classification => labels_fit(self.labels.as_bytes(), output),
            Task::Regression { .. } => names_fit(self.labels.as_bytes(), output),
            Task::Anomaly { .. } => self.labels.is_empty(),
        };
        if !labels_ok || !names_fit(self.features.as_bytes(), self.input) {
            return Err(EncodeError::InvalidLabels);
        }
        Ok(())
    }
}

/// Padding bytes after a header of `header` bytes (and the padding's one-byte length), so the
/// data section starts at an offset divisible by 4.
pub(super) fn padding(header: usize) -> usize {
    (4 - (header + 1) % 4) % 4
}

/// The header, serialized as the tuple of fields described in [the format](super).
struct Header<'a>(&'a ModelRef<'a>);

impl Serialize for Header<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut t = s.serialize_tuple(9)?;
        t.serialize_element(&MAGIC)?;
        t.serialize_element(&m.version())?;
        t.serialize_element(&m.input)?;
        t.serialize_element(m.features)?;
        t.serialize_element(&Specs(m.layers, m.dtype()))?;
        t.serialize_element(&m.task.code())?;
        t.serialize_element(m.labels)?;
        t.serialize_element(&m.task.threshold())?;
        t.end()
    }
}

/// The layers' headers, as `seq<(units, activation, name, dtype)>`.
struct Specs<'a>(&'a [LayerRef<'a>], DType);

impl Serialize for Specs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|l| {
            let spec = l.spec;
            (spec.units, spec.activation, spec.name, self.1.code())
        }))
    }
}
