//! Reading and validating a model file, without `alloc`: the view borrows from the bytes.
//!
//! The file is written with postcard (see [`ModelRef`](super::ModelRef)) and read here with
//! [`Reader`], a hand-written reader of postcard's wire format: on the target it costs a
//! fraction of the flash and stack of serde's generic decoder. Property tests check that every
//! file the encoder writes reads back field for field.

use super::encode::padding;
use super::int8::{self, Int8View};
use super::{
    crc32, labels_fit, names_fit, Architecture, DType, DecodeError, F32s, LayerSpec, Task, MAGIC,
    MAX_LAYERS,
};
use crate::wire::{Reader, WireError};
use crate::Activation;

/// A validated model file, borrowed from its bytes.
///
/// Holding a `ModelView` means every check has passed: magic, version, structure, checksum,
/// shapes, finite values, positive `std`, names, task.
#[derive(Clone, Copy, Debug)]
pub struct ModelView<'a> {
    input: u16,
    layer_count: usize,
    /// Feature names joined by `'\n'`, checked to be UTF-8.
    features: &'a [u8],
    /// The layer headers, from the first one on (their count already read).
    specs: &'a [u8],
    task: u8,
    /// Class or target names joined by `'\n'`, checked to be UTF-8.
    labels: &'a [u8],
    threshold: f32,
    /// The data section: standardization, weights, target standardization.
    data: &'a [u8],
    crc: u32,
    len: usize,
}

/// One layer of a [`ModelView`]: its header and its weights.
#[derive(Clone, Copy, Debug)]
pub struct LayerView<'a> {
    /// Number of units (outputs) of the layer.
    pub units: u16,
    /// The activation applied to the layer's outputs.
    pub activation: Activation,
    /// How the weights are stored.
    pub dtype: DType,
    /// The name, checked to be UTF-8; see [`name`](Self::name).
    name: &'a [u8],
    /// `units × fan_in` weights, row-major.
    pub kernel: F32s<'a>,
    /// `units` biases.
    pub bias: F32s<'a>,
    /// An int8 layer's parameters ([`DType::I8`]; `kernel` and `bias` are empty then).
    pub int8: Option<Int8View<'a>>,
}

/// The layers of a [`ModelView`], input side first.
#[derive(Clone, Debug)]
pub struct LayerViews<'a> {
    specs: Reader<'a>,
    data: Reader<'a>,
    fan_in: usize,
    remaining: usize,
}

impl<'a> Iterator for LayerViews<'a> {
    type Item = LayerView<'a>;

    fn next(&mut self) -> Option<LayerView<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        // Cannot fail: the view validated these bytes.
        let layer = layer(&mut self.specs, &mut self.data, self.fan_in).ok()?;
        self.fan_in = usize::from(layer.units);
        Some(layer)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for LayerViews<'_> {}

impl<'a> LayerView<'a> {
    /// The layer's name, as shown by `summary()` (`"Dense1"`).
    pub fn name(&self) -> &'a str {
        // Never empty by mistake: the view checked the name is UTF-8 (`wire::is_utf8`).
        core::str::from_utf8(self.name).unwrap_or_default()
    }

    /// Width, activation and name together.
    pub fn spec(&self) -> LayerSpec<'a> {
        LayerSpec {
            units: self.units,
            activation: self.activation,
            name: self.name(),
        }
    }
}

/// A layer's header: units, activation, name and weight type.
struct Head<'a> {
    units: u16,
    activation: Activation,
    name: &'a [u8],
    dtype: DType,
}

fn head<'a>(specs: &mut Reader<'a>) -> Result<Head<'a>, DecodeError> {
    let units = specs.varint_u16()?;
    let index = usize::try_from(specs.varint_u32()?).map_err(|_| DecodeError::Malformed)?;
    let activation = *Activation::ALL.get(index).ok_or(DecodeError::Malformed)?;
    let name = specs.str_bytes()?;
    let code = specs.byte()?;
    let dtype = DType::from_code(code).ok_or(DecodeError::UnsupportedLayer { dtype: code })?;
    Ok(Head {
        units,
        activation,
        name,
        dtype,
    })
}

