//! An int8 model whose parameters are read in place: f32 standardization, TFLite's `QUANTIZE`,
//! typed int8 layers, `DEQUANTIZE`.
//!
//! [`Int8DenseRef`] is the int8 counterpart of [`DenseRef`](crate::DenseRef): its weights,
//! biases and requantization arrays are borrowed (`&'a` arrays, thin pointers), from statics
//! compiled into the program or from a model file in a flash region. Each layer runs through
//! [`QuantizedDense::forward_with`], the same function the host's int8 path
//! ([`QuantizedModel`](crate::quant::QuantizedModel)) runs, so both compute the same bits. The
//! inner products come from a [`Dot`] kernel: [`Scalar`] unless a target plugs in its own.

use crate::act::Act;
use crate::format::{DType, DecodeError, LayerView, ModelView};
use crate::kernel;
use crate::quant::{
    dequantize_all, quantize, quantize_all, Dot, QuantParams, QuantizedActivation, QuantizedDense,
    Requantize, Scalar,
};
use core::marker::PhantomData;

/// The scalar parameters of an int8 layer: its quantizations and the fused activation's clamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Int8Params {
    /// The input's quantization (the zero point enters the sums).
    pub input: QuantParams,
    /// The fully-connected output's quantization (its zero point is added after scaling).
    pub output: QuantParams,
    /// The quantization after the activation: the layer's output tensor (equal to `output`
    /// without a softmax, sigmoid or tanh).
    pub activation_output: QuantParams,
    /// The lowest output value: -128, or the quantized 0 of a fused relu.
    pub activation_min: i8,
    /// The highest output value: 127, or the quantized 6 of a fused relu6.
    pub activation_max: i8,
}

/// An int8 fully connected layer from `IN` to `OUT` units, whose activation has the kind `A`
/// (its parameters, a softmax's or a table, are data), with its arrays borrowed for `'a`.
///
/// # Shapes
/// Input `[i8; IN]`, output `[i8; OUT]`; `weights[j]` holds the weights into unit `j`; one
/// bias, multiplier and shift per unit (a per-tensor scaling repeated).
#[derive(Debug, PartialEq)]
pub struct Int8DenseRef<'a, const IN: usize, const OUT: usize, A> {
    /// Symmetric int8 weights, one row per unit.
    pub weights: &'a [[i8; IN]; OUT],
    /// int32 biases, in units of `input_scale · weight_scale`.
    pub bias: &'a [i32; OUT],
    /// Q0.31 significands of each unit's output scaling.
    pub multiplier: &'a [i32; OUT],
    /// Their power-of-two exponents.
    pub shift: &'a [i32; OUT],
    /// Quantizations and clamp.
    pub params: Int8Params,
    /// What follows the fully-connected step: nothing, TFLite's softmax, or a table.
    pub activation: QuantizedActivation<'a>,
    kind: PhantomData<A>,
}

impl<const IN: usize, const OUT: usize, A> Clone for Int8DenseRef<'_, IN, OUT, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const OUT: usize, A> Copy for Int8DenseRef<'_, IN, OUT, A> {}

impl<'a, const IN: usize, const OUT: usize, A: Act> Int8DenseRef<'a, IN, OUT, A> {
    /// The layer over its arrays (statics in flash, for a model compiled in).
    pub const fn new(
        weights: &'a [[i8; IN]; OUT],
        bias: &'a [i32; OUT],
        multiplier: &'a [i32; OUT],
        shift: &'a [i32; OUT],
        params: Int8Params,
        activation: QuantizedActivation<'a>,
    ) -> Self {
        Int8DenseRef {
            weights,
            bias,
            multiplier,
            shift,
            params,
            activation,
            kind: PhantomData,
        }
    }

