//! Int8 layers kept as one reference to their words in a model file: the layer's arrays and
//! parameters are found at offsets fixed by its widths on each pass, so a network read in place
//! from a flash region holds one thin pointer per layer.
//!
//! [`Int8DenseRef`] keeps four array references, three quantizations and the activation's
//! parameters per layer: 60 bytes on a 32-bit target, 600 for a ten-layer network, in the RAM
//! of whoever holds the network value. [`Int8WordsRef`] keeps 4 bytes, the address of the
//! layer's part of the data section (its layout is in `format/int8.rs`), and builds the
//! [`Int8DenseRef`] from it when the layer runs: with the widths and the word count constants of
//! the type, every offset and length check folds at compile time, so building it costs a few
//! loads and additions per layer; the arithmetic is the [`Int8DenseRef`]'s, the same bits.
//! [`model!`](crate::model)'s region mode makes int8 networks of these.

use crate::act::Act;
use crate::format::{DType, DecodeError, LayerView};
use crate::int8_ref::{Int8DenseRef, Int8LayersRef, Int8Params};
use crate::quant::{Dot, QuantParams, QuantizedActivation, SoftmaxParams};
use crate::Activation;
use core::marker::PhantomData;

/// Words of an int8 layer's fixed parameter block (quantizations and clamp).
const PARAM_WORDS: usize = 8;

/// The number of 4-byte words an int8 layer of `units` outputs, `fan_in` inputs and
/// `activation` takes in a model file's data section (what [`Int8WordsRef`]'s `WORDS` must be).
pub const fn int8_layer_words(units: usize, fan_in: usize, activation: Activation) -> usize {
    let extra = match activation {
        Activation::Softmax => 3,
        Activation::Sigmoid | Activation::Tanh => 64,
        // The others have no int8 form: a model file with one is refused when read.
        _ => 0,
    };
    PARAM_WORDS + 3 * units + (units * fan_in).div_ceil(4) + extra
}

/// An int8 fully connected layer from `IN` to `OUT` units with activation kind `A`, as the
/// `WORDS` words of its part of a validated model file: one reference, from which the layer
/// ([`Int8DenseRef`]) is built when it runs.
#[derive(Debug, PartialEq)]
pub struct Int8WordsRef<'a, const IN: usize, const OUT: usize, const WORDS: usize, A> {
    words: &'a [i32; WORDS],
    kind: PhantomData<A>,
}

impl<const IN: usize, const OUT: usize, const WORDS: usize, A> Clone
    for Int8WordsRef<'_, IN, OUT, WORDS, A>
{
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const OUT: usize, const WORDS: usize, A> Copy
    for Int8WordsRef<'_, IN, OUT, WORDS, A>
{
}

impl<'a, const IN: usize, const OUT: usize, const WORDS: usize, A: Act>
    Int8WordsRef<'a, IN, OUT, WORDS, A>
{
    /// Where the biases start; the multipliers and shifts follow, `OUT` words each.
    const BIAS: usize = PARAM_WORDS;
    /// Where the weights start.
    const WEIGHTS: usize = PARAM_WORDS + 3 * OUT;
    /// Where the activation's parameters start (a softmax's three words, a table's 64).
    const EXTRA: usize = Self::WEIGHTS + (IN * OUT).div_ceil(4);

    /// The layer over the parameters of `layer`, in place.
    ///
    /// # Errors
    /// As [`Int8DenseRef::view`]; [`DecodeError::ArchitectureMismatch`] also when `WORDS` is
    /// not the layer's word count ([`int8_layer_words`]).
    pub fn view(layer: &LayerView<'a>) -> Result<Self, DecodeError> {
        // Every check of the full layer, once, at start-up.
        let dense = Int8DenseRef::<'a, IN, OUT, A>::view(layer)?;
        let words = layer
            .int8
            .filter(|_| layer.dtype == DType::I8)
            .ok_or(DecodeError::UnsupportedLayer {
                dtype: layer.dtype.code(),
            })?
            .words
            .as_slice()
            .ok_or(DecodeError::Unaligned)?;
        let words: &'a [i32; WORDS] = words
            .try_into()
            .map_err(|_| DecodeError::ArchitectureMismatch)?;
        if WORDS != int8_layer_words(OUT, IN, A::ACTIVATION) {
            return Err(DecodeError::ArchitectureMismatch);
        }
        let layer = Int8WordsRef {
            words,
            kind: PhantomData,
        };
        // The layer built from the words is the one read from the file: the same arrays, in
        // place, and the same parameters.
        let same = layer.layer().is_some_and(|l| {
            core::ptr::eq(l.weights, dense.weights)
                && core::ptr::eq(l.bias, dense.bias)
                && core::ptr::eq(l.multiplier, dense.multiplier)
                && core::ptr::eq(l.shift, dense.shift)
                && l.params == dense.params
                && l.activation == dense.activation
        });
        if !same {
            return Err(DecodeError::Malformed);
        }
        Ok(layer)
    }

    /// The quantization at word `i` (a scale, then a zero point).
    #[inline(always)]
    fn quantization(&self, i: usize) -> QuantParams {
        let word = |i: usize| self.words.get(i).copied().unwrap_or_default();
        QuantParams {
            scale: f32::from_bits(word(i) as u32),
            zero_point: word(i + 1),
        }
    }

    /// The `OUT` words from `start`.
    #[inline(always)]
    fn units(&self, start: usize) -> Option<&'a [i32; OUT]> {
        self.words.get(start..start + OUT)?.try_into().ok()
    }

    /// The layer, its arrays borrowed from the words; `None` never for a layer
    /// [`view`](Self::view) accepted (the offsets are constants of the type, and the checks
    /// fold away).
    #[inline(always)]
    pub fn layer(&self) -> Option<Int8DenseRef<'a, IN, OUT, A>> {
        let words: &'a [i32] = self.words;
        let weights: &'a [i8] = bytemuck::cast_slice(words.get(Self::WEIGHTS..Self::EXTRA)?);
        let (rows, _) = weights.get(..IN * OUT)?.as_chunks::<IN>();
        let word = |i: usize| words.get(i).copied();
        let activation = match A::ACTIVATION {
            Activation::Softmax => QuantizedActivation::Softmax(SoftmaxParams {
                input_multiplier: word(Self::EXTRA)?,
                input_left_shift: word(Self::EXTRA + 1)?,
                diff_min: word(Self::EXTRA + 2)?,
            }),
            Activation::Sigmoid | Activation::Tanh => {
                let table: &'a [i8] =
                    bytemuck::cast_slice(words.get(Self::EXTRA..Self::EXTRA + 64)?);
                QuantizedActivation::Lut(table.first_chunk::<256>()?)
            }
            Activation::Linear | Activation::Relu | Activation::Relu6 => QuantizedActivation::None,
            // No int8 form: never in a file `view` accepted.
            _ => return None,
        };
        // The clamp was checked to be int8 when the file was read, and `view` checked these
        // conversions against it: no test on each pass.
        let clamp = |i: usize| word(i).map(|v| v as i8);
        Some(Int8DenseRef::new(
            rows.try_into().ok()?,
            self.units(Self::BIAS)?,
            self.units(Self::BIAS + OUT)?,
            self.units(Self::BIAS + 2 * OUT)?,
            Int8Params {
                input: self.quantization(0),
                output: self.quantization(2),
                activation_output: self.quantization(6),
                activation_min: clamp(4)?,
                activation_max: clamp(5)?,
            },
            activation,
        ))
    }
}

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

