//! A whole model with compile-time shapes: standardization, then layers.

use crate::format::{DType, DecodeError, ModelView};
use crate::kernel;
use crate::layer::Layers;

/// A model with compile-time shapes: input standardization followed by the layers `L`.
///
/// The firmware's network type is generated from a model file at build time; the weights are
/// loaded at run time from any model file of the same architecture.
///
/// # Examples
/// ```
/// use dendrite_core::act::{Relu, Softmax};
/// use dendrite_core::{Activation, Chain, Dense, Network};
/// use dendrite_core::format::{LayerRef, LayerSpec, ModelRef, ModelView};
///
/// // The tutorial's shape: 3 → 4 (relu) → 2 (softmax).
/// type Seed = Network<3, Chain<3, 4, Relu, Dense<4, 2, Softmax>>>;
/// let mut net: Seed = Network::new(Chain::new(Dense::zeroed(), Dense::zeroed()));
///
/// let hidden = LayerSpec { units: 4, activation: Activation::Relu, name: "Dense1" };
/// let output = LayerSpec { units: 2, activation: Activation::Softmax, name: "Dense2" };
/// let layers = [
///     LayerRef { spec: hidden, kernel: &[0.1; 12], bias: &[0.0; 4] },
///     LayerRef { spec: output, kernel: &[0.2, 0.2, 0.2, 0.2, -0.2, -0.2, -0.2, -0.2], bias: &[0.0; 2] },
/// ];
/// let model = ModelRef { input: 3, labels: "female\nmale", mean: &[0.0; 3], std: &[1.0; 3], layers: &layers, ..ModelRef::default() };
/// let mut bytes = vec![0; model.encoded_len()?];
/// model.encode(&mut bytes)?;
///
/// net.load(&ModelView::from_bytes(&bytes)?)?;
/// let p = net.predict(&[1.0, 1.0, 1.0]);
/// assert!(p[0] > 0.5 && (p[0] + p[1] - 1.0).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Network<const IN: usize, L: Layers<IN>> {
    mean: [f32; IN],
    std: [f32; IN],
    /// False when mean is 0 and std is 1 everywhere: skipping the step is then bit-exact
    /// (`(x - 0) / 1 == x`) and saves a subtraction and a division per input.
    standardize: bool,
    /// The layers.
    pub layers: L,
}

impl<const IN: usize, L: Layers<IN>> Network<IN, L> {
    /// A network without standardization and the given (typically zeroed) layers.
    ///
    /// Every field but the layers is zero (the standardization is off, its arrays unused until
    /// [`load`](Self::load)), so a network of zeroed layers can be a `static` in `.bss`: no
    /// initializer image in flash.
    pub const fn new(layers: L) -> Self {
        Network {
            mean: [0.0; IN],
            std: [0.0; IN],
            standardize: false,
            layers,
        }
    }

    /// Loads the weights and standardization of a validated model file.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureMismatch`] when the file's input width, layer widths or
    /// activations differ from this network's; [`DecodeError::UnsupportedLayer`] for an int8
    /// model; the network is then left unchanged.
    pub fn load(&mut self, model: &ModelView<'_>) -> Result<(), DecodeError> {
        // A typed network holds f32 weights: an int8 model runs through `quant` instead.
        if let Some(l) = model.layers().find(|l| l.dtype != DType::F32) {
            return Err(DecodeError::UnsupportedLayer {
                dtype: l.dtype.code(),
            });
        }
        let mut layers = model.layers();
        let same = usize::from(model.input()) == IN
            && self.layers.matches(&mut layers)
            && layers.next().is_none();
        if !same {
            return Err(DecodeError::ArchitectureMismatch);
        }
        model.mean().copy_to(&mut self.mean)?;
        model.std().copy_to(&mut self.std)?;
        self.standardize =
            self.mean.iter().any(|&m| m != 0.0) || self.std.iter().any(|&s| s != 1.0);
        self.layers.load(&mut model.layers())
    }

    /// Validates `bytes` as a model file (which may be followed by unused space, as in a flash
    /// region) and loads it.
    ///
    /// # Errors
    /// Any [`DecodeError`] but `TrailingBytes`; the network is then left unchanged.
    pub fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.load(&ModelView::from_prefix(bytes)?)
    }

    /// The input standardization: per-input mean and standard deviation (zeros before
    /// [`load`](Self::load); mean 0 and std 1 for a model that does not standardize).
    pub const fn standardization(&self) -> (&[f32; IN], &[f32; IN]) {
        (&self.mean, &self.std)
    }

    /// Runs the model on one raw (unstandardized) input.
    #[inline(always)]
    pub fn predict(&self, x: &[f32; IN]) -> L::Output {
        // One call of the layers, after the optional step: two calls would each be inlined,
        // and the whole forward pass would be in the firmware twice.
        let mut x = *x;
        if self.standardize {
            kernel::standardize(&mut x, &self.mean, &self.std);
        }
        self.layers.forward(&x)
    }
}