fn layer<'a>(
    specs: &mut Reader<'a>,
    data: &mut Reader<'a>,
    fan_in: usize,
) -> Result<LayerView<'a>, DecodeError> {
    let Head {
        units,
        activation,
        name,
        dtype,
    } = head(specs)?;
    let units_n = usize::from(units);
    if dtype == DType::I8 {
        let words = int8::words(units_n, fan_in, activation).ok_or(DecodeError::Malformed)?;
        let bytes = data.take(words.checked_mul(4).ok_or(DecodeError::Malformed)?)?;
        return Ok(LayerView {
            units,
            activation,
            dtype,
            name,
            kernel: F32s::default(),
            bias: F32s::default(),
            int8: Some(int8::read(bytes, units_n, fan_in, activation)?),
        });
    }
    let weights = units_n.checked_mul(fan_in).ok_or(DecodeError::Malformed)?;
    Ok(LayerView {
        units,
        activation,
        dtype,
        name,
        kernel: floats(data, weights)?,
        bias: floats(data, units_n)?,
        int8: None,
    })
}

/// The next `count` floats of the data section.
fn floats<'a>(r: &mut Reader<'a>, count: usize) -> Result<F32s<'a>, DecodeError> {
    let bytes = count.checked_mul(4).ok_or(DecodeError::Malformed)?;
    Ok(F32s(r.take(bytes)?))
}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::End => DecodeError::Truncated,
            WireError::Invalid => DecodeError::Malformed,
        }
    }
}

