//! The serial protocol between the host and the firmware: postcard messages in COBS frames.
//!
//! The host sends a [`Request`] and reads exactly one [`Response`] back. Every message is
//! postcard-encoded, then COBS-encoded and terminated by a `0x00` byte
//! ([`encode`], [`FrameReceiver`], [`decode`]); a frame that cannot be decoded, or that is longer
//! than [`MAX_FRAME`], gets a [`Response::Error`] and the device keeps serving. An empty frame (a
//! lone `0x00`) is ignored, so a host may send one to resynchronize.
//!
//! Everything is bounded: inputs hold at most [`MAX_INPUTS`] values, outputs [`MAX_OUTPUTS`], a
//! batch [`MAX_BATCH`] inputs, so both sides need no allocation and a frame fits [`MAX_FRAME`].
//! Floats travel as their 4 little-endian bytes: the probabilities a host reads have exactly the
//! bits the device computed.
//!
//! # Examples
//! ```
//! use dendrite_core::protocol::{decode, encode, FrameReceiver, Request, MAX_FRAME};
//!
//! let mut wire = [0u8; MAX_FRAME];
//! let input = heapless::Vec::from_slice(&[0.0, 1.5, -2.0]).unwrap();
//! let frame = encode(&Request::Predict(input.clone()), &mut wire).unwrap();
//!
//! let mut rx = FrameReceiver::<MAX_FRAME>::new();
//! let mut got = None;
//! for &byte in frame.iter() {
//!     if let Some(received) = rx.push(byte) {
//!         got = Some(decode::<Request>(received.unwrap()).unwrap());
//!     }
//! }
//! assert_eq!(got, Some(Request::Predict(input)));
//! ```

use crate::format::{Architecture, DecodeError};
use serde::{Deserialize, Serialize};

mod view;
mod write;
pub use view::{decode_request, Inputs, RequestView};
pub use write::{encode_batch, encode_response};

/// Version of this protocol; [`DeviceInfo::protocol`] carries it. Bumped on any wire change.
pub const PROTOCOL_VERSION: u16 = 1;
/// The most input values a request may carry (the widest input a firmware can have).
pub const MAX_INPUTS: usize = 16;
/// The most probabilities a prediction may carry (the most classes a firmware can have).
pub const MAX_OUTPUTS: usize = 16;
/// The most inputs in one [`Request::PredictBatch`]; a host splits longer batches.
pub const MAX_BATCH: usize = 8;
/// The longest board name in [`DeviceInfo::board`].
pub const MAX_BOARD_NAME: usize = 16;
/// The most forward passes one [`Request::Cost`] times: a corrupted or hostile request must not
/// keep a device busy for hours (`u32::MAX` passes of a small network take about an hour on a
/// 100 MHz Cortex-M4). Larger requests are clamped, and the report says how many were timed.
pub const MAX_COST_ITERATIONS: u32 = 100_000;

/// The longest frame either side sends or accepts, in bytes, terminator included.
///
/// The largest message is a [`Response::Batch`] of [`MAX_BATCH`] predictions of [`MAX_OUTPUTS`]
/// probabilities: tag and length (2 bytes), then per prediction a length (1), the floats
/// (4 each), the class (varint, at most 3) and the ticks (varint, at most 5). COBS adds one byte
/// per 254 and the terminator. A test checks the bound against real encodings.
pub const MAX_FRAME: usize = {
    let message = 2 + MAX_BATCH * (1 + 4 * MAX_OUTPUTS + 3 + 5);
    message + message / 254 + 2
};

/// The values of one input, raw (the device standardizes them as the model says).
pub type Input = heapless::Vec<f32, MAX_INPUTS>;
/// One probability per class, in class order.
pub type Probabilities = heapless::Vec<f32, MAX_OUTPUTS>;
/// The inputs of one [`Request::PredictBatch`].
pub type Batch = heapless::Vec<Input, MAX_BATCH>;
/// The answers of one [`Response::Batch`].
pub type Predictions = heapless::Vec<Prediction, MAX_BATCH>;

/// What the host asks.
// No `alloc` to box the batch in: a message is a bounded value, and each side holds one at a time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Describe the firmware and its model: answered with [`Response::Info`].
    Info,
    /// Classify one input: answered with [`Response::Prediction`].
    Predict(Input),
    /// Classify several inputs: answered with [`Response::Batch`], in order. If any input is
    /// refused, the whole batch is, with that input's error.
    PredictBatch(Batch),
    /// Re-validate the weights region and report health: answered with [`Response::SelfCheck`].
    SelfCheck,
    /// Time `iterations` forward passes and an empty loop of as many turns: answered with
    /// [`Response::Cost`]. The input is all zeros; the device needs a valid model. At most
    /// [`MAX_COST_ITERATIONS`] passes are timed ([`CostReport::iterations`] says how many).
    Cost {
        /// How many forward passes to time.
        iterations: u32,
    },
    /// End the device's run with a fault of this kind. Only firmware built for fault tests
    /// obeys (the test that proves a fault ends an emulator run with a non-zero status); any
    /// other answers [`DeviceError::Unsupported`].
    ForceFault(Fault),
}