    /// The layer over the parameters of `layer`, in place.
    ///
    /// # Errors
    /// [`DecodeError::UnsupportedLayer`] when the layer's weights are not int8;
    /// [`DecodeError::ArchitectureMismatch`] when its width or activation differ from this
    /// type's; [`DecodeError::Unaligned`] when its arrays are not at a 4-byte-aligned address.
    pub fn view(layer: &LayerView<'a>) -> Result<Self, DecodeError> {
        let Some(q) = layer.int8.filter(|_| layer.dtype == DType::I8) else {
            return Err(DecodeError::UnsupportedLayer {
                dtype: layer.dtype.code(),
            });
        };
        if usize::from(layer.units) != OUT
            || layer.activation != A::ACTIVATION
            || q.weights.len() != IN * OUT
            || IN == 0
        {
            return Err(DecodeError::ArchitectureMismatch);
        }
        let dense = q.dense().ok_or(DecodeError::Unaligned)?;
        let array = |s: &'a [i32]| -> Result<&'a [i32; OUT], DecodeError> {
            s.try_into().map_err(|_| DecodeError::ArchitectureMismatch)
        };
        let (rows, _) = dense.weights.as_chunks::<IN>();
        Ok(Int8DenseRef::new(
            rows.try_into()
                .map_err(|_| DecodeError::ArchitectureMismatch)?,
            array(dense.bias)?,
            array(dense.requantize.multiplier)?,
            array(dense.requantize.shift)?,
            Int8Params {
                input: q.input,
                output: q.output,
                activation_output: q.activation_output,
                activation_min: q.activation_min,
                activation_max: q.activation_max,
            },
            dense.activation,
        ))
    }

    /// The layer as dendrite-core's slice-based [`QuantizedDense`], borrowing the same arrays.
    pub fn dense(&self) -> QuantizedDense<'a> {
        QuantizedDense {
            weights: self.weights.as_flattened(),
            bias: self.bias,
            requantize: Requantize {
                input_zero_point: self.params.input.zero_point,
                output_zero_point: self.params.output.zero_point,
                multiplier: self.multiplier,
                shift: self.shift,
                activation_min: self.params.activation_min,
                activation_max: self.params.activation_max,
            },
            activation: self.activation,
        }
    }
}

/// A sequence of int8 layers from `IN` to `OUT` values: [`Int8DenseRef`] (the last layer) or
/// [`Int8ChainRef`] (a layer followed by more).
pub trait Int8LayersRef<'a, const IN: usize, const OUT: usize>: Sized + Copy {
    /// The number of layers.
    const DEPTH: usize;

    /// The widest activation the layers read or write: the input or a layer's output.
    const WIDTH: usize;

    /// Runs the layers between two buffers of at least [`WIDTH`](Self::WIDTH) values, with the
    /// inner products of `D`: the input in `a[..IN]`, each layer reads one buffer and writes
    /// the other, so the output is in `b[..OUT]` after an odd number of layers
    /// ([`DEPTH`](Self::DEPTH)) and in `a[..OUT]` after an even one. Two activations of the
    /// widest layer are all the pass holds, however deep the network. With a buffer too short
    /// for a layer, that layer and those after it write nothing.
    fn forward_alternating<D: Dot>(&self, a: &mut [i8], b: &mut [i8]);

    /// Runs the layers on int8 inputs, with the inner products of `D`, writing the last
    /// layer's outputs into `out`. Each layer writes straight into the next one's input (one
    /// array per layer output on the stack, nothing copied between layers).
    fn forward_into<D: Dot>(&self, x: &[i8; IN], out: &mut [i8; OUT]);

    /// [`forward_into`](Self::forward_into), the outputs returned.
    #[inline(always)]
    fn forward<D: Dot>(&self, x: &[i8; IN]) -> [i8; OUT] {
        let mut out = [0i8; OUT];
        self.forward_into::<D>(x, &mut out);
        out
    }

    /// The first layer's input quantization.
    fn input_quantization(&self) -> QuantParams;

    /// The last layer's output quantization (after its activation).
    fn output_quantization(&self) -> QuantParams;

    /// The layers over the parameters of `layers`, one item per layer, in place.
    ///
    /// # Errors
    /// As [`Int8DenseRef::view`]; [`DecodeError::ArchitectureMismatch`] when a layer is missing.
    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError>;
}

