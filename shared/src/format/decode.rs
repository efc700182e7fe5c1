//! Reading and validating a model file, without `alloc`: the view borrows from the bytes.
//!
//! The file is written with postcard (see [`ModelRef`](super::ModelRef)) and read here with
//! [`Reader`], a hand-written reader of postcard's wire format: on the target it costs a
//! fraction of the flash and stack of serde's generic decoder. Property tests check that every
//! file the encoder writes reads back field for field.

use super::{crc32, labels_fit, Architecture, DecodeError, F32s, LayerSpec, MAGIC, MAX_LAYERS};
use crate::wire::{Reader, WireError};
use crate::Activation;

/// A validated model file, borrowed from its bytes.
///
/// Holding a `ModelView` means every check has passed: magic, version, structure, checksum,
/// shapes, finite values, positive `std`, labels.
#[derive(Clone, Copy, Debug)]
pub struct ModelView<'a> {
    input: u16,
    layer_count: usize,
    /// The layer headers, from the first one on (their count already read).
    specs: &'a [u8],
    /// Class names joined by `'\n'`, checked to be UTF-8.
    labels: &'a [u8],
    mean: F32s<'a>,
    std: F32s<'a>,
    /// The layers' weights, from the first kernel on (their count already read).
    params: &'a [u8],
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
    /// The name, checked to be UTF-8; see [`name`](Self::name).
    name: &'a [u8],
    /// `units × fan_in` weights, row-major.
    pub kernel: F32s<'a>,
    /// `units` biases.
    pub bias: F32s<'a>,
}

/// The layers of a [`ModelView`], input side first.
#[derive(Clone, Debug)]
pub struct LayerViews<'a> {
    specs: Reader<'a>,
    params: Reader<'a>,
    remaining: usize,
}

impl<'a> Iterator for LayerViews<'a> {
    type Item = LayerView<'a>;

    fn next(&mut self) -> Option<LayerView<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        // Cannot fail: the view validated these bytes.
        layer(&mut self.specs, &mut self.params).ok()
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

fn layer<'a>(specs: &mut Reader<'a>, params: &mut Reader<'a>) -> Result<LayerView<'a>, WireError> {
    let units = specs.varint_u16()?;
    let index = usize::try_from(specs.varint_u32()?).map_err(|_| WireError::Invalid)?;
    let activation = *Activation::ALL.get(index).ok_or(WireError::Invalid)?;
    let name = specs.str_bytes()?;
    Ok(LayerView {
        units,
        activation,
        name,
        kernel: floats(params)?,
        bias: floats(params)?,
    })
}

fn floats<'a>(r: &mut Reader<'a>) -> Result<F32s<'a>, WireError> {
    let bytes = r.bytes()?;
    if bytes.len() % 4 == 0 {
        Ok(F32s(bytes))
    } else {
        Err(WireError::Invalid)
    }
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
        preamble(&mut r)?;
        let input = r.varint_u16()?;
        let layer_count = r.len(MAX_LAYERS)?;
        let specs = r.rest();
        for _ in 0..layer_count {
            r.varint_u16()?;
            r.varint_u32()?;
            r.str_bytes()?;
        }
        let labels = r.str_bytes()?;
        let (mean, std) = (floats(&mut r)?, floats(&mut r)?);
        if r.len(MAX_LAYERS)? != layer_count {
            return Err(DecodeError::Malformed);
        }
        let params = r.rest();
        for _ in 0..layer_count {
            floats(&mut r)?;
            floats(&mut r)?;
        }
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
            specs,
            labels,
            mean,
            std,
            params,
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

    /// The layers, input side first.
    pub fn layers(&self) -> LayerViews<'a> {
        LayerViews {
            specs: Reader(self.specs),
            params: Reader(self.params),
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

    /// Per-feature means of the standardization.
    pub fn mean(&self) -> F32s<'a> {
        self.mean
    }

    /// Per-feature standard deviations of the standardization.
    pub fn std(&self) -> F32s<'a> {
        self.std
    }

    /// Class names joined by `'\n'`, empty when the classes have no names.
    pub fn labels(&self) -> &'a str {
        // Never empty by mistake: the view checked the labels are UTF-8 (`wire::is_utf8`).
        core::str::from_utf8(self.labels).unwrap_or_default()
    }

    /// The class names, one per class, when the model has them.
    pub fn classes(&self) -> impl Iterator<Item = &'a str> {
        let labels = self.labels();
        labels.split('\n').filter(move |_| !labels.is_empty())
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

    /// The checks beyond the encoding: shapes, labels, finite values, positive `std`.
    fn validate(&self) -> Result<(), DecodeError> {
        let input = usize::from(self.input);
        if input == 0
            || self.layer_count == 0
            || self.mean.len() != input
            || self.std.len() != input
        {
            return Err(DecodeError::Malformed);
        }
        let mut fan_in = input;
        let mut finite = self.mean.iter().chain(self.std.iter()).all(f32::is_finite);
        for layer in self.layers() {
            let units = usize::from(layer.units);
            if units == 0 || layer.kernel.len() != units * fan_in || layer.bias.len() != units {
                return Err(DecodeError::Malformed);
            }
            finite &= layer
                .kernel
                .iter()
                .chain(layer.bias.iter())
                .all(f32::is_finite);
            fan_in = units;
        }
        if !labels_fit(self.labels, fan_in as u16) {
            return Err(DecodeError::Malformed);
        }
        if !finite {
            return Err(DecodeError::NonFinite);
        }
        if self.std.iter().any(|s| s <= 0.0) {
            return Err(DecodeError::InvalidNormalization);
        }
        Ok(())
    }
}

/// Magic and version, read before anything else to tell "not a model" and "too new" apart from
/// damage.
fn preamble(r: &mut Reader<'_>) -> Result<(), DecodeError> {
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
    if version != super::VERSION {
        return Err(DecodeError::UnsupportedVersion { found: version });
    }
    Ok(())
}
