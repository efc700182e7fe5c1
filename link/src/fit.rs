//! Whether a model fits a board, checked before any firmware is built: its file in the board's
//! weights region, its network and the link's frame buffers in the board's RAM.

use dendrite_core::format::Architecture;
use dendrite_core::protocol::Limits;

/// What a board offers a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The board's name.
    pub board: &'static str,
    /// The size of its weights region, in bytes: the largest model file.
    pub weights_len: u32,
    /// The RAM its linker script gives the firmware's static data, in bytes.
    pub ram_len: u32,
}

/// RAM the firmware's statics take besides the network and the link's buffers (the model
/// status, the board's drivers, the stack guard's bookkeeping): measured at under 200 bytes
/// on the seed image, rounded up.
const OTHER_STATICS: usize = 512;

/// Why a model does not fit a board.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// The model file is larger than the weights region.
    #[error(
        "the model does not fit {board}: its file is {file} bytes, the board's weights region \
         holds {region}"
    )]
    Weights {
        /// The board.
        board: &'static str,
        /// The model file's size.
        file: usize,
        /// The weights region's size.
        region: u32,
    },
    /// The network and the frame buffers need more RAM than the board has.
    #[error(
        "the model does not fit {board}: the firmware for {architecture} needs about {need} \
         bytes of RAM (frame buffers 2 × {frame}, activations {activations}), the board has {ram}"
    )]
    Ram {
        /// The board.
        board: &'static str,
        /// The architecture.
        architecture: String,
        /// The estimated RAM.
        need: usize,
        /// Of which the forward pass's activations (on the stack).
        activations: usize,
        /// The length of one frame buffer.
        frame: usize,
        /// The board's RAM for static data.
        ram: u32,
    },
}

/// The RAM a firmware built for `architecture` takes, in bytes: two frame buffers of
/// [`Limits::frame`] bytes, one input, the forward pass's activations (two layers' outputs
/// in f32, an upper bound for an int8 network's bytes), and the rest of the firmware's
/// statics. The weights are not in it: the firmware reads them in place from the weights
/// region, f32 and int8 alike. Returns `(total, activations, frame)`.
pub fn static_ram(architecture: &Architecture) -> (usize, usize, usize) {
    let limits = Limits::for_architecture(architecture);
    let widest = architecture
        .layers
        .iter()
        .map(|&(units, _)| usize::from(units))
        .chain([usize::from(architecture.input)])
        .max()
        .unwrap_or(0);
    let activations = 4 * 2 * widest;
    let need = activations + 2 * limits.frame + 4 * limits.inputs + OTHER_STATICS;
    (need, activations, limits.frame)
}

/// Checks that a model of `architecture` whose file is `file_len` bytes fits `budget`.
///
/// # Errors
/// [`FitError`] naming the board, its limit and the model's figure.
pub fn check(
    architecture: &Architecture,
    file_len: usize,
    budget: &Budget,
) -> Result<(), FitError> {
    if file_len > budget.weights_len as usize {
        return Err(FitError::Weights {
            board: budget.board,
            file: file_len,
            region: budget.weights_len,
        });
    }
    let (need, activations, frame) = static_ram(architecture);
    if need > budget.ram_len as usize {
        return Err(FitError::Ram {
            board: budget.board,
            architecture: architecture.to_string(),
            need,
            activations,
            frame,
            ram: budget.ram_len,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
