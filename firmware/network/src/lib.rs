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

use dendrite_core::format::{Architecture, DecodeError, ModelView, Task};
use dendrite_core::{kernel, Activation, LayersRef, NetworkRef};

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
/// The layers, typed by their widths and activations, borrowing their weights from flash.
pub type Layers = __dendrite_model_Shape::Layers;
/// The network: standardization, then the layers, all read in place.
type Net = NetworkRef<'static, INPUT, Layers>;

/// The words of a model file's data section the network reads: the standardization (mean, std),
/// then each layer's kernel and bias.
// Evaluated at compile time only, where an index out of range is a build error; the loop bound
// keeps it in range anyway.
#[allow(clippy::indexing_slicing)]
const PARAMS: usize = {
    let mut total = 2 * INPUT;
    let mut fan_in = INPUT;
    let mut i = 0;
    while i < LAYERS.len() {
        let units = LAYERS[i].0 as usize;
        total += (fan_in + 1) * units;
        fan_in = units;
        i += 1;
    }
    total
};

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

/// Whether the forward pass addresses every weight from the start of the data section. A
/// Cortex-M's VLDR reaches 1,020 bytes past its base register: a network whose words all fit
/// in that reach reads them at constant offsets of one register, with no pointer loaded per
/// layer; a larger one would need an address computed for every far group of weights, and
/// reads each layer from its own pointer instead (BENCHMARKS.md has both cases' counts).
const FLAT: bool = PARAMS * 4 <= 1020;

/// How the forward pass finds the weights in the data section (see [`FLAT`]).
trait Layout: Copy + core::fmt::Debug {
    /// The layout over a validated network `net` whose data section starts with `data`.
    fn new(net: Net, data: &'static [f32; PARAMS]) -> Self;

    /// `NetworkRef::predict`.
    fn predict(&self, x: &[f32; INPUT]) -> [f32; OUTPUT];
}

/// Each layer from its own references (the validated [`NetworkRef`]).
impl Layout for Net {
    fn new(net: Net, _: &'static [f32; PARAMS]) -> Self {
        net
    }

    #[inline(always)]
    fn predict(&self, x: &[f32; INPUT]) -> [f32; OUTPUT] {
        Net::predict(self, x)
    }
}

/// Every weight at a constant offset of the start of the data section.
#[derive(Clone, Copy, Debug)]
struct Flat {
    data: &'static [f32; PARAMS],
    standardize: bool,
}

impl Layout for Flat {
    fn new(net: Net, data: &'static [f32; PARAMS]) -> Self {
        Flat {
            data,
            standardize: net.standardizes(),
        }
    }

    #[inline(always)]
    fn predict(&self, x: &[f32; INPUT]) -> [f32; OUTPUT] {
        // `NetworkRef::predict`, on layers placed by `split`: the lengths are constants, so the
        // checks below vanish at compile time (they cannot fail: `PARAMS` is the sum of the
        // lengths) and every weight is at a fixed offset of `data`.
        let Some((mean, rest)) = self.data.split_first_chunk::<INPUT>() else {
            return [f32::NAN; OUTPUT];
        };
        let Some((std, rest)) = rest.split_first_chunk::<INPUT>() else {
            return [f32::NAN; OUTPUT];
        };
        let Some((layers, _)) = Layers::split(rest) else {
            return [f32::NAN; OUTPUT];
        };
        let mut x = *x;
        if self.standardize {
            kernel::standardize(&mut x, mean, std);
        }
        layers.forward(&x)
    }
}

/// The choice of [`Layout`] by [`FLAT`], at compile time.
struct Choose<const FLAT: bool>;

/// The layout [`Choose`] picks.
trait Chosen {
    type Layout: Layout;
}

impl Chosen for Choose<true> {
    type Layout = Flat;
}

impl Chosen for Choose<false> {
    type Layout = Net;
}

/// The network over the model file of a weights region: its weights stay in flash.
///
/// It keeps references into the model's data section: one to its start, from which a small
/// network's weights are at offsets fixed at compile time ([`FLAT`]), or one per layer's kernel
/// and bias for the others.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    weights: <Choose<FLAT> as Chosen>::Layout,
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
    /// file of another architecture, [`DecodeError::Unaligned`] when `region` does not start at
    /// a 4-byte-aligned address.
    pub fn from_region(region: &'static [u8]) -> Result<Self, DecodeError> {
        let view = ModelView::from_prefix(region)?;
        // Checks the architecture, the weight types and the alignment.
        let net = Net::view(&view)?;
        let data = view
            .data()
            .as_slice()
            .and_then(|data| data.first_chunk::<PARAMS>())
            .ok_or(DecodeError::Unaligned)?;
        Ok(Self {
            weights: Layout::new(net, data),
            crc: view.crc(),
            classifies: matches!(view.task(), Task::Classification),
        })
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

    /// The forward pass: standardization, then every layer with its activation.
    ///
    /// # Shapes
    /// `x`: [`INPUT`] raw values; the result: [`OUTPUT`] values (probabilities after a softmax).
    #[inline(never)]
    pub fn forward(&self, x: &[f32; INPUT]) -> [f32; OUTPUT] {
        self.weights.predict(x)
    }
}