impl<'a, const IN: usize, const OUT: usize, A: Act> Int8LayersRef<'a, IN, OUT>
    for Int8DenseRef<'a, IN, OUT, A>
{
    const DEPTH: usize = 1;
    const WIDTH: usize = max(IN, OUT);

    #[inline(always)]
    fn forward_alternating<D: Dot>(&self, a: &mut [i8], b: &mut [i8]) {
        if let (Some(x), Some(out)) = (a.get(..IN), b.get_mut(..OUT)) {
            self.dense().forward_with::<D>(x, out);
        }
    }

    #[inline(always)]
    fn forward_into<D: Dot>(&self, x: &[i8; IN], out: &mut [i8; OUT]) {
        self.dense().forward_with::<D>(x, out);
    }

    fn input_quantization(&self) -> QuantParams {
        self.params.input
    }

    fn output_quantization(&self) -> QuantParams {
        self.params.activation_output
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        Int8DenseRef::view(&layers.next().ok_or(DecodeError::ArchitectureMismatch)?)
    }
}

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// An [`Int8DenseRef`] layer from `IN` to `MID` units with activation kind `A`, followed by
/// `Rest`.
#[derive(Debug, PartialEq)]
pub struct Int8ChainRef<'a, const IN: usize, const MID: usize, A, Rest> {
    /// The first layer.
    pub first: Int8DenseRef<'a, IN, MID, A>,
    /// The layers after it.
    pub rest: Rest,
}

impl<const IN: usize, const MID: usize, A, Rest: Copy> Clone
    for Int8ChainRef<'_, IN, MID, A, Rest>
{
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const MID: usize, A, Rest: Copy> Copy for Int8ChainRef<'_, IN, MID, A, Rest> {}

impl<'a, const IN: usize, const MID: usize, A, Rest> Int8ChainRef<'a, IN, MID, A, Rest> {
    /// Chains `first` and `rest`.
    pub const fn new(first: Int8DenseRef<'a, IN, MID, A>, rest: Rest) -> Self {
        Int8ChainRef { first, rest }
    }
}

impl<'a, const IN: usize, const MID: usize, const OUT: usize, A, Rest> Int8LayersRef<'a, IN, OUT>
    for Int8ChainRef<'a, IN, MID, A, Rest>
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
        self.first.params.input
    }

    fn output_quantization(&self) -> QuantParams {
        self.rest.output_quantization()
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        let first = <Int8DenseRef<'a, IN, MID, A> as Int8LayersRef<'a, IN, MID>>::view(layers)?;
        Ok(Int8ChainRef::new(first, Rest::view(layers)?))
    }
}

/// An int8 model with compile-time shapes whose parameters are borrowed for `'a`: raw f32
/// inputs are standardized (in f32, as the host does), quantized (TFLite's `QUANTIZE`), run
/// through the int8 layers `L`, and dequantized (TFLite's `DEQUANTIZE`). Running it costs the
/// RAM of the int8 activations.
///
/// [`model!`](crate::model) generates a named type around it from an int8 model file.
///
/// # Examples
/// ```
/// use dendrite_core::act::{Linear, Relu};
/// use dendrite_core::quant::{quantize_multiplier, QuantParams, QuantizedActivation, Scalar};
/// use dendrite_core::{Int8ChainRef, Int8DenseRef, Int8NetworkRef, Int8Params};
///
/// const Q: QuantParams = QuantParams { scale: 0.25, zero_point: 0 };
/// const P: Int8Params = Int8Params {
///     input: Q, output: Q, activation_output: Q, activation_min: 0, activation_max: 127,
/// };
/// // 2 → 2 (relu) → 1, every multiplier 1.0 (0.25 · 1 / 0.25, weights of scale 1).
/// static W1: [[i8; 2]; 2] = [[1, 0], [0, -1]];
/// static W2: [[i8; 2]; 1] = [[1, 1]];
/// static M: [i32; 2] = [1 << 30; 2];
/// static S: [i32; 2] = [1; 2];
/// static MEAN: [f32; 2] = [0.0; 2];
/// static STD: [f32; 2] = [1.0; 2];
/// type Net = Int8NetworkRef<'static, 2, 1,
///     Int8ChainRef<'static, 2, 2, Relu, Int8DenseRef<'static, 2, 1, Linear>>>;
/// static NET: Net = Int8NetworkRef::new(&MEAN, &STD, Int8ChainRef::new(
///     Int8DenseRef::new(&W1, &[0; 2], &M, &S, P, QuantizedActivation::None),
///     Int8DenseRef::new(&W2, &[0], &[1 << 30], &[1],
///         Int8Params { activation_min: -128, ..P }, QuantizedActivation::None),
/// ));
/// // x = [1.0, 0.5] quantizes to [4, 2]; relu([4, -2]) = [4, 0]; 4 + 0 = 4 → 1.0.
/// assert_eq!(NET.predict(&[1.0, 0.5]), [1.0]);
/// assert_eq!(NET.predict_quantized(&[1.0, 0.5]), [4]);
/// assert_eq!(NET.predict_with::<Scalar>(&[1.0, 0.5]), [1.0]);
/// ```
#[derive(Debug, PartialEq)]
pub struct Int8NetworkRef<'a, const IN: usize, const OUT: usize, L> {
    mean: &'a [f32; IN],
    std: &'a [f32; IN],
    /// False when mean is 0 and std is 1 everywhere: skipping the step is then bit-exact.
    standardize: bool,
    /// The layers.
    pub layers: L,
}