impl<'a> ModelView<'a> {
    /// Reads a model file that fills `bytes` exactly.
    ///
    /// # Errors
    /// Every [`DecodeError`] but `ArchitectureMismatch`: [`DecodeError::TrailingBytes`] when
    /// anything follows the checksum.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let view = Self::from_prefix(bytes)?;
        if view.len != bytes.len() {
            return Err(DecodeError::TrailingBytes);
        }
        Ok(view)
    }

    /// Reads a model file at the start of `bytes` and ignores what follows it: a flash region
    /// is larger than the model it holds. [`len`](Self::len) tells where the model ends.
    ///
    /// # Errors
    /// Every [`DecodeError`] but `ArchitectureMismatch` and `TrailingBytes`.
    pub fn from_prefix(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(bytes);
        let version = preamble(&mut r)?;
        let input = r.varint_u16()?;
        let features = r.str_bytes()?;
        let layer_count = r.len(MAX_LAYERS)?;
        let specs = r.rest();
        // The data section's size, from the header: standardization, then each layer.
        let mut floats_needed = 2 * usize::from(input);
        let mut fan_in = usize::from(input);
        for _ in 0..layer_count {
            let h = head(&mut r)?;
            if version < super::version_of(h.activation) {
                // No version 2 writer put this activation there: the file is damaged.
                return Err(DecodeError::Malformed);
            }
            let units = usize::from(h.units);
            let weights = match h.dtype {
                DType::I8 => int8::words(units, fan_in, h.activation),
                DType::F32 => units.checked_mul(fan_in + 1),
            }
            .ok_or(DecodeError::Malformed)?;
            floats_needed = floats_needed
                .checked_add(weights)
                .ok_or(DecodeError::Malformed)?;
            fan_in = units;
        }
        let task = r.byte()?;
        if task == 1 {
            floats_needed += 2 * fan_in;
        } else if task > 2 {
            return Err(DecodeError::Malformed);
        }
        let labels = r.str_bytes()?;
        let threshold = r.f32()?;
        let header = bytes.len() - r.rest().len();
        let pad = r.bytes()?;
        if pad.len() != padding(header) || pad.iter().any(|&b| b != 0) {
            return Err(DecodeError::Malformed);
        }
        let data_len = floats_needed.checked_mul(4).ok_or(DecodeError::Malformed)?;
        let data = r.take(data_len)?;
        let body_len = bytes.len() - r.rest().len();
        let stored =
            u32::from_le_bytes(*r.rest().first_chunk::<4>().ok_or(DecodeError::Truncated)?);
        let computed = bytes.get(..body_len).map_or(0, crc32);
        if stored != computed {
            return Err(DecodeError::CrcMismatch { stored, computed });
        }
        let view = ModelView {
            input,
            layer_count,
            features,
            specs,
            task,
            labels,
            threshold,
            data,
            crc: stored,
            len: body_len + 4,
        };
        view.validate()?;
        Ok(view)
    }

    /// Input width.
    pub fn input(&self) -> u16 {
        self.input
    }

    /// Number of outputs of the last layer.
    pub fn output(&self) -> u16 {
        self.layers().last().map_or(self.input, |l| l.units)
    }

    /// The layers, input side first.
    pub fn layers(&self) -> LayerViews<'a> {
        let standardization = 8 * usize::from(self.input);
        LayerViews {
            specs: Reader(self.specs),
            data: Reader(self.data.get(standardization..).unwrap_or_default()),
            fan_in: usize::from(self.input),
            remaining: self.layer_count,
        }
    }

    /// The architecture: input width, each layer's width and activation.
    pub fn architecture(&self) -> Architecture {
        let mut layers = heapless::Vec::new();
        for layer in self.layers() {
            // Cannot overflow: a view holds at most MAX_LAYERS layers.
            let _ = layers.push((layer.units, layer.activation));
        }
        Architecture {
            input: self.input,
            layers,
        }
    }

    /// The activation of the last layer.
    pub fn output_activation(&self) -> Activation {
        self.layers()
            .last()
            .map_or(Activation::Linear, |l| l.activation)
    }

    /// The `index`-th run of `count` floats of the data section.
    fn data_floats(&self, start: usize, count: usize) -> F32s<'a> {
        F32s(
            self.data
                .get(4 * start..4 * (start + count))
                .unwrap_or_default(),
        )
    }

    /// The whole data section as 4-byte words, in file order: the standardization, then each
    /// layer's weights (an f32 layer's kernel, row-major, then its bias), then the targets'
    /// standardization (see [the layout](super)). A network whose layers are all f32 reads its
    /// weights from one address and offsets fixed by its shapes
    /// ([`LayersRef::split`](crate::LayersRef::split)).
    pub fn data(&self) -> F32s<'a> {
        F32s(self.data)
    }

    /// Per-feature means of the standardization.
    pub fn mean(&self) -> F32s<'a> {
        self.data_floats(0, usize::from(self.input))
    }

    /// Per-feature standard deviations of the standardization.
    pub fn std(&self) -> F32s<'a> {
        let input = usize::from(self.input);
        self.data_floats(input, input)
    }

    /// What the outputs mean; for regression, with the targets' standardization.
    pub fn task(&self) -> Task<F32s<'a>> {
        match self.task {
            1 => {
                let output = usize::from(self.output());
                let start = self.data.len() / 4 - 2 * output;
                Task::Regression {
                    mean: self.data_floats(start, output),
                    std: self.data_floats(start + output, output),
                }
            }
            2 => Task::Anomaly {
                threshold: self.threshold,
            },
            _ => Task::Classification,
        }
    }

    /// Input feature names joined by `'\n'`, empty when the features have no names.
    pub fn feature_names(&self) -> &'a str {
        // Never empty by mistake: the view checked the names are UTF-8 (`wire::is_utf8`).
        core::str::from_utf8(self.features).unwrap_or_default()
    }

    /// The input feature names, one per input, when the model has them.
    pub fn features(&self) -> impl Iterator<Item = &'a str> {
        split_names(self.feature_names())
    }

    /// Class names (classification) or target names (regression) joined by `'\n'`, empty when
    /// they have no names.
    pub fn labels(&self) -> &'a str {
        // Never empty by mistake: the view checked the labels are UTF-8 (`wire::is_utf8`).
        core::str::from_utf8(self.labels).unwrap_or_default()
    }

    /// The class names (or the regression targets' names), one each, when the model has them.
    pub fn classes(&self) -> impl Iterator<Item = &'a str> {
        split_names(self.labels())
    }

    /// The file's CRC-32, a fingerprint of the model.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Length of the model file in bytes, checksum included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a model file holds at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Reads every layer with its checks (finite f32 weights; int8 parameters in range): the
    /// [`layers`](Self::layers) iterator relies on them.
    fn check_layers(&self) -> Result<(), DecodeError> {
        let mut specs = Reader(self.specs);
        let mut data = Reader(
            self.data
                .get(8 * usize::from(self.input)..)
                .unwrap_or_default(),
        );
        let mut fan_in = usize::from(self.input);
        let mut dtypes = None;
        for _ in 0..self.layer_count {
            let l = layer(&mut specs, &mut data, fan_in)?;
            if !l.kernel.iter().chain(l.bias.iter()).all(f32::is_finite) {
                return Err(DecodeError::NonFinite);
            }
            // One weight type per model: int8 layers chain their zero points and scales.
            if *dtypes.get_or_insert(l.dtype) != l.dtype {
                return Err(DecodeError::Malformed);
            }
            fan_in = usize::from(l.units);
        }
        Ok(())
    }

    /// The checks beyond the encoding: shapes, names, task, finite values, positive `std`.
    fn validate(&self) -> Result<(), DecodeError> {
        if self.input == 0 || self.layer_count == 0 || self.layers().any(|l| l.units == 0) {
            return Err(DecodeError::Malformed);
        }
        let output = self.output();
        let task = self.task();
        let names_ok = match task {
            Task::Classification => labels_fit(self.labels, output),
            Task::Regression { .. } => names_fit(self.labels, output),
            Task::Anomaly { .. } => self.labels.is_empty() && output == self.input,
        };
        if !names_ok || !names_fit(self.features, self.input) {
            return Err(DecodeError::Malformed);
        }
        self.check_layers()?;
        let standardization = self.mean().iter().chain(self.std().iter());
        let targets = match task {
            Task::Regression { mean, std } => Some(mean.iter().chain(std.iter())),
            _ => None,
        };
        let finite = standardization
            .chain(targets.into_iter().flatten())
            .all(f32::is_finite);
        if !finite || !self.threshold.is_finite() {
            return Err(DecodeError::NonFinite);
        }
        let target_std_ok = match task {
            Task::Regression { std, .. } => std.iter().all(|s| s > 0.0),
            Task::Anomaly { threshold } => threshold >= 0.0,
            Task::Classification => true,
        };
        if self.std().iter().any(|s| s <= 0.0) || !target_std_ok {
            return Err(DecodeError::InvalidNormalization);
        }
        Ok(())
    }
}

/// Names joined by `'\n'`, one by one; none for the empty string.
fn split_names(joined: &str) -> impl Iterator<Item = &str> {
    joined.split('\n').filter(move |_| !joined.is_empty())
}

/// Magic and version, read before anything else to tell "not a model" and "too new" apart from
/// damage. The version, [`OLDEST_VERSION`](super::OLDEST_VERSION) to
/// [`VERSION`](super::VERSION).
fn preamble(r: &mut Reader<'_>) -> Result<u16, DecodeError> {
    let bytes = r.rest();
    let head = bytes.get(..4).unwrap_or(bytes);
    if head.is_empty() || head.iter().all(|&b| b == 0xFF) || head.iter().all(|&b| b == 0) {
        return Err(DecodeError::Empty);
    }
    if head != MAGIC.get(..head.len()).unwrap_or(&MAGIC) {
        return Err(DecodeError::WrongMagic);
    }
    r.take(4)?;
    let version = r.varint_u16()?;
    if !(super::OLDEST_VERSION..=super::VERSION).contains(&version) {
        return Err(DecodeError::UnsupportedVersion { found: version });
    }
    Ok(version)
}
