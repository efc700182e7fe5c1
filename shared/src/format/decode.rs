//! Reading and validating a model file, without `alloc`: the view borrows from the bytes.

use super::{
    crc32, labels_fit, Architecture, DecodeError, F32s, LayerSpec, MAGIC, MAX_LAYERS, VERSION,
};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

/// A validated model file, borrowed from its bytes.
///
/// Holding a `ModelView` means every check has passed: magic, version, structure, checksum,
/// shapes, finite values, positive `std`, labels.
#[derive(Clone, Debug)]
pub struct ModelView<'a> {
    body: Body<'a>,
    crc: u32,
    len: usize,
}

/// One layer of a [`ModelView`]: its header and its weights.
#[derive(Clone, Copy, Debug)]
pub struct LayerView<'a> {
    /// Width, activation and name.
    pub spec: LayerSpec<'a>,
    /// `units × fan_in` weights, row-major.
    pub kernel: F32s<'a>,
    /// `units` biases.
    pub bias: F32s<'a>,
}

/// The fields of a model file before its checksum; see [the format](super).
#[derive(Clone, Debug, Deserialize)]
struct Body<'a> {
    magic: [u8; 4],
    version: u16,
    input: u16,
    #[serde(borrow)]
    layers: heapless::Vec<LayerSpec<'a>, MAX_LAYERS>,
    labels: &'a str,
    #[serde(borrow)]
    mean: Floats<'a>,
    #[serde(borrow)]
    std: Floats<'a>,
    #[serde(borrow)]
    params: heapless::Vec<(Floats<'a>, Floats<'a>), MAX_LAYERS>,
}

/// What is read before anything else, to tell "not a model" and "too new" apart from damage.
#[derive(Deserialize)]
struct Preamble {
    magic: [u8; 4],
    version: u16,
}

/// Floats as a borrowed postcard byte string.
#[derive(Clone, Copy, Debug)]
struct Floats<'a>(F32s<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Floats<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = <&'a [u8]>::deserialize(d)?;
        if bytes.len() % 4 != 0 {
            return Err(D::Error::custom(
                "float array length is not a multiple of 4",
            ));
        }
        Ok(Floats(F32s(bytes)))
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
        check_preamble(bytes)?;
        let (body, rest) = postcard::take_from_bytes::<Body<'a>>(bytes).map_err(from_postcard)?;
        let body_len = bytes.len() - rest.len();
        let stored = match rest {
            [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]),
            _ => return Err(DecodeError::Truncated),
        };
        let computed = bytes.get(..body_len).map_or(0, crc32);
        if stored != computed {
            return Err(DecodeError::CrcMismatch { stored, computed });
        }
        body.validate()?;
        Ok(ModelView {
            body,
            crc: stored,
            len: body_len + 4,
        })
    }

    /// Input width.
    pub fn input(&self) -> u16 {
        self.body.input
    }

    /// The layers, input side first.
    pub fn layers(&self) -> impl ExactSizeIterator<Item = LayerView<'a>> + '_ {
        self.body
            .layers
            .iter()
            .zip(&self.body.params)
            .map(|(spec, (kernel, bias))| LayerView {
                spec: *spec,
                kernel: kernel.0,
                bias: bias.0,
            })
    }

    /// The architecture: input width, each layer's width and activation.
    pub fn architecture(&self) -> Architecture {
        let mut layers = heapless::Vec::new();
        for spec in &self.body.layers {
            // Cannot overflow: both vectors hold at most MAX_LAYERS.
            let _ = layers.push((spec.units, spec.activation));
        }
        Architecture {
            input: self.body.input,
            layers,
        }
    }

    /// Per-feature means of the standardization.
    pub fn mean(&self) -> F32s<'a> {
        self.body.mean.0
    }

    /// Per-feature standard deviations of the standardization.
    pub fn std(&self) -> F32s<'a> {
        self.body.std.0
    }

    /// Class names joined by `'\n'`, empty when the classes have no names.
    pub fn labels(&self) -> &'a str {
        self.body.labels
    }

    /// The class names, one per class, when the model has them.
    pub fn classes(&self) -> impl Iterator<Item = &'a str> {
        let labels = self.body.labels;
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
}

fn check_preamble(bytes: &[u8]) -> Result<(), DecodeError> {
    let head = bytes.get(..4).unwrap_or(bytes);
    if head.is_empty() || head.iter().all(|&b| b == 0xFF) || head.iter().all(|&b| b == 0) {
        return Err(DecodeError::Empty);
    }
    if head != MAGIC.get(..head.len()).unwrap_or(&MAGIC) {
        return Err(DecodeError::WrongMagic);
    }
    let (pre, _) = postcard::take_from_bytes::<Preamble>(bytes).map_err(from_postcard)?;
    if pre.version != VERSION {
        return Err(DecodeError::UnsupportedVersion { found: pre.version });
    }
    debug_assert_eq!(pre.magic, MAGIC);
    Ok(())
}

fn from_postcard(e: postcard::Error) -> DecodeError {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated,
        _ => DecodeError::Malformed,
    }
}

impl Body<'_> {
    fn validate(&self) -> Result<(), DecodeError> {
        let input = usize::from(self.input);
        let shaped = input > 0
            && !self.layers.is_empty()
            && self.layers.len() == self.params.len()
            && self.mean.0.len() == input
            && self.std.0.len() == input
            && self.magic == MAGIC
            && self.version == VERSION;
        if !shaped {
            return Err(DecodeError::Malformed);
        }
        let mut fan_in = input;
        for (spec, (kernel, bias)) in self.layers.iter().zip(&self.params) {
            let units = usize::from(spec.units);
            if units == 0 || kernel.0.len() != units * fan_in || bias.0.len() != units {
                return Err(DecodeError::Malformed);
            }
            fan_in = units;
        }
        let output = self.layers.last().map_or(0, |l| l.units);
        if !labels_fit(self.labels, output) {
            return Err(DecodeError::Malformed);
        }
        let mut floats = self
            .params
            .iter()
            .flat_map(|(k, b)| k.0.iter().chain(b.0.iter()));
        let norm_finite = self
            .mean
            .0
            .iter()
            .chain(self.std.0.iter())
            .all(f32::is_finite);
        if !norm_finite || !floats.all(f32::is_finite) {
            return Err(DecodeError::NonFinite);
        }
        if self.std.0.iter().any(|s| s <= 0.0) {
            return Err(DecodeError::InvalidNormalization);
        }
        Ok(())
    }
}
