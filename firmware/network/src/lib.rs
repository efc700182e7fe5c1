//! The firmware's network, typed by the architecture of a model file read at compile time by
//! `dendrite_core::model!` (`../models/seed.postcard`, or the file named by the environment
//! variable `DENDRITE_MODEL`; a missing or invalid file is a compile error).
//!
//! Its own crate so that the forward pass is compiled at `opt-level = 3` while the rest of the
//! firmware is optimized for size (see the firmware's `Cargo.toml`). Only the shapes are built in
//! (`model!`'s region mode): the weights are those of any model file of the same architecture in
//! the weights region, validated at start-up and read in place, so the network costs the RAM of
//! its activations and a few pointers.
//!
//! The model file's kind is built in too: an f32 model file gives an f32 network, an int8 one
//! (`dendrite quantize`, `dendrite import` of a TFLite int8 model) an int8 network, whose inner
//! products come from [`Kernel`]; a region holding a model of the other kind is refused
//! (`DecodeError::UnsupportedLayer`, reported by `Info` and every prediction).
//!
//! ```
//! use dendrite_core::format::DecodeError;
//! use dendrite_network::{Model, INPUT, OUTPUT};
//! // Erased flash holds no model.
//! static ERASED: [u8; 64] = [0xFF; 64];
//! assert_eq!(Model::from_region(&ERASED).unwrap_err(), DecodeError::Empty);
//! # let _ = (INPUT, OUTPUT);
//! ```
#![no_std]
#![forbid(unsafe_code)]

use dendrite_core::format::{Architecture, DType, DecodeError, ModelView, Task};
use dendrite_core::Activation;

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
/// How the layers store their weights (f32 or int8), from the model file built in.
pub const DTYPE: DType = Shape::DTYPE;
/// The layers, typed by their widths and activations, borrowing their weights from flash.
pub type Layers = __dendrite_model_Shape::Layers;
/// The network: standardization, then the layers, all read in place.
type Net = Shape;
/// The inner products of an int8 network's layers (`dendrite_core::quant::Dot`): on the chip
/// the runtime's kernel for its core (`SMLAD` on the Cortex-M4, M7 and M33, the portable loop on
/// the M0 and M3; the same bits), on the host the portable kernel. Unused by an f32 network.
#[cfg(target_os = "none")]
pub type Kernel = dendrite_runtime::int8::Kernel;
/// The inner products of an int8 network's layers (`dendrite_core::quant::Dot`): on the chip
/// the runtime's kernel for its core (`SMLAD` on the Cortex-M4, M7 and M33, the portable loop on
/// the M0 and M3; the same bits), on the host the portable kernel. Unused by an f32 network.
#[cfg(not(target_os = "none"))]
pub type Kernel = dendrite_core::quant::Scalar;

/// The protocol's bounds for this network: frame length and batch size follow from the widths.
pub const LIMITS: dendrite_core::protocol::Limits =
    dendrite_core::protocol::Limits::new(INPUT, OUTPUT);
/// The longest frame the firmware sends or accepts, in bytes ([`LIMITS`]).
pub const FRAME: usize = LIMITS.frame;

/// The architecture a model file must have to run on [`Model`].
pub fn architecture() -> Architecture {
    Architecture {
        input: INPUT as u16,
        layers: LAYERS.iter().copied().collect(),
    }
}

/// The network over the model file of a weights region: its weights stay in flash.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    net: Net,
    crc: u32,
    classifies: bool,
}

impl Model {
    /// Validates the model file at the start of `region` (magic, version, CRC, finite values,
    /// architecture; what follows the model, such as erased flash, is ignored) and returns the
    /// network over its weights, in place.
    ///
    /// # Errors
    /// Why the region holds no usable model: [`DecodeError::ArchitectureMismatch`] for a valid
    /// file of another architecture, [`DecodeError::UnsupportedLayer`] for one of the other
    /// kind (f32 or int8), [`DecodeError::Unaligned`] when `region` does not start at
    /// a 4-byte-aligned address.
    pub fn from_region(region: &'static [u8]) -> Result<Self, DecodeError> {
        Self::with_threshold(region).map(|(model, _)| model)
    }

    /// As [`from_region`](Self::from_region), with an anomaly model's threshold on the
    /// reconstruction error (`None` for the other tasks), from the one validation of the region.
    ///
    /// # Errors
    /// As [`from_region`](Self::from_region).
    pub fn with_threshold(region: &'static [u8]) -> Result<(Self, Option<f32>), DecodeError> {
        let view = ModelView::from_prefix(region)?;
        let model = Self {
            net: Net::from_view(&view)?,
            crc: view.crc(),
            classifies: matches!(view.task(), Task::Classification),
        };
        let threshold = match view.task() {
            Task::Anomaly { threshold } => Some(threshold),
            _ => None,
        };
        Ok((model, threshold))
    }

    /// The model file's CRC-32.
    pub const fn crc(&self) -> u32 {
        self.crc
    }

    /// Whether the model classifies (its outputs have a class); a regression or anomaly
    /// model's outputs are answered as they are.
    pub const fn classifies(&self) -> bool {
        self.classifies
    }

    /// The input standardization of the model: per-input mean and standard deviation.
    pub const fn standardization(&self) -> (&[f32; INPUT], &[f32; INPUT]) {
        self.net.network().standardization()
    }

    /// The forward pass: standardization, then every layer with its activation, the outputs
    /// written into the caller's `out` (every value overwritten). The pass's own RAM is its
    /// activations and frames; the outputs are the caller's.
    ///
    /// # Shapes
    /// `x`: [`INPUT`] raw values; `out`: [`OUTPUT`] values (probabilities after a softmax).
    #[inline(never)]
    pub fn forward_into(&self, x: &[f32; INPUT], out: &mut [f32; OUTPUT]) {
        self.net.predict_into_with::<Kernel>(x, out);
    }

    /// [`forward_into`](Self::forward_into), the outputs returned.
    ///
    /// # Shapes
    /// `x`: [`INPUT`] raw values; the result: [`OUTPUT`] values (probabilities after a softmax).
    #[inline]
    pub fn forward(&self, x: &[f32; INPUT]) -> [f32; OUTPUT] {
        let mut out = [0.0; OUTPUT];
        self.forward_into(x, &mut out);
        out
    }
}
