//! The [`Sequential`] model: a stack of layers, compiled with an optimizer, a loss and metrics.

mod batch;
mod engine;
mod fit;
#[cfg(test)]
mod gradcheck;
mod kernels;
mod summary;

pub use fit::{ClassWeight, FitOptions, Verbosity};

use crate::error::{Error, Result};
use crate::layers::{Dense, Layer};
use crate::losses::Loss;
use crate::metrics::{Metric, ResolvedMetric};
use crate::optimizers::{Optimizer, OptimizerState};
use crate::Activation;
use crate::SeededRng;
use ndarray::{Array1, Array2};

/// A linear stack of layers, as Keras' `Sequential`.
///
/// # Examples
/// ```
/// use dendrite_trainer::Activation::{Relu, Softmax};
/// use dendrite_trainer::layers::{ActivationLayer, Dense};
/// use dendrite_trainer::{Loss, Metric, Optimizer, Sequential};
///
/// let mut model = Sequential::new();
/// model.add(Dense::new(4).input_dim(3).name("Dense1"))?;
/// model.add(ActivationLayer::new(Relu).name("hidden"))?;
/// model.add(Dense::new(2).name("Dense2"))?;
/// model.add(ActivationLayer::new(Softmax).name("output"))?;
/// model.compile(Optimizer::from_name("rmsprop")?, Loss::CategoricalCrossentropy, &[Metric::Accuracy])?;
/// assert_eq!(model.count_params(), 26);
/// # Ok::<(), dendrite_trainer::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sequential {
    name: String,
    layers: Vec<Layer>,
    input_dim: usize,
    compiled: Option<Compiled>,
    built: bool,
    dropout_rng: Option<DropoutRng>,
}

/// What `compile` settles: how the model learns and what it reports.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) optimizer: Optimizer,
    pub(crate) loss: Loss,
    pub(crate) metrics: Vec<ResolvedMetric>,
    /// Created at the first `fit` after `compile` or `build`, kept across `fit` calls as Keras.
    pub(crate) state: Option<OptimizerState>,
    /// Buffers kept between `train_on_batch` calls; dropped whenever the layers may change.
    pub(crate) workspace: Option<engine::Workspace>,
}

/// Where `train_on_batch`'s dropout masks come from: a seed drawn from the build's generator
/// (only when the model has Dropout layers, so other models draw exactly as before) and the
/// number of steps taken; step `k` draws from a generator seeded with `seed + k`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropoutRng {
    pub(crate) seed: u64,
    pub(crate) steps: u64,
}

impl Default for Sequential {
    fn default() -> Self {
        Self::new()
    }
}

impl Sequential {
    /// An empty model named `sequential`.
    pub fn new() -> Self {
        Sequential {
            name: "sequential".to_owned(),
            layers: Vec::new(),
            input_dim: 0,
            compiled: None,
            built: false,
            dropout_rng: None,
        }
    }

    /// The model's name, shown by `summary()`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends a layer. Unnamed layers get Keras-style names (`dense`, `dense_1`, `activation`).
    ///
    /// # Errors
    /// [`Error::MissingInputDim`] when the first layer has no `input_dim`;
    /// [`Error::InputDimMismatch`] when a later layer's `input_dim` disagrees with the model.
    pub fn add(&mut self, layer: impl Into<Layer>) -> Result<&mut Self> {
        let mut layer = layer.into();
        let name = self.default_name(&layer);
        let declared = match &mut layer {
            Layer::Dense(d) => {
                d.name.get_or_insert(name);
                d.input_dim
            }
            Layer::Activation(a) => {
                a.name.get_or_insert(name);
                None
            }
            Layer::Dropout(d) => {
                d.name.get_or_insert(name);
                None
            }
        };
        match (self.layers.is_empty(), declared) {
            (true, Some(n)) => self.input_dim = n,
            (true, None) => {
                let layer = layer.name().to_owned();
                return Err(Error::MissingInputDim { layer });
            }
            (false, Some(n)) if n != self.output_dim() => {
                return Err(Error::InputDimMismatch {
                    layer: layer.name().to_owned(),
                    declared: n,
                    actual: self.output_dim(),
                })
            }
            (false, _) => {}
        }
        self.layers.push(layer);
        self.built = false;
        if let Some(c) = &mut self.compiled {
            c.workspace = None;
        }
        Ok(self)
    }

