//! What the server needs from a network, over slices, so it does not depend on the network's
//! compile-time widths.

use dendrite_core::format::{DecodeError, ModelView};
use dendrite_core::protocol::Probabilities;
use dendrite_core::{Layers, Network};

/// A network the server can load and run.
pub trait Classifier {
    /// The input width.
    fn input_width(&self) -> usize;

    /// Validates the model file at the start of `region` (magic, version, CRC, finite values,
    /// architecture) and loads its weights. Returns the model's CRC-32.
    ///
    /// # Errors
    /// The reason the model is unusable; the network is then left unchanged.
    fn load(&mut self, region: &[u8]) -> Result<u32, DecodeError>;

    /// Runs the forward pass. `None` when `x` does not have [`input_width`](Self::input_width)
    /// values (callers check first).
    fn classify(&self, x: &[f32]) -> Option<Probabilities>;
}

impl<const IN: usize, L: Layers<IN>> Classifier for Network<IN, L> {
    fn input_width(&self) -> usize {
        IN
    }

    fn load(&mut self, region: &[u8]) -> Result<u32, DecodeError> {
        let view = ModelView::from_prefix(region)?;
        Network::load(self, &view)?;
        Ok(view.crc())
    }

    #[inline(always)]
    fn classify(&self, x: &[f32]) -> Option<Probabilities> {
        let x: &[f32; IN] = x.try_into().ok()?;
        let y = self.predict(x);
        Probabilities::from_slice(y.as_ref()).ok()
    }
}
