//! The host's prediction of what the firmware answers to any byte stream: split into frames
//! independently of the firmware's receiver, each frame decoded with serde's reference decoder,
//! each request answered as the protocol says, predictions computed by the host's forward pass.
//!
//! The fuzz target of the firmware's request handler and the hostile-link QEMU test both check
//! the firmware against it.

use dendrite_core::protocol::{
    self, CostReport, DeviceError, DeviceInfo, ModelStatus, Prediction, Request, Response,
    SelfCheckReport,
};
use dendrite_firmware::network;
use dendrite_trainer::HostModel;

/// One frame of a byte stream: its bytes (terminator included, when the stream has one) and
/// what serde makes of it.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The frame's bytes as sent.
    pub bytes: Vec<u8>,
    /// Non-zero bytes before the terminator.
    pub len: usize,
    /// Whether a terminator ends it (only the last frame of a stream may lack one).
    pub terminated: bool,
    /// The request serde decodes from it, if any.
    pub request: Option<Request>,
}

/// Splits `stream` at its zero bytes.
pub fn split_frames(stream: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == 0);
        let (bytes, len, terminated) = match end {
            Some(at) => (&rest[..=at], at, true),
            None => (rest, rest.len(), false),
        };
        rest = &rest[bytes.len()..];
        let request = (terminated && len <= network::FRAME)
            .then(|| device_decode(bytes, network::LIMITS.batch))
            .flatten();
        frames.push(Frame {
            bytes: bytes.to_vec(),
            len,
            terminated,
            request,
        });
    }
    frames
}

/// The request serde decodes from `frame` as it runs on the 32-bit device that takes at most
/// `max_batch` inputs in a batch: postcard reads a sequence length as a `usize` varint, at most
/// 10 bytes on a 64-bit host but 5 on the device, so the host's serde accepts a few over-long
/// encodings of a length that the device refuses; and the device refuses a batch whose answer
/// would not fit its frame.
pub fn device_decode(frame: &[u8], max_batch: usize) -> Option<Request> {
    let mut message = frame.to_vec();
    let len = cobs::decode_in_place(&mut message).ok()?;
    let message = &message[..len];
    let request = postcard::from_bytes::<Request>(message).ok()?;
    if matches!(&request, Request::PredictBatch(xs) if xs.len() > max_batch) {
        return None;
    }
    (!has_wide_length(message, &request)).then_some(request)
}

/// Whether serde's reading of `message` as `request` took a sequence length longer than the
/// 5 bytes of a 32-bit `usize` varint. The request gives the shape; only lengths differ
/// between a 64-bit and a 32-bit reader (floats are 4 bytes, tags and counts `u32` varints).
pub fn has_wide_length(message: &[u8], request: &Request) -> bool {
    let mut at = 0;
    varint_len(message, &mut at); // the variant's tag
    match request {
        Request::Predict(_) => varint_len(message, &mut at) > 5,
        Request::PredictBatch(xs) => {
            let mut wide = varint_len(message, &mut at) > 5;
            for x in xs {
                wide |= varint_len(message, &mut at) > 5;
                at += 4 * x.len();
            }
            wide
        }
        _ => false,
    }
}

/// The length in bytes of the varint at `*at`, which it skips.
fn varint_len(message: &[u8], at: &mut usize) -> usize {
    let start = *at;
    while message.get(*at).is_some_and(|b| b & 0x80 != 0) {
        *at += 1;
    }
    *at += 1;
    *at - start
}

/// What the firmware is expected to be: its model, board, and what its board reports.
pub struct Oracle<'a> {
    /// The host's reading of the model file in the weights region.
    pub host: &'a HostModel,
    /// The model status the firmware reported at boot.
    pub status: ModelStatus,
    /// The board name the firmware reports.
    pub board: &'static str,
    /// The stack use (deepest, size) the board reports.
    pub stack: (u32, u32),
    /// The board's tick frequency.
    pub tick_hz: u32,
}

