//! A whole model whose weights are read in place: standardization, then borrowed layers.

use crate::format::{DecodeError, ModelView};
use crate::kernel;
use crate::layer_ref::LayersRef;

/// A model with compile-time shapes whose weights and standardization are borrowed for `'a`:
/// from statics compiled into the program, or from a model file in a flash region. Running it
/// costs the RAM of the activations only.
///
/// [`model!`](crate::model) generates a named type around it from a model file; it can also be
/// written out by hand.
///
/// # Examples
/// ```
/// use dendrite_core::act::{Relu, Softmax};
/// use dendrite_core::{ChainRef, DenseRef, NetworkRef};
///
/// // 3 → 4 (relu) → 2 (softmax), weights in statics (flash, on the target).
/// static K1: [[f32; 3]; 4] = [[0.1; 3]; 4];
/// static B1: [f32; 4] = [0.0; 4];
/// static K2: [[f32; 4]; 2] = [[0.2; 4], [-0.2; 4]];
/// static B2: [f32; 2] = [0.0; 2];
/// static MEAN: [f32; 3] = [0.0; 3];
/// static STD: [f32; 3] = [1.0; 3];
/// type Seed = NetworkRef<'static, 3, ChainRef<'static, 3, 4, Relu, DenseRef<'static, 4, 2, Softmax>>>;
/// static NET: Seed = NetworkRef::new(
///     &MEAN,
///     &STD,
///     ChainRef::new(DenseRef::new(&K1, &B1), DenseRef::new(&K2, &B2)),
/// );
/// let p = NET.predict(&[1.0, 1.0, 1.0]);
/// assert!(p[0] > 0.5 && (p[0] + p[1] - 1.0).abs() < 1e-6);
/// ```
#[derive(Debug, PartialEq)]
pub struct NetworkRef<'a, const IN: usize, L> {
    mean: &'a [f32; IN],
    std: &'a [f32; IN],
    /// False when mean is 0 and std is 1 everywhere: skipping the step is then bit-exact
    /// (`(x - 0) / 1 == x`) and saves a subtraction and a division per input.
    standardize: bool,
    /// The layers.
    pub layers: L,
}

impl<const IN: usize, L: Copy> Clone for NetworkRef<'_, IN, L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const IN: usize, L: Copy> Copy for NetworkRef<'_, IN, L> {}

impl<'a, const IN: usize, L: LayersRef<'a, IN>> NetworkRef<'a, IN, L> {
    /// The network over a standardization (`mean`, `std`) and `layers`.
    pub const fn new(mean: &'a [f32; IN], std: &'a [f32; IN], layers: L) -> Self {
        NetworkRef {
            mean,
            std,
            standardize: kernel::standardizes(mean, std),
            layers,
        }
    }

    /// The network over the weights of a validated model file, in place.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureMismatch`] when the file's input width, layer widths or
    /// activations differ from this network's; [`DecodeError::Unaligned`] when the file is not
    /// at a 4-byte-aligned address.
    pub fn view(model: &ModelView<'a>) -> Result<Self, DecodeError> {
        let (mean, std, layers) = view_parts(model, L::DEPTH, L::view)?;
        Ok(NetworkRef::new(mean, std, layers))
    }

    /// Validates the model file at the start of `region` (magic, version, checksum, finite
    /// values, architecture; what follows it, such as erased flash, is ignored) and returns the
    /// network over its weights, in place.
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

    /// Whether [`predict`](Self::predict) standardizes its input: false when the mean is 0 and
    /// the standard deviation 1 for every input, where skipping the step gives the same bits.
    pub const fn standardizes(&self) -> bool {
        self.standardize
    }

    /// Runs the model on one raw (unstandardized) input.
    #[inline(always)]
    pub fn predict(&self, x: &[f32; IN]) -> L::Output {
        // The standardized copy is the first layer's input only (`forward_prepared`).
        self.layers.forward_prepared(x, |x| {
            // Tested as a byte against zero: one `cbz` on a Cortex-M, where LLVM may test the
            // `bool` itself with a compare and a branch.
            if u8::from(self.standardize) != 0 {
                kernel::standardize(x, self.mean, self.std);
            }
        })
    }

    /// [`predict`](Self::predict), the outputs written into the caller's `out` (every value
    /// overwritten): a caller that keeps the outputs passes its own array rather than receiving
    /// a copy. The same bits.
    #[inline(always)]
    pub fn predict_into(&self, x: &[f32; IN], out: &mut L::Output) {
        *out = self.predict(x);
    }

    /// Runs the model on each input of `inputs`, writing the outputs in order; stops at the end
    /// of the shorter slice and returns how many it ran. The same bits as one
    /// [`predict`](Self::predict) per input.
    pub fn predict_batch(&self, inputs: &[[f32; IN]], outputs: &mut [L::Output]) -> usize {
        let mut count = 0;
        for (x, y) in inputs.iter().zip(outputs) {
            *y = self.predict(x);
            count += 1;
        }
        count
    }
}

/// What a network read in place takes from a validated model file: its standardization of `IN`
/// inputs and its `depth` layers, viewed by `view` (f32 or int8 layers alike).
///
/// # Errors
/// [`DecodeError::ArchitectureMismatch`] when the input width or layer count differ, or `view`
/// refuses the layers; [`DecodeError::Unaligned`] when the file is not 4-byte aligned.
pub(crate) fn view_parts<'a, const IN: usize, L>(
    model: &ModelView<'a>,
    depth: usize,
    view: impl FnOnce(&mut crate::format::LayerViews<'a>) -> Result<L, DecodeError>,
) -> Result<(&'a [f32; IN], &'a [f32; IN], L), DecodeError> {
    let mut layers = model.layers();
    if usize::from(model.input()) != IN || layers.len() != depth {
        return Err(DecodeError::ArchitectureMismatch);
    }
    let layers = view(&mut layers)?;
    let mean = model.mean().as_slice().ok_or(DecodeError::Unaligned)?;
    let std = model.std().as_slice().ok_or(DecodeError::Unaligned)?;
    let mismatch = |_| DecodeError::ArchitectureMismatch;
    Ok((
        mean.try_into().map_err(mismatch)?,
        std.try_into().map_err(mismatch)?,
        layers,
    ))
}
