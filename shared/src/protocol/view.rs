//! Requests as a device reads them: decoded by hand from postcard's wire format, in place, the
//! inputs left in the frame's bytes and read one value at a time.
//!
//! The serde-derived [`Request`](super::Request) decoder is the reference (the host uses it, and
//! the tests check this decoder against it on every request and on garbage); this one exists
//! for the target's sake: nothing input-sized on its stack, no allocation, and a fraction of the
//! flash that serde's generic decoder takes.

use super::{FrameError, MAX_BATCH};
use crate::protocol::Fault;
use crate::wire::Reader;

/// A decoded request, borrowing its inputs from the frame. See [`decode_request`].
#[derive(Clone, Debug, PartialEq)]
pub enum RequestView<'a> {
    /// As [`Request::Info`](super::Request::Info).
    Info,
    /// As [`Request::Predict`](super::Request::Predict).
    Predict(Floats<'a>),
    /// As [`Request::PredictBatch`](super::Request::PredictBatch); every input was checked to
    /// decode.
    PredictBatch(Inputs<'a>),
    /// As [`Request::SelfCheck`](super::Request::SelfCheck).
    SelfCheck,
    /// As [`Request::Cost`](super::Request::Cost).
    Cost {
        /// How many forward passes to time.
        iterations: u32,
    },
    /// As [`Request::ForceFault`](super::Request::ForceFault).
    ForceFault(Fault),
}

/// The values of one input, still in the frame's bytes (4 little-endian bytes each).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Floats<'a> {
    bytes: &'a [u8],
}

impl<'a> Floats<'a> {
    /// The number of values.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The values, in order.
    pub fn iter(&self) -> impl Iterator<Item = f32> + 'a {
        self.bytes
            .chunks_exact(4)
            .map(|b| b.try_into().map_or(0.0, f32::from_le_bytes))
    }

    /// Copies the values into the front of `out` (as many as both hold); returns how many.
    pub fn copy_to(&self, out: &mut [f32]) -> usize {
        let mut n = 0;
        for (slot, v) in out.iter_mut().zip(self.iter()) {
            *slot = v;
            n += 1;
        }
        n
    }
}

/// The inputs of a batch, still in the frame's bytes (each decoded once already, to validate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inputs<'a> {
    count: usize,
    bytes: &'a [u8],
}

impl<'a> Inputs<'a> {
    /// The number of inputs.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The inputs, in order.
    pub fn iter(&self) -> impl Iterator<Item = Floats<'a>> + 'a {
        let mut reader = Reader(self.bytes);
        (0..self.count).map_while(move |_| reader.floats())
    }
}

/// The owned request a view stands for (the inputs copied out of the frame).
#[cfg(feature = "alloc")]
impl From<&RequestView<'_>> for super::Request {
    fn from(view: &RequestView<'_>) -> Self {
        use super::Request;
        use alloc::vec::Vec;
        match view {
            RequestView::Info => Request::Info,
            RequestView::Predict(x) => Request::Predict(x.iter().collect()),
            RequestView::PredictBatch(xs) => {
                Request::PredictBatch(xs.iter().map(|x| x.iter().collect::<Vec<_>>()).collect())
            }
            RequestView::SelfCheck => Request::SelfCheck,
            RequestView::Cost { iterations } => Request::Cost {
                iterations: *iterations,
            },
            RequestView::ForceFault(f) => Request::ForceFault(*f),
        }
    }
}

/// Decodes one frame (as [`FrameReceiver::push`](super::FrameReceiver::push) hands it out) into
/// a request, in place: the same requests as [`decode::<Request>`](super::decode) accepts
/// (bytes after the message are ignored, as postcard does), with the inputs left in `frame`,
/// except batches of more than `max_batch` inputs (a device's [`Limits::batch`](super::Limits)),
/// which are refused: their answer would not fit the device's frame.
///
/// # Errors
/// [`FrameError::Malformed`] when the bytes are not a COBS-encoded postcard `Request`, or the
/// batch is longer than `max_batch` (or [`MAX_BATCH`]).
pub fn decode_request(frame: &mut [u8], max_batch: usize) -> Result<RequestView<'_>, FrameError> {
    let len = cobs::decode_in_place(frame).map_err(|_| FrameError::Malformed)?;
    let message = frame.get(..len).ok_or(FrameError::Malformed)?;
    let mut reader = Reader(message);
    // Variant indexes of `Request`, in declaration order.
    let request = match reader.varint_u32().ok() {
        Some(0) => RequestView::Info,
        Some(1) => RequestView::Predict(reader.floats().ok_or(FrameError::Malformed)?),
        Some(2) => RequestView::PredictBatch(
            reader
                .batch(max_batch.min(MAX_BATCH))
                .ok_or(FrameError::Malformed)?,
        ),
        Some(3) => RequestView::SelfCheck,
        Some(4) => RequestView::Cost {
            iterations: reader.varint_u32().map_err(|_| FrameError::Malformed)?,
        },
        Some(5) => RequestView::ForceFault(match reader.varint_u32().ok() {
            Some(0) => Fault::Panic,
            Some(1) => Fault::HardFault,
            Some(2) => Fault::StackOverflow,
            _ => return Err(FrameError::Malformed),
        }),
        _ => return Err(FrameError::Malformed),
    };
    Ok(request)
}

/// The request-specific reads on top of the shared postcard [`Reader`].
trait RequestReader<'a> {
    fn floats(&mut self) -> Option<Floats<'a>>;
    fn batch(&mut self, max: usize) -> Option<Inputs<'a>>;
}

impl<'a> RequestReader<'a> for Reader<'a> {
    /// A sequence of `f32`: its length, then 4 bytes per value, left in place.
    fn floats(&mut self) -> Option<Floats<'a>> {
        let len = self.len(usize::MAX).ok()?;
        let bytes = self.take(len.checked_mul(4)?).ok()?;
        Some(Floats { bytes })
    }

    /// A batch: validated whole, handed out as its count and bytes.
    fn batch(&mut self, max: usize) -> Option<Inputs<'a>> {
        let count = self.len(max).ok()?;
        let bytes = self.rest();
        for _ in 0..count {
            self.floats()?;
        }
        Some(Inputs { count, bytes })
    }
}

#[cfg(test)]
mod tests;
