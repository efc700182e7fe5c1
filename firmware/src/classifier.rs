//! What the server needs from a network, over slices, so it does not depend on the network's
//! compile-time widths.

use dendrite_core::format::{Architecture, DecodeError};
use dendrite_core::protocol::Probabilities;

/// A network the server can load and run.
pub trait Classifier {
    /// The input width.
    fn input_width(&self) -> usize;

    /// The architecture the network was built for: a model file must have exactly this one.
    fn architecture(&self) -> Architecture;

    /// Validates the model file at the start of `region` (magic, version, CRC, finite values,
    /// architecture) and loads its weights. Returns the model's CRC-32.
    ///
    /// # Errors
    /// The reason the model is unusable; the network is then left unchanged.
    fn load(&mut self, region: &[u8]) -> Result<u32, DecodeError>;

    /// Runs the forward pass. `None` when `x` does not have [`input_width`](Self::input_width)
    /// values (callers check first).
    fn classify(&self, x: &[f32]) -> Option<Probabilities>;

    /// Runs the forward pass and discards the result without letting the compiler know: what
    /// [`Request::Cost`](dendrite_core::protocol::Request::Cost) times. Does nothing when `x`
    /// has the wrong width.
    fn forward_opaque(&self, x: &[f32]);
}

impl Classifier for dendrite_network::Model {
    fn input_width(&self) -> usize {
        dendrite_network::INPUT
    }

    fn architecture(&self) -> Architecture {
        dendrite_network::architecture()
    }

    fn load(&mut self, region: &[u8]) -> Result<u32, DecodeError> {
        dendrite_network::Model::load(self, region)
    }

    fn classify(&self, x: &[f32]) -> Option<Probabilities> {
        let x = x.try_into().ok()?;
        Probabilities::from_slice(&self.forward(x)).ok()
    }

    fn forward_opaque(&self, x: &[f32]) {
        if let Ok(x) = x.try_into() {
            core::hint::black_box(self.forward(x));
        }
    }
}