impl<'a, const IN: usize, const OUT: usize, const WORDS: usize, A: Act> Int8LayersRef<'a, IN, OUT>
    for Int8WordsRef<'a, IN, OUT, WORDS, A>
{
    const DEPTH: usize = 1;
    const WIDTH: usize = max(IN, OUT);

    #[inline(always)]
    fn forward_alternating<D: Dot>(&self, a: &mut [i8], b: &mut [i8]) {
        if let Some(layer) = self.layer() {
            layer.forward_alternating::<D>(a, b);
        }
    }

    #[inline(always)]
    fn forward_into<D: Dot>(&self, x: &[i8; IN], out: &mut [i8; OUT]) {
        if let Some(layer) = self.layer() {
            Int8LayersRef::forward_into::<D>(&layer, x, out);
        }
    }

    fn input_quantization(&self) -> QuantParams {
        self.quantization(0)
    }

    fn output_quantization(&self) -> QuantParams {
        self.quantization(6)
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        Int8WordsRef::view(&layers.next().ok_or(DecodeError::ArchitectureMismatch)?)
    }
}

/// An [`Int8WordsRef`] layer from `IN` to `MID` units with activation kind `A`, followed by
/// `Rest`.
#[derive(Debug, PartialEq)]
pub struct Int8WordsChainRef<'a, const IN: usize, const MID: usize, const WORDS: usize, A, Rest> {
    /// The first layer.
    pub first: Int8WordsRef<'a, IN, MID, WORDS, A>,
    /// The layers after it.
    pub rest: Rest,
}

impl<const IN: usize, const MID: usize, const WORDS: usize, A, Rest: Copy> Clone
    for Int8WordsChainRef<'_, IN, MID, WORDS, A, Rest>
{
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const MID: usize, const WORDS: usize, A, Rest: Copy> Copy
    for Int8WordsChainRef<'_, IN, MID, WORDS, A, Rest>
{
}

impl<'a, const IN: usize, const MID: usize, const WORDS: usize, A, Rest>
    Int8WordsChainRef<'a, IN, MID, WORDS, A, Rest>
{
    /// Chains `first` and `rest`.
    pub const fn new(first: Int8WordsRef<'a, IN, MID, WORDS, A>, rest: Rest) -> Self {
        Int8WordsChainRef { first, rest }
    }
}

impl<'a, const IN: usize, const MID: usize, const OUT: usize, const WORDS: usize, A, Rest>
    Int8LayersRef<'a, IN, OUT> for Int8WordsChainRef<'a, IN, MID, WORDS, A, Rest>
where
    A: Act,
    Rest: Int8LayersRef<'a, MID, OUT>,
{
    const DEPTH: usize = 1 + Rest::DEPTH;
    const WIDTH: usize = max(IN, Rest::WIDTH);

    #[inline(always)]
    fn forward_alternating<D: Dot>(&self, a: &mut [i8], b: &mut [i8]) {
        self.first.forward_alternating::<D>(a, b);
        self.rest.forward_alternating::<D>(b, a);
    }

    #[inline(always)]
    fn forward_into<D: Dot>(&self, x: &[i8; IN], out: &mut [i8; OUT]) {
        let mut hidden = [0i8; MID];
        self.first.forward_into::<D>(x, &mut hidden);
        self.rest.forward_into::<D>(&hidden, out);
    }

    fn input_quantization(&self) -> QuantParams {
        self.first.input_quantization()
    }

    fn output_quantization(&self) -> QuantParams {
        self.rest.output_quantization()
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        let first =
            <Int8WordsRef<'a, IN, MID, WORDS, A> as Int8LayersRef<'a, IN, MID>>::view(layers)?;
        Ok(Int8WordsChainRef::new(first, Rest::view(layers)?))
    }
}

// Tested with the int8 networks' models in `int8_ref/tests.rs`.