    /// Keras' automatic name: the snake-case class name, numbered from the second on.
    fn default_name(&self, layer: &Layer) -> String {
        let base = match layer {
            Layer::Dense(_) => "dense",
            Layer::Activation(_) => "activation",
            Layer::Dropout(_) => "dropout",
        };
        let same = self
            .layers
            .iter()
            .filter(|l| l.type_name() == layer.type_name())
            .count();
        if same == 0 {
            base.to_owned()
        } else {
            format!("{base}_{same}")
        }
    }

    /// Sets the optimizer, the loss and the metrics; resets the optimizer's state.
    ///
    /// # Errors
    /// [`Error::EmptyModel`] without layers; [`Error::LossNeedsActivation`] when a
    /// cross-entropy loss does not sit on the activation it is fused with (softmax for
    /// categorical, sigmoid for binary); [`Error::InvalidOption`] when a Dropout layer is the
    /// last one (the loss would see dropped outputs).
    pub fn compile(&mut self, optimizer: Optimizer, loss: Loss, metrics: &[Metric]) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::EmptyModel);
        }
        if let Some(last @ Layer::Dropout(_)) = self.layers.last() {
            return Err(Error::InvalidOption {
                option: "layers",
                value: format!("`{}` last", last.name()),
                expected: "a Dense or Activation layer last: Dropout goes between layers",
            });
        }
        let found = self.output_activation();
        if let Some(needed) = loss.fused_activation() {
            if found != needed {
                return Err(Error::LossNeedsActivation {
                    loss: loss.name(),
                    needed: needed.name(),
                    found: found.name(),
                });
            }
        }
        let units = self.output_dim();
        self.compiled = Some(Compiled {
            optimizer,
            loss,
            metrics: metrics.iter().map(|m| m.resolve(loss, units)).collect(),
            state: None,
            workspace: None,
        });
        Ok(())
    }

    /// Draws every layer's initial weights from `rng`, input side first (kernel, then bias).
    ///
    /// # Errors
    /// [`Error::EmptyModel`] without layers.
    pub fn build(&mut self, rng: &mut SeededRng) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::EmptyModel);
        }
        let mut fan_in = self.input_dim;
        for layer in &mut self.layers {
            if let Layer::Dense(d) = layer {
                d.build(fan_in, rng);
            }
            fan_in = layer.output_dim(fan_in);
        }
        self.dropout_rng = self
            .layers
            .iter()
            .any(|l| matches!(l, Layer::Dropout(_)))
            .then(|| {
                use rand::Rng;
                DropoutRng {
                    seed: rng.next_u64(),
                    steps: 0,
                }
            });
        if let Some(c) = &mut self.compiled {
            c.state = None;
            c.workspace = None;
        }
        self.built = true;
        Ok(())
    }

    /// Sets every Dense layer's weights, input side first, one `(kernel, bias)` pair each
    /// (kernel `(in, units)`, as Keras' `set_weights`), and marks the model built; the
    /// optimizer's state starts afresh. Nothing changes when any pair does not fit.
    ///
    /// # Errors
    /// [`Error::EmptyModel`] without layers; [`Error::SetWeights`] when the number of pairs
    /// or a shape differs from the model's.
    pub fn set_weights(&mut self, weights: Vec<(Array2<f32>, Array1<f32>)>) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::EmptyModel);
        }
        let mut fan_in = self.input_dim;
        let mut shapes = Vec::new();
        for layer in &self.layers {
            if let Layer::Dense(d) = layer {
                shapes.push((layer.name().to_owned(), fan_in, d.units));
            }
            fan_in = layer.output_dim(fan_in);
        }
        if shapes.len() != weights.len() {
            return Err(Error::SetWeights {
                layer: self.name.clone(),
                reason: format!(
                    "{} (kernel, bias) pairs for {} Dense layers",
                    weights.len(),
                    shapes.len()
                ),
            });
        }
        for ((name, fan_in, units), (kernel, bias)) in shapes.iter().zip(&weights) {
            if kernel.dim() != (*fan_in, *units) || bias.len() != *units {
                return Err(Error::SetWeights {
                    layer: name.clone(),
                    reason: format!(
                        "kernel {:?} and bias ({}), expected ({fan_in}, {units}) and ({units})",
                        kernel.dim(),
                        bias.len()
                    ),
                });
            }
        }
        for (dense, (kernel, bias)) in self.dense_layers_mut().zip(weights) {
            dense.kernel = kernel.as_standard_layout().into_owned();
            dense.bias = bias;
        }
        if let Some(c) = &mut self.compiled {
            c.state = None;
            c.workspace = None;
        }
        self.built = true;
        Ok(())
    }

    /// Whether the layers have weights.
    pub fn is_built(&self) -> bool {
        self.built
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The Dense layers, mutably (to set weights by hand), input side first.
    pub fn dense_layers_mut(&mut self) -> impl Iterator<Item = &mut Dense> {
        self.layers.iter_mut().filter_map(|l| match l {
            Layer::Dense(d) => Some(d),
            Layer::Activation(_) | Layer::Dropout(_) => None,
        })
    }

    /// The sum of every Dense layer's regularization penalties with the current weights (0
    /// without regularizers): what Keras adds to the loss it reports.
    pub fn regularization_loss(&self) -> f64 {
        regularization_loss(&self.layers)
    }

    /// The number of inputs.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The number of outputs of the last layer.
    pub fn output_dim(&self) -> usize {
        self.layers
            .iter()
            .fold(self.input_dim, |fan_in, l| l.output_dim(fan_in))
    }

    /// The activation the model's output comes out of.
    pub fn output_activation(&self) -> Activation {
        match self.layers.last() {
            Some(Layer::Dense(d)) => d.activation,
            Some(Layer::Activation(a)) => a.activation,
            Some(Layer::Dropout(_)) | None => Activation::Linear,
        }
    }

    /// The total number of trainable parameters.
    pub fn count_params(&self) -> usize {
        let mut fan_in = self.input_dim;
        let mut total = 0;
        for layer in &self.layers {
            total += layer.param_count(fan_in);
            fan_in = layer.output_dim(fan_in);
        }
        total
    }

    /// The optimizer set by `compile`, if any.
    pub fn optimizer(&self) -> Option<&Optimizer> {
        self.compiled.as_ref().map(|c| &c.optimizer)
    }

    /// The optimizer, mutably (for learning-rate schedules).
    pub fn optimizer_mut(&mut self) -> Option<&mut Optimizer> {
        self.compiled.as_mut().map(|c| &mut c.optimizer)
    }

    /// The loss set by `compile`, if any.
    pub fn loss(&self) -> Option<Loss> {
        self.compiled.as_ref().map(|c| c.loss)
    }

    pub(crate) fn require_built(&self, operation: &'static str) -> Result<()> {
        if self.built {
            Ok(())
        } else {
            Err(Error::NotBuilt { operation })
        }
    }
}

/// The sum of the Dense layers' regularization penalties.
pub(crate) fn regularization_loss(layers: &[Layer]) -> f64 {
    layers
        .iter()
        .map(|l| match l {
            Layer::Dense(d) => d.regularization_loss(),
            Layer::Activation(_) | Layer::Dropout(_) => 0.0,
        })
        .sum()
}
