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

    /// The layer on `x`, written into `out`: [`kernel::affine`], then the activation. A chain
    /// of wide layers passes each its successor's input buffer, so no output is copied on the
    /// stack (a wide `[f32; OUT]` returned by value through inlined layers was).
    #[inline(always)]
    pub fn forward_into(&self, x: &[f32; IN], out: &mut [f32; OUT]) {
        kernel::affine(x, self.kernel.as_flattened(), self.bias, out);
        A::apply(out);
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

    /// Runs the layers on a copy of `x` that `prepare` changes in place first (the
    /// standardization). The copy is the first layer's input only: a chain ends its lifetime
    /// there, so the later layers' activations can reuse its stack (for 256 inputs, 1 KB).
    #[inline(always)]
    fn forward_prepared(
        &self,
        x: &[f32; IN],
        prepare: impl FnOnce(&mut [f32; IN]),
    ) -> Self::Output {
        let mut x = *x;
        prepare(&mut x);
        self.forward(&x)
    }

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

/// The widest hidden layer whose outputs [`ChainRef`] returns by value (a Cortex-M4F's FPU has
/// 32 single-precision registers); wider layers write theirs in place
/// ([`DenseRef::forward_into`]).
const REGISTER_WIDTH: usize = 32;

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
        // Up to `REGISTER_WIDTH` outputs, a layer's array returned by value is kept in the FPU's
        // registers once the layer is unrolled; a wider one stays in memory, where returning it
        // by value copied it into a second array on the stack (512 bytes for a 128-unit layer),
        // so it is written in place into its successor's input instead. The same arithmetic,
        // the same bits, either way; the width is a constant, so one branch is compiled.
        if MID <= REGISTER_WIDTH {
            let hidden = self.first.forward(x);
            self.rest.forward(&hidden)
        } else {
            let mut hidden = [0.0; MID];
            self.first.forward_into(x, &mut hidden);
            self.rest.forward(&hidden)
        }
    }

    #[inline(always)]
    fn forward_prepared(
        &self,
        x: &[f32; IN],
        prepare: impl FnOnce(&mut [f32; IN]),
    ) -> Self::Output {
        // As `forward`, with the prepared copy of `x` scoped to the first layer.
        if MID <= REGISTER_WIDTH {
            let hidden = {
                let mut x = *x;
                prepare(&mut x);
                self.first.forward(&x)
            };
            self.rest.forward(&hidden)
        } else {
            let mut hidden = [0.0; MID];
            {
                let mut x = *x;
                prepare(&mut x);
                self.first.forward_into(&x, &mut hidden);
            }
            self.rest.forward(&hidden)
        }
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

    /// `IN` → `MID` relu → 3 softmax, the layers chained, and the same two layers run one
    /// after the other by hand: the same bits whichever way the chain passes the hidden layer.
    fn chained_equals_stepwise<const IN: usize, const MID: usize>() {
        let kernel1: Vec<[f32; IN]> = (0..MID)
            .map(|j| core::array::from_fn(|i| ((i * 7 + j * 3) % 11) as f32 * 0.1 - 0.5))
            .collect();
        let bias1: [f32; MID] = core::array::from_fn(|j| j as f32 * 0.01);
        let kernel2: Vec<[f32; MID]> = (0..3)
            .map(|j| core::array::from_fn(|i| ((i * 5 + j) % 13) as f32 * 0.05 - 0.3))
            .collect();
        let bias2 = [0.1, -0.2, 0.3];
        let first = DenseRef::<IN, MID, Relu>::new(kernel1.as_slice().try_into().unwrap(), &bias1);
        let last = DenseRef::<MID, 3, Softmax>::new(kernel2.as_slice().try_into().unwrap(), &bias2);
        let chain = ChainRef::new(first, last);
        let x: [f32; IN] = core::array::from_fn(|i| (i as f32 * 0.37).sin());
        let mut hidden = [0.0; MID];
        first.forward_into(&x, &mut hidden);
        let want = last.forward(&hidden);
        assert_eq!(chain.forward(&x).map(f32::to_bits), want.map(f32::to_bits));
        assert_eq!(
            LayersRef::forward(&first, &x).map(f32::to_bits),
            hidden.map(f32::to_bits)
        );
    }

    #[test]
    fn narrow_and_wide_hidden_layers_give_the_same_bits() {
        chained_equals_stepwise::<5, 8>();
        chained_equals_stepwise::<5, { REGISTER_WIDTH }>();
        chained_equals_stepwise::<9, { REGISTER_WIDTH + 1 }>();
        chained_equals_stepwise::<16, 128>();
    }
}
