//! Writing a model file from borrowed arrays, without `alloc`.

use super::{crc32, labels_fit, EncodeError, LayerSpec, MAGIC, MAX_LAYERS, VERSION};
use serde::ser::{SerializeSeq, SerializeTuple};
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
/// let model = ModelRef { input: 2, labels: "", mean: &[0.0, 0.0], std: &[1.0, 1.0], layers: &layers };
///
/// let mut bytes = vec![0u8; model.encoded_len()?];
/// model.encode(&mut bytes)?;
/// let view = ModelView::from_bytes(&bytes)?;
/// assert_eq!(view.architecture().to_string(), "2-1 sigmoid");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ModelRef<'a> {
    /// Input width.
    pub input: u16,
    /// Class names joined by `'\n'`; empty when the classes have no names.
    pub labels: &'a str,
    /// Per-feature mean subtracted from the raw inputs.
    pub mean: &'a [f32],
    /// Per-feature standard deviation the centred inputs are divided by.
    pub std: &'a [f32],
    /// The layers, input side first.
    pub layers: &'a [LayerRef<'a>],
}

impl ModelRef<'_> {
    /// The size of the model file in bytes, checksum included.
    ///
    /// # Errors
    /// The same as [`encode`](Self::encode), but for [`EncodeError::BufferTooSmall`].
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        self.validate()?;
        postcard::serialize_with_flavor(self, postcard::ser_flavors::Size::default())
            .map(|n| n + 4)
            .map_err(|_| EncodeError::InvalidShape)
    }

    /// Writes the model file into `out` and returns the number of bytes written.
    ///
    /// # Errors
    /// [`EncodeError`] when the model is inconsistent or `out` is too small; `out` may then hold
    /// a partial write, never a valid model.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        self.validate()?;
        let body_len = postcard::to_slice(self, out)
            .map_err(|_| EncodeError::BufferTooSmall)?
            .len();
        let crc = crc32(out.get(..body_len).ok_or(EncodeError::BufferTooSmall)?);
        let trailer = out
            .get_mut(body_len..body_len + 4)
            .ok_or(EncodeError::BufferTooSmall)?;
        trailer.copy_from_slice(&crc.to_le_bytes());
        Ok(body_len + 4)
    }

    /// Checks shapes, finiteness, standardization and labels: a model file is never written
    /// that the decoder would refuse.
    fn validate(&self) -> Result<(), EncodeError> {
        let input = usize::from(self.input);
        if input == 0 || self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
            return Err(EncodeError::InvalidShape);
        }
        if self.mean.len() != input || self.std.len() != input {
            return Err(EncodeError::InvalidShape);
        }
        let mut fan_in = input;
        for layer in self.layers {
            let units = usize::from(layer.spec.units);
            if units == 0 || layer.kernel.len() != units * fan_in || layer.bias.len() != units {
                return Err(EncodeError::InvalidShape);
            }
            fan_in = units;
        }
        let all = self
            .layers
            .iter()
            .flat_map(|l| l.kernel.iter().chain(l.bias));
        if !all.chain(self.mean).chain(self.std).all(|v| v.is_finite()) {
            return Err(EncodeError::NonFinite);
        }
        if self.std.iter().any(|&s| s <= 0.0) {
            return Err(EncodeError::InvalidNormalization);
        }
        let output = self.layers.last().map_or(0, |l| l.spec.units);
        if !labels_fit(self.labels.as_bytes(), output) {
            return Err(EncodeError::InvalidLabels);
        }
        Ok(())
    }
}

/// Serializes as the tuple of fields described in [the format](super).
impl Serialize for ModelRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(8)?;
        t.serialize_element(&MAGIC)?;
        t.serialize_element(&VERSION)?;
        t.serialize_element(&self.input)?;
        t.serialize_element(&Specs(self.layers))?;
        t.serialize_element(self.labels)?;
        t.serialize_element(&FloatBytes(self.mean))?;
        t.serialize_element(&FloatBytes(self.std))?;
        t.serialize_element(&Params(self.layers))?;
        t.end()
    }
}

/// The layers' headers, as `seq<LayerSpec>`.
struct Specs<'a>(&'a [LayerRef<'a>]);

impl Serialize for Specs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|l| &l.spec))
    }
}

/// The layers' weights, as `seq<(bytes, bytes)>`.
struct Params<'a>(&'a [LayerRef<'a>]);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|l| (FloatBytes(l.kernel), FloatBytes(l.bias))),
        )
    }
}

/// Floats written as a postcard byte string: a sequence of `u8` is the same bytes on the wire
/// (postcard writes a `u8` as itself), and needs no buffer to assemble.
struct FloatBytes<'a>(&'a [f32]);

impl Serialize for FloatBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len() * 4))?;
        for byte in self.0.iter().flat_map(|v| v.to_le_bytes()) {
            seq.serialize_element(&byte)?;
        }
        seq.end()
    }
}
