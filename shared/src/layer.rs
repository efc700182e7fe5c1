//! Networks whose shapes are types: the target's compile-time view of a model.
//!
//! A network is a chain of [`Dense`] layers: `Chain<3, 4, Relu, Dense<4, 2, Softmax>>` is
//! 3 → 4 (relu) → 2 (softmax). Each link states its input and output widths as const parameters
//! and its activation as a type, so a chain whose widths do not meet does not compile, the
//! forward pass can neither fail nor index out of bounds, and only the activations used are
//! linked.

use crate::act::Act;
use crate::format::{DecodeError, LayerView};
use crate::kernel;
use core::marker::PhantomData;

/// A fully connected layer with compile-time widths, followed by the activation `A`
/// (an [`act`](crate::act) marker type).
///
/// # Shapes
/// Input `[f32; IN]`, output `[f32; OUT]`, `kernel[j]` holds the weights into unit `j`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<const IN: usize, const OUT: usize, A> {
    /// Weights, one row per unit.
    pub kernel: [[f32; IN]; OUT],
    /// Biases, one per unit.
    pub bias: [f32; OUT],
    activation: PhantomData<A>,
}

impl<const IN: usize, const OUT: usize, A: Act> Dense<IN, OUT, A> {
    /// A layer with all weights zero: a slot to [load](Layers::load) a model file into.
    pub const fn zeroed() -> Self {
        Dense {
            kernel: [[0.0; IN]; OUT],
            bias: [0.0; OUT],
            activation: PhantomData,
        }
    }
}

/// A sequence of layers taking `IN` inputs. Implemented by [`Dense`] (the last layer) and by
/// [`Chain`] (a layer followed by more).
pub trait Layers<const IN: usize> {
    /// The output of the last layer, `[f32; OUT]`.
    type Output: AsRef<[f32]> + AsMut<[f32]> + Copy;

    /// The number of layers.
    const DEPTH: usize;

    /// Runs the layers on `x`.
    fn forward(&self, x: &[f32; IN]) -> Self::Output;

    /// Whether `layers` (from a validated model file) has exactly these widths and activations.
    /// Consumes one item per layer.
    fn matches<'a>(&self, layers: &mut impl Iterator<Item = LayerView<'a>>) -> bool;

    /// Copies the weights of `layers`, one item per layer, after [`matches`](Self::matches)
    /// said yes.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureMismatch`] when a layer is missing or its arrays have the
    /// wrong length.
    fn load<'a>(
        &mut self,
        layers: &mut impl Iterator<Item = LayerView<'a>>,
    ) -> Result<(), DecodeError>;
}

impl<const IN: usize, const OUT: usize, A: Act> Layers<IN> for Dense<IN, OUT, A> {
    type Output = [f32; OUT];
    const DEPTH: usize = 1;

    #[inline(always)]
    fn forward(&self, x: &[f32; IN]) -> [f32; OUT] {
        kernel::layer::<IN, OUT, A>(x, &self.kernel, &self.bias)
    }

    fn matches<'a>(&self, layers: &mut impl Iterator<Item = LayerView<'a>>) -> bool {
        layers.next().is_some_and(|l| {
            usize::from(l.units) == OUT
                && l.activation == A::ACTIVATION
                && l.kernel.len() == IN * OUT
        })
    }

    fn load<'a>(
        &mut self,
        layers: &mut impl Iterator<Item = LayerView<'a>>,
    ) -> Result<(), DecodeError> {
        let layer = layers.next().ok_or(DecodeError::ArchitectureMismatch)?;
        layer.kernel.copy_to(self.kernel.as_flattened_mut())?;
        layer.bias.copy_to(&mut self.bias)
    }
}

/// A [`Dense`] layer from `IN` to `MID` units with activation `A`, followed by the layers `Rest`.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain<const IN: usize, const MID: usize, A, Rest: Layers<MID>> {
    /// The first layer.
    pub first: Dense<IN, MID, A>,
    /// The layers after it.
    pub rest: Rest,
}

impl<const IN: usize, const MID: usize, A: Act, Rest: Layers<MID>> Chain<IN, MID, A, Rest> {
    /// Chains `first` and `rest`.
    pub const fn new(first: Dense<IN, MID, A>, rest: Rest) -> Self {
        Chain { first, rest }
    }
}

impl<const IN: usize, const MID: usize, A: Act, Rest: Layers<MID>> Layers<IN>
    for Chain<IN, MID, A, Rest>
{
    type Output = Rest::Output;
    const DEPTH: usize = 1 + Rest::DEPTH;

    #[inline(always)]
    fn forward(&self, x: &[f32; IN]) -> Self::Output {
        let hidden = self.first.forward(x);
        self.rest.forward(&hidden)
    }

    fn matches<'a>(&self, layers: &mut impl Iterator<Item = LayerView<'a>>) -> bool {
        self.first.matches(layers) && self.rest.matches(layers)
    }

    fn load<'a>(
        &mut self,
        layers: &mut impl Iterator<Item = LayerView<'a>>,
    ) -> Result<(), DecodeError> {
        self.first.load(layers)?;
        self.rest.load(layers)
    }
}
