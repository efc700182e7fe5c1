//! What the server needs from a network, over slices, so it does not depend on the network's
//! compile-time widths. The firmware's network ([`dendrite_network::Model`]) is one kind; another
//! kind of network (other weight types) plugs into the server by implementing the trait.

use dendrite_core::format::{Architecture, DecodeError};

/// A model found in the weights region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loaded {
    /// The model file's CRC-32.
    pub crc: u32,
    /// Whether the model classifies (its outputs have a class); a regression or anomaly model's
    /// outputs are sent as they are.
    pub classifies: bool,
    /// An anomaly model's threshold: its predictions carry the reconstruction error and the
    /// verdict ([`dendrite_core::Reconstruction`]). `None` for the other tasks.
    pub anomaly_threshold: Option<f32>,
}

/// A network the server can run, whose weights are read in place from the weights region.
pub trait Classifier: Sized {
    /// The input width.
    const INPUT: usize;

    /// The architecture the network was built for: a model file must have exactly this one.
    fn architecture() -> Architecture;

    /// Validates the model file at the start of `region` (magic, version, CRC, finite values,
    /// architecture) and returns the network over its weights, in place, with what it is.
    ///
    /// # Errors
    /// The reason the model is unusable.
    fn from_region(region: &'static [u8]) -> Result<(Self, Loaded), DecodeError>;

    /// The loaded model's input standardization, per input: mean and standard deviation (what
    /// the forward pass applies to a raw input).
    fn standardization(&self) -> (&[f32], &[f32]);

    /// Runs the forward pass on `x` and hands the outputs to `f`. `None` when `x` does not
    /// have [`INPUT`](Self::INPUT) values (callers check first).
    fn run<R>(&self, x: &[f32], f: impl FnOnce(&[f32]) -> R) -> Option<R>;

    /// Hands `measure` one forward pass on `x` to run (a stack measurement, which returns the
    /// bytes it found) and returns what it returns: the pass writes its outputs into an array
    /// declared before `measure` runs, the caller's, so `measure` sees the pass alone, as
    /// [`RequestView::Cost`](dendrite_core::protocol::RequestView::Cost) reports it. 0, with
    /// nothing run, when `x` does not have [`INPUT`](Self::INPUT) values.
    fn measure_forward(&self, x: &[f32], measure: impl FnOnce(&mut dyn FnMut()) -> u32) -> u32;

    /// Runs the forward pass on `x` `times` times and discards the results without letting
    /// the compiler know: what [`RequestView::Cost`](dendrite_core::protocol::RequestView::Cost)
    /// times. Does nothing when `x` has the wrong width.
    fn forward_repeatedly(&self, x: &[f32], times: u32);
}

impl Classifier for dendrite_network::Model {
    const INPUT: usize = dendrite_network::INPUT;

    fn architecture() -> Architecture {
        dendrite_network::architecture()
    }

    fn from_region(region: &'static [u8]) -> Result<(Self, Loaded), DecodeError> {
        let (model, anomaly_threshold) = dendrite_network::Model::with_threshold(region)?;
        let loaded = Loaded {
            crc: model.crc(),
            classifies: model.classifies(),
            anomaly_threshold,
        };
        Ok((model, loaded))
    }

    fn standardization(&self) -> (&[f32], &[f32]) {
        let (mean, std) = dendrite_network::Model::standardization(self);
        (mean, std)
    }

    fn run<R>(&self, x: &[f32], f: impl FnOnce(&[f32]) -> R) -> Option<R> {
        let mut out = [0.0; dendrite_network::OUTPUT];
        dendrite_network::Model::forward_into(self, x.try_into().ok()?, &mut out);
        Some(f(&out))
    }

    fn measure_forward(&self, x: &[f32], measure: impl FnOnce(&mut dyn FnMut()) -> u32) -> u32 {
        let Ok(x) = x.try_into() else {
            return 0;
        };
        let mut out = [0.0; dendrite_network::OUTPUT];
        // The pass alone in the measured closure: thin references to the input and outputs.
        let bytes = measure(&mut || dendrite_network::Model::forward_into(self, x, &mut out));
        // Read after the pass, outside the measurement: the pass is neither elided nor cut short.
        core::hint::black_box(&out);
        bytes
    }

    fn forward_repeatedly(&self, x: &[f32], times: u32) {
        let Ok(x) = x.try_into() else {
            return;
        };
        // One output array for every pass, outside them, as a caller keeps it.
        let mut out = [0.0; dendrite_network::OUTPUT];
        for _ in 0..times {
            dendrite_network::Model::forward_into(self, core::hint::black_box(x), &mut out);
            core::hint::black_box(&mut out);
        }
    }
}
