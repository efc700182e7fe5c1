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

    /// The layers over weights laid out one after another at the start of `data`, as a model
    /// file's data section holds f32 layers (per layer its kernel, row-major, then its bias),
    /// and the rest of `data`; `None` when `data` is too short. On an array of a length known at
    /// compile time every offset is a constant: a network kept as one reference to its data
    /// section builds its layers with no pointer read per layer.
    fn split(data: &'a [f32]) -> Option<(Self, &'a [f32])>;
}

impl<'a, const IN: usize, const OUT: usize, A: Act> LayersRef<'a, IN> for DenseRef<'a, IN, OUT, A> {
    type Output = [f32; OUT];
    const DEPTH: usize = 1;

    #[inline(always)]
    fn forward(&self, x: &[f32; IN]) -> [f32; OUT] {
        kernel::layer::<IN, OUT, A>(x, self.kernel, self.bias)
    }

    fn view(layers: &mut impl Iterator<Item = LayerView<'a>>) -> Result<Self, DecodeError> {
        DenseRef::view(&layers.next().ok_or(DecodeError::ArchitectureMismatch)?)
    }

    #[inline(always)]
    fn split(data: &'a [f32]) -> Option<(Self, &'a [f32])> {
        if IN == 0 {
            return None;
        }
        let (kernel, rest) = data.split_at_checked(IN * OUT)?;
        let (bias, rest) = rest.split_first_chunk::<OUT>()?;
        let (rows, []) = kernel.as_chunks::<IN>() else {
            return None;
        };
        Some((DenseRef::new(rows.try_into().ok()?, bias), rest))
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

    #[inline(always)]
    fn split(data: &'a [f32]) -> Option<(Self, &'a [f32])> {
        let (first, rest) = <DenseRef<'a, IN, MID, A> as LayersRef<'a, IN>>::split(data)?;
        let (rest, data) = Rest::split(rest)?;
        Some((ChainRef::new(first, rest), data))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::act::{Relu, Softmax, Tanh};
    use crate::format::{LayerRef, LayerSpec, ModelRef, ModelView};
    use crate::Activation;
    use std::vec;
    use std::vec::Vec;

    type Layers<'a> =
        ChainRef<'a, 3, 4, Relu, ChainRef<'a, 4, 5, Tanh, DenseRef<'a, 5, 2, Softmax>>>;

    #[test]
    fn split_finds_the_same_weights_as_the_layer_headers() {
        let widths = [
            (4u16, Activation::Relu),
            (5, Activation::Tanh),
            (2, Activation::Softmax),
        ];
        let mut fan_in = 3;
        let mut next = 0.0f32;
        let params: Vec<(Vec<f32>, Vec<f32>)> = widths
            .iter()
            .map(|&(units, _)| {
                let units = usize::from(units);
                let mut values = |n: usize| -> Vec<f32> {
                    (0..n)
                        .map(|_| {
                            next += 0.25;
                            next
                        })
                        .collect()
                };
                let layer = (values(units * fan_in), values(units));
                fan_in = units;
                layer
            })
            .collect();
        let layers: Vec<LayerRef<'_>> = widths
            .iter()
            .zip(&params)
            .map(|(&(units, activation), (kernel, bias))| LayerRef {
                spec: LayerSpec {
                    units,
                    activation,
                    name: "d",
                },
                kernel,
                bias,
            })
            .collect();
        let model = ModelRef {
            input: 3,
            mean: &[0.5; 3],
            std: &[2.0; 3],
            layers: &layers,
            ..ModelRef::default()
        };
        let len = model.encoded_len().expect("valid model");
        // Words, so the file is 4-byte aligned and its weights can be read in place.
        let mut words = vec![0u32; len.div_ceil(4)];
        let bytes = &mut bytemuck::cast_slice_mut::<u32, u8>(&mut words)[..len];
        model.encode(bytes).expect("sized by encoded_len");
        let view = ModelView::from_bytes(bytes).expect("valid model");

        let mut headers = view.layers();
        let viewed = Layers::view(&mut headers).expect("same architecture");
        let data = view.data().as_slice().expect("aligned");
        let (split, rest) = Layers::split(&data[6..]).expect("long enough");
        assert!(rest.is_empty(), "{} words left", rest.len());
        let pairs = [
            (
                viewed.first.kernel.as_flattened(),
                split.first.kernel.as_flattened(),
            ),
            (viewed.first.bias.as_slice(), split.first.bias.as_slice()),
            (
                viewed.rest.first.kernel.as_flattened(),
                split.rest.first.kernel.as_flattened(),
            ),
            (
                viewed.rest.rest.bias.as_slice(),
                split.rest.rest.bias.as_slice(),
            ),
        ];
        for (a, b) in pairs {
            assert!(core::ptr::eq(a, b), "the same words, in place");
        }
        assert_eq!(split.rest.rest.bias, &[13.0, 13.25]);
        // Too short by one word: no layers.
        assert!(Layers::split(&data[6..data.len() - 1]).is_none());
    }
}