/// A fault a test build can be asked to provoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// A Rust panic.
    Panic,
    /// A processor fault (an undefined instruction, which escalates to HardFault).
    HardFault,
    /// Unbounded recursion: the stack overflows its region and must fault, not run into the
    /// static data.
    StackOverflow,
}

/// What the device answers: exactly one response per non-empty frame.
#[allow(clippy::large_enum_variant)] // as for `Request`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// Answer to [`Request::Info`].
    Info(DeviceInfo),
    /// Answer to [`Request::Predict`].
    Prediction(Prediction),
    /// Answer to [`Request::PredictBatch`]: one prediction per input, in order.
    Batch(Predictions),
    /// Answer to [`Request::SelfCheck`].
    SelfCheck(SelfCheckReport),
    /// Answer to [`Request::Cost`].
    Cost(CostReport),
    /// The request was refused; the device keeps serving.
    Error(DeviceError),
}

/// A [`Response`] by reference: the same bytes on the wire (a test checks it), but a few words
/// in memory, so a device can encode an answer without building a [`Response`] (which is as
/// large as its largest variant, a full batch) on its stack.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename = "Response")]
pub enum ResponseRef<'a> {
    /// As [`Response::Info`].
    Info(&'a DeviceInfo),
    /// As [`Response::Prediction`].
    Prediction(&'a Prediction),
    /// As [`Response::Batch`].
    Batch(&'a [Prediction]),
    /// As [`Response::SelfCheck`].
    SelfCheck(&'a SelfCheckReport),
    /// As [`Response::Cost`].
    Cost(&'a CostReport),
    /// As [`Response::Error`].
    Error(&'a DeviceError),
}

impl<'a> From<&'a Response> for ResponseRef<'a> {
    fn from(response: &'a Response) -> Self {
        match response {
            Response::Info(info) => Self::Info(info),
            Response::Prediction(p) => Self::Prediction(p),
            Response::Batch(ps) => Self::Batch(ps),
            Response::SelfCheck(report) => Self::SelfCheck(report),
            Response::Cost(report) => Self::Cost(report),
            Response::Error(e) => Self::Error(e),
        }
    }
}

/// A firmware version, `major.minor.patch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Incompatible changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
    /// Fixes.
    pub patch: u16,
}

impl core::fmt::Display for Version {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The state of the model in the device's weights region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelStatus {
    /// A valid model of the firmware's architecture is loaded.
    Loaded {
        /// The CRC-32 trailer of the model file (the host compares it with its file's).
        crc: u32,
    },
    /// No usable model: every prediction is refused with this reason.
    Invalid(DecodeError),
}

/// Answer to [`Request::Info`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// [`PROTOCOL_VERSION`] of the firmware.
    pub protocol: u16,
    /// The firmware's version.
    pub firmware: Version,
    /// The board the firmware was built for (`"mps2-an386"`).
    pub board: heapless::String<MAX_BOARD_NAME>,
    /// The architecture the firmware was built for: a model file must have exactly this one.
    pub architecture: Architecture,
    /// The model in the weights region.
    pub model: ModelStatus,
}

/// One classification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The output layer's values (probabilities after a softmax), bit for bit.
    pub probabilities: Probabilities,
    /// The index of the largest probability (the first one on ties).
    pub class: u16,
    /// Timer ticks the forward pass took on the device (see [`CostReport::tick_hz`]).
    pub ticks: u32,
}

/// Answer to [`Request::SelfCheck`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCheckReport {
    /// The weights region, validated again now (flash corruption since boot shows here).
    pub model: ModelStatus,
    /// The deepest the stack has been since boot, in bytes (measured by painting).
    pub stack_used: u32,
    /// The size of the stack region, in bytes.
    pub stack_size: u32,
}

/// Answer to [`Request::Cost`]: the cost of a forward pass, net of loop overhead, is
/// `(ticks - empty_ticks) / iterations` ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostReport {
    /// Forward passes timed: as requested, at most [`MAX_COST_ITERATIONS`].
    pub iterations: u32,
    /// Ticks for `iterations` forward passes.
    pub ticks: u32,
    /// Ticks for an empty loop of `iterations` turns.
    pub empty_ticks: u32,
    /// Tick frequency in hertz (25 MHz on MPS2: under `qemu-system-arm -icount shift=0`, one
    /// tick is 40 instructions).
    pub tick_hz: u32,
}

