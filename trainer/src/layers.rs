//! Layers, as in `keras.layers`: [`Dense`], [`ActivationLayer`] (Keras' `Activation`) and
//! [`Dropout`].
//!
//! A layer is described with a builder (`Dense::new(4).input_dim(3).name("Dense1")`) and gets
//! its weights when the model is built.

use crate::initializers::Initializer;
use crate::SeededRng;
use dendrite_core::Activation;
use ndarray::{Array1, Array2};

/// A fully connected layer: `y = activation(x · W + b)`, W of shape `(in, units)` as in Keras.
#[derive(Clone, Debug)]
pub struct Dense {
    pub(crate) units: usize,
    pub(crate) input_dim: Option<usize>,
    pub(crate) kernel_initializer: Initializer,
    pub(crate) bias_initializer: Initializer,
    pub(crate) activation: Activation,
    pub(crate) name: Option<String>,
    pub(crate) kernel: Array2<f32>,
    pub(crate) bias: Array1<f32>,
    pub(crate) kernel_regularizer: Option<Regularizer>,
    pub(crate) bias_regularizer: Option<Regularizer>,
}

/// A weight penalty added to the training loss, as `keras.regularizers`: `l1 · Σ|w| + l2 · Σw²`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regularizer {
    /// The L1 factor.
    pub l1: f32,
    /// The L2 factor.
    pub l2: f32,
}

impl Regularizer {
    /// Keras' default factor of `"l1"` and `"l2"`.
    pub const DEFAULT_FACTOR: f32 = 0.01;

    /// `keras.regularizers.L1(l1)`.
    pub fn l1(l1: f32) -> Self {
        Regularizer { l1, l2: 0.0 }
    }

    /// `keras.regularizers.L2(l2)`.
    pub fn l2(l2: f32) -> Self {
        Regularizer { l1: 0.0, l2 }
    }

    /// `keras.regularizers.L1L2(l1, l2)`.
    pub fn l1_l2(l1: f32, l2: f32) -> Self {
        Regularizer { l1, l2 }
    }

    /// The penalty of `weights`: `l1 · Σ|w| + l2 · Σw²`, accumulated in f64.
    pub fn penalty(&self, weights: &[f32]) -> f64 {
        let (mut abs, mut squares) = (0.0f64, 0.0f64);
        for &w in weights {
            abs += f64::from(w.abs());
            squares += f64::from(w) * f64::from(w);
        }
        f64::from(self.l1) * abs + f64::from(self.l2) * squares
    }

    /// Adds the penalty's gradient, `l1 · sign(w) + 2 · l2 · w` (sign(0) = 0, as TensorFlow's),
    /// to `grads`.
    pub fn add_gradient(&self, weights: &[f32], grads: &mut [f32]) {
        for (g, &w) in grads.iter_mut().zip(weights) {
            let sign = if w == 0.0 { 0.0 } else { w.signum() };
            *g += self.l1 * sign + 2.0 * self.l2 * w;
        }
    }
}

impl Dense {
    /// A layer of `units` outputs with Keras' defaults: glorot_uniform kernel, zero bias,
    /// linear activation.
    pub fn new(units: usize) -> Self {
        Dense {
            units,
            input_dim: None,
            kernel_initializer: Initializer::GlorotUniform,
            bias_initializer: Initializer::Zeros,
            activation: Activation::Linear,
            name: None,
            kernel: Array2::zeros((0, units)),
            bias: Array1::zeros(0),
            kernel_regularizer: None,
            bias_regularizer: None,
        }
    }

    /// A penalty on the kernel, added to the training loss: Keras' `kernel_regularizer`.
    pub fn kernel_regularizer(mut self, regularizer: Regularizer) -> Self {
        self.kernel_regularizer = Some(regularizer);
        self
    }

    /// A penalty on the bias, added to the training loss: Keras' `bias_regularizer`.
    pub fn bias_regularizer(mut self, regularizer: Regularizer) -> Self {
        self.bias_regularizer = Some(regularizer);
        self
    }

    /// The kernel's penalty, mutably (to change or remove it between `fit` calls).
    pub fn kernel_regularizer_mut(&mut self) -> &mut Option<Regularizer> {
        &mut self.kernel_regularizer
    }

    /// The bias' penalty, mutably.
    pub fn bias_regularizer_mut(&mut self) -> &mut Option<Regularizer> {
        &mut self.bias_regularizer
    }

    /// The layer's regularization loss with its current weights.
    pub fn regularization_loss(&self) -> f64 {
        let kernel = self.kernel.as_slice().expect("kernels are kept contiguous");
        let bias = self.bias.as_slice().expect("biases are kept contiguous");
        self.kernel_regularizer.map_or(0.0, |r| r.penalty(kernel))
            + self.bias_regularizer.map_or(0.0, |r| r.penalty(bias))
    }

    /// The number of inputs (needed on the first layer, checked on the others).
    pub fn input_dim(mut self, input_dim: usize) -> Self {
        self.input_dim = Some(input_dim);
        self
    }

    /// How the kernel is initialized.
    pub fn kernel_initializer(mut self, initializer: Initializer) -> Self {
        self.kernel_initializer = initializer;
        self
    }

    /// How the bias is initialized.
    pub fn bias_initializer(mut self, initializer: Initializer) -> Self {
        self.bias_initializer = initializer;
        self
    }

