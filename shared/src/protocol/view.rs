//! Requests as a device reads them: decoded by hand from postcard's wire format, a batch left
//! in the frame's bytes and read one input at a time.
//!
//! The serde-derived [`Request`](super::Request) decoder is the reference (the host uses it, and
//! the tests check this decoder against it on every request and on garbage); this one exists
//! for the target's sake: no batch-sized value on its stack, and a fraction of the flash that
//! serde's generic decoder takes.

use super::{FrameError, Input, MAX_BATCH, MAX_INPUTS};
use crate::protocol::Fault;
use crate::wire::Reader;

/// A decoded request, borrowing its batch from the frame. See [`decode_request`].
#[derive(Clone, Debug, PartialEq)]
pub enum RequestView<'a> {
    /// As [`Request::Info`](super::Request::Info).
    Info,
    /// As [`Request::Predict`](super::Request::Predict).
    Predict(Input),
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

    /// The inputs, in order, decoded as they are taken.
    pub fn iter(&self) -> impl Iterator<Item = Input> + 'a {
        let mut reader = Reader(self.bytes);
        (0..self.count).map_while(move |_| reader.input())
    }
}

/// The owned request a view stands for (the batch collected out of the frame).
impl From<&RequestView<'_>> for super::Request {
    fn from(view: &RequestView<'_>) -> Self {
        use super::Request;
        match view {
            RequestView::Info => Request::Info,
            RequestView::Predict(x) => Request::Predict(x.clone()),
            // At most MAX_BATCH inputs: the decoder refused longer batches.
            RequestView::PredictBatch(xs) => Request::PredictBatch(xs.iter().collect()),
            RequestView::SelfCheck => Request::SelfCheck,
            RequestView::Cost { iterations } => Request::Cost {
                iterations: *iterations,
            },
            RequestView::ForceFault(f) => Request::ForceFault(*f),
        }
    }
}

/// Decodes one frame (as [`FrameReceiver::push`](super::FrameReceiver::push) hands it out) into
/// a request, in place: the same requests as
/// [`decode::<Request>`](super::decode) accepts (bytes after the message are ignored, as
/// postcard does), with the batch left in `frame`.
///
/// # Errors
/// [`FrameError::Malformed`] when the bytes are not a COBS-encoded postcard `Request`.
pub fn decode_request(frame: &mut [u8]) -> Result<RequestView<'_>, FrameError> {
    let len = cobs::decode_in_place(frame).map_err(|_| FrameError::Malformed)?;
    let message = frame.get(..len).ok_or(FrameError::Malformed)?;
    let mut reader = Reader(message);
    // Variant indexes of `Request`, in declaration order.
    let request = match reader.varint_u32().ok() {
        Some(0) => RequestView::Info,
        Some(1) => RequestView::Predict(reader.input().ok_or(FrameError::Malformed)?),
        Some(2) => RequestView::PredictBatch(reader.batch().ok_or(FrameError::Malformed)?),
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
    fn input(&mut self) -> Option<Input>;
    fn batch(&mut self) -> Option<Inputs<'a>>;
}

impl<'a> RequestReader<'a> for Reader<'a> {
    fn input(&mut self) -> Option<Input> {
        let len = self.len(MAX_INPUTS).ok()?;
        let mut input = Input::new();
        for _ in 0..len {
            input.push(self.f32().ok()?).ok()?;
        }
        Some(input)
    }

    /// A batch: validated whole, handed out as its count and bytes.
    fn batch(&mut self) -> Option<Inputs<'a>> {
        let count = self.len(MAX_BATCH).ok()?;
        let bytes = self.rest();
        for _ in 0..count {
            self.input()?;
        }
        Some(Inputs { count, bytes })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::any_request;
    use super::super::{decode, encode, Request, MAX_FRAME};
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// The frame of `request`: compares requests bit for bit (NaN inputs included).
    fn wire(request: &Request) -> Vec<u8> {
        let mut wire = [0u8; MAX_FRAME];
        encode(request, &mut wire).expect("fits").to_vec()
    }

    proptest! {
        #[test]
        fn decodes_every_request_as_serde_does(request in any_request()) {
            let mut frame = wire(&request);
            let view = decode_request(&mut frame).map(|v| wire(&Request::from(&v)));
            prop_assert_eq!(view, Ok(wire(&request)));
        }

        #[test]
        fn accepts_no_garbage_that_serde_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            // COBS-encode arbitrary message bytes, so garbage reaches the decoder proper.
            let mut frame = [0u8; 256];
            let len = cobs::encode(&bytes, &mut frame);
            let mut by_hand: Vec<u8> = frame[..len].to_vec();
            let mut by_serde = by_hand.clone();
            if let Ok(view) = decode_request(&mut by_hand) {
                let by_serde = decode::<Request>(&mut by_serde).map(|r| wire(&r));
                prop_assert_eq!(by_serde, Ok(wire(&Request::from(&view))));
            }
        }
    }

    #[test]
    fn refuses_batches_and_inputs_over_the_bounds() {
        // Batch of MAX_BATCH + 1 empty inputs; an input of MAX_INPUTS + 1 values.
        let mut batch = std::vec![2u8, MAX_BATCH as u8 + 1];
        batch.extend(std::iter::repeat_n(0u8, MAX_BATCH + 1));
        let mut input = std::vec![1u8, MAX_INPUTS as u8 + 1];
        input.extend(std::iter::repeat_n(0x3Fu8, 4 * (MAX_INPUTS + 1)));
        for message in [batch, input] {
            let mut frame = [0u8; 128];
            let len = cobs::encode(&message, &mut frame);
            assert_eq!(
                decode_request(&mut frame[..len]),
                Err(FrameError::Malformed)
            );
        }
    }
}