impl CostReport {
    /// Net ticks per forward pass (0 when nothing was timed).
    pub fn ticks_per_inference(&self) -> f64 {
        if self.iterations == 0 {
            return 0.0;
        }
        f64::from(self.ticks.saturating_sub(self.empty_ticks)) / f64::from(self.iterations)
    }
}

/// Why the device refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeviceError {
    /// The frame is not a valid COBS-encoded postcard request.
    MalformedFrame,
    /// The frame is longer than [`MAX_FRAME`]; it was dropped whole.
    FrameTooLong,
    /// The input does not have the model's input width.
    WrongInputWidth {
        /// The firmware's input width.
        expected: u16,
        /// The request's input width.
        found: u16,
    },
    /// An input value is NaN or infinite.
    NonFiniteInput {
        /// Position of the first such value in the input.
        index: u16,
    },
    /// There is no valid model in the weights region, for this reason.
    NoValidModel(DecodeError),
    /// This firmware does not serve that request.
    Unsupported,
}

impl core::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::MalformedFrame => f.write_str("malformed frame"),
            Self::FrameTooLong => write!(f, "frame longer than {MAX_FRAME} bytes"),
            Self::WrongInputWidth { expected, found } => {
                write!(
                    f,
                    "wrong input width: the model takes {expected} values, got {found}"
                )
            }
            Self::NonFiniteInput { index } => write!(f, "input value {index} is NaN or infinite"),
            Self::NoValidModel(reason) => write!(f, "no valid model on the device: {reason}"),
            Self::Unsupported => f.write_str("request not supported by this firmware"),
        }
    }
}

impl core::error::Error for DeviceError {}

/// Why a frame could not be turned into a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Longer than the receive buffer; the frame was dropped up to its terminator.
    TooLong,
    /// Not valid COBS, or not a postcard encoding of the expected message.
    Malformed,
}

impl From<FrameError> for DeviceError {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::TooLong => DeviceError::FrameTooLong,
            FrameError::Malformed => DeviceError::MalformedFrame,
        }
    }
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::TooLong => "frame too long",
            Self::Malformed => "malformed frame",
        })
    }
}

impl core::error::Error for FrameError {}

/// Encodes `message` as one frame (COBS, terminated by `0x00`) into `buf`.
///
/// # Errors
/// [`FrameError::TooLong`] when `buf` is too small (never for a buffer of [`MAX_FRAME`]).
pub fn encode<'a, T: Serialize>(message: &T, buf: &'a mut [u8]) -> Result<&'a [u8], FrameError> {
    match postcard::to_slice_cobs(message, buf) {
        Ok(frame) => Ok(frame),
        Err(_) => Err(FrameError::TooLong),
    }
}

/// Decodes one frame, as [`FrameReceiver::push`] hands it out (terminator optional), in place.
///
/// # Errors
/// [`FrameError::Malformed`] when the bytes are not a COBS-encoded postcard `T`.
pub fn decode<'a, T: Deserialize<'a>>(frame: &'a mut [u8]) -> Result<T, FrameError> {
    postcard::from_bytes_cobs(frame).map_err(|_| FrameError::Malformed)
}

/// Collects bytes into frames, in a buffer of `N` bytes, without allocating.
///
/// A frame longer than `N` is dropped up to its terminator and reported once, as
/// [`FrameError::TooLong`], so one bad frame gets exactly one error reply.
#[derive(Clone, Debug)]
pub struct FrameReceiver<const N: usize> {
    buf: [u8; N],
    len: usize,
    overflowed: bool,
}

impl<const N: usize> Default for FrameReceiver<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameReceiver<N> {
    /// An empty receiver.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            overflowed: false,
        }
    }

    /// Adds one byte. At a terminator that closes a non-empty frame, returns the frame (with
    /// its terminator, ready for [`decode`]) or why it is unusable; otherwise `None`.
    pub fn push(&mut self, byte: u8) -> Option<Result<&mut [u8], FrameError>> {
        if byte != 0 {
            match self.buf.get_mut(self.len) {
                Some(slot) if !self.overflowed => {
                    *slot = byte;
                    self.len += 1;
                }
                _ => self.overflowed = true,
            }
            return None;
        }
        let len = core::mem::take(&mut self.len);
        if core::mem::take(&mut self.overflowed) {
            return Some(Err(FrameError::TooLong));
        }
        if len == 0 {
            return None;
        }
        // The terminator itself needs a slot only when the frame exactly fills the buffer; COBS
        // decoding stops at the end of the slice as it does at a zero.
        let end = len.min(N);
        if let Some(slot) = self.buf.get_mut(len) {
            *slot = 0;
        }
        self.buf.get_mut(..end).map(Ok)
    }

    /// Drops a partly received frame.
    pub fn clear(&mut self) {
        self.len = 0;
        self.overflowed = false;
    }
}

#[cfg(test)]
mod tests;
