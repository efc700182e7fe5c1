//! The firmware's network, typed by the architecture of a model file read at compile time by
//! `dendrite_core::model!` (`../models/seed.postcard`, or the file named by the environment
//! variable `DENDRITE_MODEL`; a missing or invalid file is a compile error).
//!
//! Its own crate so that the forward pass is compiled at `opt-level = 3` while the rest of the
//! firmware is optimized for size (see the firmware's `Cargo.toml`). Only the shapes are built in;
//! the weights are loaded at run time from any model file of the same architecture.
//!
//! ```
//! use dendrite_network::{Model, INPUT, OUTPUT};
//! let model = Model::new(); // zero weights until `load`
//! let p = model.forward(&[0.0; INPUT]);
//! assert_eq!(p.len(), OUTPUT);
//! ```
#![no_std]
#![forbid(unsafe_code)]

use dendrite_core::format::{Architecture, DecodeError, ModelView};
use dendrite_core::{Activation, Network};

dendrite_core::model!(
    Shape,
    "../models/seed.postcard",
    env = "DENDRITE_MODEL",
    region
);

/// The architecture's name, as `dendrite info` prints it.
pub const ARCHITECTURE_NAME: &str = Shape::ARCHITECTURE;
/// The network's input width.
pub const INPUT: usize = Shape::INPUT;
/// The network's output width (number of classes).
pub const OUTPUT: usize = Shape::OUTPUT;
/// Each layer's width and activation, input side first.
pub const LAYERS: [(u16, Activation); Shape::LAYERS.len()] = Shape::LAYERS;
/// The layers, typed by their widths, owning their weights (loaded at boot).
pub type Layers = __dendrite_model_Shape::OwnedLayers;
/// The network: standardization, then the layers.
type Net = Network<INPUT, Layers>;

const fn zeroed() -> Net {
    Network::new(__dendrite_model_Shape::zeroed_layers())
}

/// The protocol's bounds for this network: frame length and batch size follow from the widths.
pub const LIMITS: dendrite_core::protocol::Limits =
    dendrite_core::protocol::Limits::new(INPUT, OUTPUT);
/// The longest frame the firmware sends or accepts, in bytes ([`LIMITS`]).
pub const FRAME: usize = LIMITS.frame;

/// The architecture a model file must have to load into [`Model`].
pub fn architecture() -> Architecture {
    Architecture {
        input: INPUT as u16,
        layers: LAYERS.iter().copied().collect(),
    }
}

/// The network, with the weights of the model it was loaded from.
#[derive(Clone, Debug)]
pub struct Model {
    net: Net,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    /// The network with all weights zero, ready for [`load`](Self::load).
    pub const fn new() -> Self {
        Self { net: zeroed() }
    }

    /// Validates the model file at the start of `region` (magic, version, CRC, finite values,
    /// architecture) and loads its weights; what follows the model in `region` is ignored.
    /// Returns the model's CRC-32.
    ///
    /// # Errors
    /// Why the model is unusable; the weights are then left unchanged.
    pub fn load(&mut self, region: &[u8]) -> Result<u32, DecodeError> {
        let view = ModelView::from_prefix(region)?;
        self.net.load(&view)?;
        Ok(view.crc())
    }

    /// The input standardization of the loaded model: per-input mean and standard deviation.
    pub const fn standardization(&self) -> (&[f32; INPUT], &[f32; INPUT]) {
        self.net.standardization()
    }

    /// The forward pass: standardization, then every layer with its activation.
    ///
    /// # Shapes
    /// `x`: [`INPUT`] raw values; the result: [`OUTPUT`] values (probabilities after a softmax).
    #[inline(never)]
    pub fn forward(&self, x: &[f32; INPUT]) -> [f32; OUTPUT] {
        self.net.predict(x)
    }
}