impl Oracle<'_> {
    /// The answer to `frame`: none to an empty or unterminated one. Timings (prediction and
    /// cost ticks) are zero: a board's clock is not predictable.
    pub fn expect(&self, frame: &Frame) -> Option<Response> {
        if !frame.terminated || frame.len == 0 {
            return None;
        }
        if frame.len > network::FRAME {
            return Some(Response::Error(DeviceError::FrameTooLong));
        }
        let Some(request) = &frame.request else {
            return Some(Response::Error(DeviceError::MalformedFrame));
        };
        Some(self.answer(request).unwrap_or_else(Response::Error))
    }

    fn answer(&self, request: &Request) -> Result<Response, DeviceError> {
        Ok(match request {
            Request::Info => Response::Info(DeviceInfo {
                protocol: protocol::PROTOCOL_VERSION,
                firmware: dendrite_firmware::VERSION,
                board: heapless::String::try_from(self.board).unwrap_or_default(),
                architecture: network::architecture(),
                model: self.status,
            }),
            Request::Predict(x) => {
                self.ready()?;
                check(x)?;
                Response::Prediction(self.predict(x))
            }
            Request::PredictBatch(xs) => {
                self.ready()?;
                xs.iter().try_for_each(|x| check(x))?;
                Response::Batch(xs.iter().map(|x| self.predict(x)).collect())
            }
            Request::SelfCheck => Response::SelfCheck(SelfCheckReport {
                model: self.status,
                stack_used: self.stack.0,
                stack_size: self.stack.1,
            }),
            Request::Cost { iterations } => {
                self.ready()?;
                Response::Cost(CostReport {
                    iterations: (*iterations).min(protocol::MAX_COST_ITERATIONS),
                    ticks: 0,
                    empty_ticks: 0,
                    tick_hz: self.tick_hz,
                    network_bytes: std::mem::size_of::<network::Model>() as u32,
                    stack_bytes: 0,
                })
            }
            Request::ForceFault(_) => return Err(DeviceError::Unsupported),
        })
    }

    fn ready(&self) -> Result<(), DeviceError> {
        match self.status {
            ModelStatus::Loaded { .. } => Ok(()),
            ModelStatus::Invalid(reason) => Err(DeviceError::NoValidModel(reason)),
        }
    }

    fn predict(&self, x: &[f32]) -> Prediction {
        let outputs = self.host.predict(x).unwrap_or_default();
        Prediction {
            class: self.host.class_of(&outputs).map(|c| c as u16),
            reconstruction: self.host.reconstruction(x, &outputs),
            outputs,
            ticks: 0,
        }
    }
}

/// The firmware's input checks: the network's width, finite values.
fn check(x: &[f32]) -> Result<(), DeviceError> {
    if x.len() != network::INPUT {
        return Err(DeviceError::WrongInputWidth {
            expected: network::INPUT as u16,
            found: x.len() as u16,
        });
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DeviceError::NonFiniteInput {
            index: index as u16,
        }),
        None => Ok(()),
    }
}

/// `response` with what a board measures (ticks, stack use) zeroed and the network's size set
/// to the host's (a board's pointers may be narrower), for comparing a real board's answer with
/// that of an [`Oracle`] whose `stack` is `(0, 0)`.
pub fn without_measurements(mut response: Response) -> Response {
    match &mut response {
        Response::Prediction(p) => p.ticks = 0,
        Response::Batch(ps) => ps.iter_mut().for_each(|p| p.ticks = 0),
        Response::Cost(report) => {
            (report.ticks, report.empty_ticks) = (0, 0);
            (report.network_bytes, report.stack_bytes) =
                (std::mem::size_of::<network::Model>() as u32, 0);
        }
        Response::SelfCheck(report) => (report.stack_used, report.stack_size) = (0, 0),
        _ => {}
    }
    response
}

/// The frame serde's encoder gives for `response`: compares responses bit for bit.
pub fn wire(response: &Response) -> Vec<u8> {
    let mut buf = vec![0u8; network::FRAME];
    protocol::encode(response, &mut buf)
        .expect("every response fits the firmware's frame")
        .to_vec()
}