impl<const IN: usize, const OUT: usize, L: Copy> Clone for Int8NetworkRef<'_, IN, OUT, L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const OUT: usize, L: Copy> Copy for Int8NetworkRef<'_, IN, OUT, L> {}

impl<'a, const IN: usize, const OUT: usize, L: Int8LayersRef<'a, IN, OUT>>
    Int8NetworkRef<'a, IN, OUT, L>
{
    /// The network over a standardization (`mean`, `std`) and `layers`.
    pub const fn new(mean: &'a [f32; IN], std: &'a [f32; IN], layers: L) -> Self {
        Int8NetworkRef {
            mean,
            std,
            standardize: kernel::standardizes(mean, std),
            layers,
        }
    }

    /// The network over the parameters of a validated int8 model file, in place.
    ///
    /// # Errors
    /// [`DecodeError::UnsupportedLayer`] when the file's layers are not int8 (an f32 model);
    /// [`DecodeError::ArchitectureMismatch`] when its input width, layer widths or activations
    /// differ from this network's; [`DecodeError::Unaligned`] when the file is not at a
    /// 4-byte-aligned address.
    pub fn view(model: &ModelView<'a>) -> Result<Self, DecodeError> {
        if let Some(l) = model.layers().find(|l| l.dtype != DType::I8) {
            return Err(DecodeError::UnsupportedLayer {
                dtype: l.dtype.code(),
            });
        }
        let (mean, std, layers) = crate::network_ref::view_parts(model, L::DEPTH, L::view)?;
        Ok(Int8NetworkRef::new(mean, std, layers))
    }

    /// Validates the int8 model file at the start of `region` (magic, version, checksum,
    /// parameters in range, architecture; what follows it is ignored) and returns the network
    /// over its parameters, in place.
    ///
    /// # Errors
    /// Why the region holds no usable model: any [`DecodeError`] but `TrailingBytes`.
    pub fn from_region(region: &'a [u8]) -> Result<Self, DecodeError> {
        Self::view(&ModelView::from_prefix(region)?)
    }

    /// The input standardization: per-input mean and standard deviation.
    pub const fn standardization(&self) -> (&'a [f32; IN], &'a [f32; IN]) {
        (self.mean, self.std)
    }

    /// The input tensor's quantization (after the standardization).
    pub fn input_quantization(&self) -> QuantParams {
        self.layers.input_quantization()
    }

    /// The output tensor's quantization.
    pub fn output_quantization(&self) -> QuantParams {
        self.layers.output_quantization()
    }

    /// Runs the int8 layers on int8 inputs (what TFLite's interpreter computes for a model with
    /// int8 input and output tensors), with the inner products of `D`.
    #[inline(always)]
    pub fn forward_quantized<D: Dot>(&self, x: &[i8; IN]) -> [i8; OUT] {
        self.layers.forward::<D>(x)
    }

    /// Standardizes and quantizes one raw input, runs the int8 layers with the inner products
    /// of `D`, and returns the int8 outputs.
    #[inline(always)]
    pub fn predict_quantized_with<D: Dot>(&self, x: &[f32; IN]) -> [i8; OUT] {
        let mut q = [0i8; IN];
        self.quantize_input(x, &mut q);
        self.layers.forward::<D>(&q)
    }

    /// TFLite's `QUANTIZE` of the standardized `x` into `q`.
    #[inline(always)]
    fn quantize_input(&self, x: &[f32; IN], q: &mut [i8]) {
        let input = self.layers.input_quantization();
        if self.standardize {
            // `kernel::standardize`'s `(x - mean) / std` fused into the quantization: the same
            // operations, without a standardized copy of the input (4·IN bytes of stack).
            let raw = x.iter().zip(self.mean.iter()).zip(self.std.iter());
            for (q, ((&v, &m), &s)) in q.iter_mut().zip(raw) {
                *q = quantize((v - m) / s, input.scale, input.zero_point);
            }
        } else {
            quantize_all(x, input, q);
        }
    }

    /// The widest activation of the pass: the length of each buffer
    /// [`predict_in`](Self::predict_in) takes.
    pub const WIDTH: usize = L::WIDTH;

    /// [`predict_with`](Self::predict_with) in two buffers of the caller, each of at least
    /// [`WIDTH`](Self::WIDTH) values, the outputs returned: [`predict_into`](Self::predict_into)
    /// into an array of this frame, which the compiler then copies to the caller's slot (4·OUT
    /// bytes of stack each); a caller that keeps the outputs calls `predict_into` with its own.
    #[inline(always)]
    pub fn predict_in<D: Dot>(&self, x: &[f32; IN], a: &mut [i8], b: &mut [i8]) -> [f32; OUT] {
        let mut out = [0.0; OUT];
        self.predict_into::<D>(x, a, b, &mut out);
        out
    }

    /// [`predict_with`](Self::predict_with) in two buffers of the caller, each of at least
    /// [`WIDTH`](Self::WIDTH) values, the dequantized outputs written into the caller's `out`:
    /// the quantized input goes into `a` and every layer writes into the buffer its input is
    /// not in, so the pass holds two activations of the widest layer, not one per layer, and no
    /// f32 output of its own (the last layer's int8 outputs are dequantized straight into
    /// `out`). The same bits; with a buffer too short it runs
    /// [`predict_quantized_with`](Self::predict_quantized_with) and dequantizes its result.
    ///
    /// [`model!`](crate::model) sizes the two buffers for its network.
    #[inline(always)]
    pub fn predict_into<D: Dot>(
        &self,
        x: &[f32; IN],
        a: &mut [i8],
        b: &mut [i8],
        out: &mut [f32; OUT],
    ) {
        let output = self.layers.output_quantization();
        if a.len() < L::WIDTH || b.len() < L::WIDTH {
            dequantize_all(&self.predict_quantized_with::<D>(x), output, out);
        } else {
            self.quantize_input(x, a);
            self.layers.forward_alternating::<D>(a, b);
            let q = if L::DEPTH % 2 == 1 { &*b } else { &*a };
            dequantize_all(q, output, out);
        }
    }

    /// [`predict_quantized_with`](Self::predict_quantized_with) with the portable kernel.
    pub fn predict_quantized(&self, x: &[f32; IN]) -> [i8; OUT] {
        self.predict_quantized_with::<Scalar>(x)
    }

    /// Runs the model on one raw input with the inner products of `D`: the int8 outputs of
    /// [`predict_quantized_with`](Self::predict_quantized_with), dequantized.
    #[inline(always)]
    pub fn predict_with<D: Dot>(&self, x: &[f32; IN]) -> [f32; OUT] {
        let q = self.predict_quantized_with::<D>(x);
        let mut out = [0.0; OUT];
        dequantize_all(&q, self.layers.output_quantization(), &mut out);
        out
    }

    /// Runs the model on one raw input with the portable kernel ([`Scalar`]).
    #[inline(always)]
    pub fn predict(&self, x: &[f32; IN]) -> [f32; OUT] {
        self.predict_with::<Scalar>(x)
    }

    /// Runs the model on each input of `inputs`, writing the outputs in order; stops at the end
    /// of the shorter slice and returns how many it ran. The same bits as one
    /// [`predict_with`](Self::predict_with) per input.
    pub fn predict_batch_with<D: Dot>(
        &self,
        inputs: &[[f32; IN]],
        outputs: &mut [[f32; OUT]],
    ) -> usize {
        let mut count = 0;
        for (x, y) in inputs.iter().zip(outputs) {
            *y = self.predict_with::<D>(x);
            count += 1;
        }
        count
    }
}

#[cfg(test)]
mod tests;
