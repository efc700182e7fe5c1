//! Typed layers that borrow their weights: the forward pass reads them in place, from flash.
//!
//! [`DenseRef`] is [`Dense`](crate::Dense) with its kernel and bias borrowed (`&'a` arrays)
//! instead of owned: a network of them costs the RAM of its activations only, whether the weights
//! are compiled into the program (statics in flash) or read from a model file in a flash region
//! ([`F32s::as_slice`](crate::format::F32s::as_slice)). The arithmetic is the same
//! [`kernel::affine`] and [`act`](crate::act) activation as the owned layers: the same bits.

use crate::act::Act;
use crate::format::{DType, DecodeError, LayerView};
use crate::kernel;
use core::marker::PhantomData;

/// A fully connected layer from `IN` to `OUT` units, followed by the activation `A`, whose
/// weights are borrowed for `'a`.
///
/// # Shapes
/// Input `[f32; IN]`, output `[f32; OUT]`, `kernel[j]` holds the weights into unit `j`.
#[derive(Debug, PartialEq)]
pub struct DenseRef<'a, const IN: usize, const OUT: usize, A> {
    /// Weights, one row per unit.
    pub kernel: &'a [[f32; IN]; OUT],
    /// Biases, one per unit.
    pub bias: &'a [f32; OUT],
    activation: PhantomData<A>,
}

// By hand: a derive would require `A: Clone`, and the markers are only types.
impl<const IN: usize, const OUT: usize, A> Clone for DenseRef<'_, IN, OUT, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const OUT: usize, A> Copy for DenseRef<'_, IN, OUT, A> {}

impl<'a, const IN: usize, const OUT: usize, A: Act> DenseRef<'a, IN, OUT, A> {
    /// The layer over `kernel` and `bias` (statics in flash, for a model compiled in).
    pub const fn new(kernel: &'a [[f32; IN]; OUT], bias: &'a [f32; OUT]) -> Self {
        DenseRef {
            kernel,
            bias,
            activation: PhantomData,
        }
    }

    /// The layer over the weights of `layer`, in place.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureMismatch`] when the layer's width or activation differ from
    /// this type's; [`DecodeError::UnsupportedLayer`] when its weights are not `f32`; [`DecodeError::Unaligned`] when its weights are not at a 4-byte-aligned
    /// address (they cannot be read in place).
    pub fn view(layer: &LayerView<'a>) -> Result<Self, DecodeError> {
        if layer.dtype != DType::F32 {
            return Err(DecodeError::UnsupportedLayer {
                dtype: layer.dtype.code(),
            });
        }
        if usize::from(layer.units) != OUT
            || layer.activation != A::ACTIVATION
            || layer.kernel.len() != IN * OUT
            || IN == 0
        {
            return Err(DecodeError::ArchitectureMismatch);
        }
        let kernel = layer.kernel.as_slice().ok_or(DecodeError::Unaligned)?;
        let bias = layer.bias.as_slice().ok_or(DecodeError::Unaligned)?;
        let (rows, _) = kernel.as_chunks::<IN>();
        Ok(DenseRef::new(
            rows.try_into()
                .map_err(|_| DecodeError::ArchitectureMismatch)?,
            bias.try_into()
                .map_err(|_| DecodeError::ArchitectureMismatch)?,
        ))
    }
}

/// A sequence of borrowed layers taking `IN` inputs: [`DenseRef`] (the last layer) or
/// [`ChainRef`] (a layer followed by more).
pub trait LayersRef<'a, const IN: usize>: Sized + Copy {
    /// The output of the last layer, `[f32; OUT]`.
    type Output: AsRef<[f32]> + AsMut<[f32]> + Copy;

    /// The number of layers.
    const DEPTH: usize;

    /// Runs the layers on `x`.
    fn forward(&self, x: &[f32; IN]) -> Self::Output;

    /// The layers over the weights of `layers`, one item per layer, in place.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureMismatch`] when a layer is missing or differs from this
    /// type's; [`DecodeError::Unaligned`] when weights are not 4-byte aligned in memory.
    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError>;
}

impl<'a, const IN: usize, const OUT: usize, A: Act> LayersRef<'a, IN> for DenseRef<'a, IN, OUT, A> {
    type Output = [f32; OUT];
    const DEPTH: usize = 1;

    #[inline(always)]
    fn forward(&self, x: &[f32; IN]) -> [f32; OUT] {
        let mut out = [0.0; OUT];
        kernel::affine(x, self.kernel.as_flattened(), self.bias, &mut out);
        A::apply(&mut out);
        out
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        DenseRef::view(&layers.next().ok_or(DecodeError::ArchitectureMismatch)?)
    }
}

/// A [`DenseRef`] layer from `IN` to `MID` units with activation `A`, followed by `Rest`.
#[derive(Debug, PartialEq)]
pub struct ChainRef<'a, const IN: usize, const MID: usize, A, Rest> {
    /// The first layer.
    pub first: DenseRef<'a, IN, MID, A>,
    /// The layers after it.
    pub rest: Rest,
}

impl<const IN: usize, const MID: usize, A, Rest: Copy> Clone for ChainRef<'_, IN, MID, A, Rest> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, const MID: usize, A, Rest: Copy> Copy for ChainRef<'_, IN, MID, A, Rest> {}

impl<'a, const IN: usize, const MID: usize, A: Act, Rest: LayersRef<'a, MID>>
    ChainRef<'a, IN, MID, A, Rest>
{
    /// Chains `first` and `rest`.
    pub const fn new(first: DenseRef<'a, IN, MID, A>, rest: Rest) -> Self {
        ChainRef { first, rest }
    }
}

impl<'a, const IN: usize, const MID: usize, A: Act, Rest: LayersRef<'a, MID>> LayersRef<'a, IN>
    for ChainRef<'a, IN, MID, A, Rest>
{
    type Output = Rest::Output;
    const DEPTH: usize = 1 + Rest::DEPTH;

    #[inline(always)]
    fn forward(&self, x: &[f32; IN]) -> Self::Output {
        let hidden = self.first.forward(x);
        self.rest.forward(&hidden)
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        let first = <DenseRef<'a, IN, MID, A> as LayersRef<'a, IN>>::view(layers)?;
        Ok(ChainRef::new(first, Rest::view(layers)?))
    }
}