    /// The activation folded into the layer.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The layer's name, shown by `summary()` and stored in the model file.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The number of outputs.
    pub fn units(&self) -> usize {
        self.units
    }

    /// The kernel, shape `(in, units)` (empty before the model is built).
    pub fn kernel(&self) -> &Array2<f32> {
        &self.kernel
    }

    /// The bias, shape `(units)` (empty before the model is built).
    pub fn bias(&self) -> &Array1<f32> {
        &self.bias
    }

    /// Replaces the weights: Keras' `set_weights([W, b])`. Returns them back when their shapes
    /// differ from the layer's (`(in, units)` and `(units)`).
    ///
    /// # Errors
    /// The rejected arrays, unchanged.
    #[allow(clippy::type_complexity)]
    pub fn set_weights(
        &mut self,
        kernel: Array2<f32>,
        bias: Array1<f32>,
    ) -> Result<(), (Array2<f32>, Array1<f32>)> {
        if kernel.dim() != self.kernel.dim() || bias.len() != self.units {
            return Err((kernel, bias));
        }
        self.kernel = kernel.as_standard_layout().into_owned();
        self.bias = bias;
        Ok(())
    }

    /// The number of trainable parameters for `fan_in` inputs.
    pub(crate) fn param_count(&self, fan_in: usize) -> usize {
        (fan_in + 1) * self.units
    }

    /// Draws fresh weights for `fan_in` inputs: kernel first (row-major, Keras' shape order),
    /// then bias.
    pub(crate) fn build(&mut self, fan_in: usize, rng: &mut SeededRng) {
        let mut kernel = Array2::zeros((fan_in, self.units));
        let values = kernel.as_slice_mut().expect("fresh arrays are contiguous");
        self.kernel_initializer
            .fill(values, fan_in, self.units, rng);
        let mut bias = Array1::zeros(self.units);
        let values = bias.as_slice_mut().expect("fresh arrays are contiguous");
        self.bias_initializer.fill(values, fan_in, self.units, rng);
        self.kernel = kernel;
        self.bias = bias;
    }
}

/// A layer that applies an activation function and has no weights: Keras' `Activation('relu')`.
#[derive(Clone, Debug)]
pub struct ActivationLayer {
    pub(crate) activation: Activation,
    pub(crate) name: Option<String>,
}

impl ActivationLayer {
    /// A layer applying `activation`.
    pub fn new(activation: Activation) -> Self {
        ActivationLayer {
            activation,
            name: None,
        }
    }

    /// The layer's name, shown by `summary()`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The activation function.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

/// Inverted dropout, as Keras' `Dropout(rate)`: while training, each value is zeroed with
/// probability `rate` and the kept ones are scaled by `1 / (1 - rate)`; at inference (predict,
/// evaluate, the exported model) the layer passes its input through, so a model file never
/// holds it. Masks are drawn from the training run's seeded generator.
#[derive(Clone, Debug)]
pub struct Dropout {
    pub(crate) rate: f32,
    pub(crate) name: Option<String>,
}

impl Dropout {
    /// A layer dropping a fraction `rate` of its inputs while training.
    ///
    /// # Errors
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) when `rate` is not in `[0, 1)`.
    pub fn new(rate: f32) -> crate::Result<Self> {
        if !(0.0..1.0).contains(&rate) {
            return Err(crate::Error::InvalidOption {
                option: "rate",
                value: rate.to_string(),
                expected: "a fraction in [0, 1) of the inputs to drop",
            });
        }
        Ok(Dropout { rate, name: None })
    }

    /// The layer's name, shown by `summary()`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The fraction of the inputs dropped while training.
    pub fn rate(&self) -> f32 {
        self.rate
    }
}

/// Any layer a [`Sequential`](crate::Sequential) model holds.
#[derive(Clone, Debug)]
pub enum Layer {
    /// A fully connected layer.
    Dense(Dense),
    /// An activation layer.
    Activation(ActivationLayer),
    /// A dropout layer (training only).
    Dropout(Dropout),
}

impl Layer {
    /// The layer's name (every layer of a model has one once it is added).
    pub fn name(&self) -> &str {
        let name = match self {
            Layer::Dense(d) => &d.name,
            Layer::Activation(a) => &a.name,
            Layer::Dropout(d) => &d.name,
        };
        name.as_deref().unwrap_or("")
    }

    /// The Keras class name, as shown by `summary()`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "Dense",
            Layer::Activation(_) => "Activation",
            Layer::Dropout(_) => "Dropout",
        }
    }

    /// The output width for an input of `fan_in` values.
    pub fn output_dim(&self, fan_in: usize) -> usize {
        match self {
            Layer::Dense(d) => d.units,
            Layer::Activation(_) | Layer::Dropout(_) => fan_in,
        }
    }

    /// The number of trainable parameters for an input of `fan_in` values.
    pub fn param_count(&self, fan_in: usize) -> usize {
        match self {
            Layer::Dense(d) => d.param_count(fan_in),
            Layer::Activation(_) | Layer::Dropout(_) => 0,
        }
    }
}

impl From<Dense> for Layer {
    fn from(layer: Dense) -> Self {
        Layer::Dense(layer)
    }
}

impl From<ActivationLayer> for Layer {
    fn from(layer: ActivationLayer) -> Self {
        Layer::Activation(layer)
    }
}

impl From<Dropout> for Layer {
    fn from(layer: Dropout) -> Self {
        Layer::Dropout(layer)
    }
}
