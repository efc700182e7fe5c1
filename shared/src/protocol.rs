//! The serial protocol between the host and the firmware: postcard messages in COBS frames.
//!
//! The host sends a [`Request`] and reads exactly one [`Response`] back. Every message is
//! postcard-encoded, then COBS-encoded and terminated by a `0x00` byte
//! ([`encode`], [`FrameReceiver`], [`decode`]); a frame that cannot be decoded, or that is longer
//! than the device's frame buffer, gets a [`Response::Error`] and the device keeps serving. An
//! empty frame (a lone `0x00`) is ignored, so a host may send one to resynchronize.
//!
//! The protocol itself has no width: an input or an output holds as many values as the model's
//! architecture says. Each firmware sizes its buffers from the architecture it is built for, with
//! [`Limits::new`] (the frame length, the most inputs in one batch), and the host computes the
//! same [`Limits`] from the same architecture ([`Limits::for_architecture`]), so both sides
//! agree without a word on the wire. Floats travel as their 4 little-endian bytes: the outputs a
//! host reads have exactly the bits the device computed.
//!
//! The owned messages ([`Request`], [`Response`], [`Prediction`]) need the `alloc` feature (the
//! host); a device reads requests in place ([`decode_request`]) and writes responses by
//! reference ([`encode_response`], [`BatchEncoder`]), without allocating.
//!
//! # Examples
//! ```
//! # #[cfg(feature = "alloc")] {
//! use dendrite_core::protocol::{decode, encode, FrameReceiver, Limits, Request};
//!
//! let limits = Limits::new(3, 2);
//! let mut wire = vec![0u8; limits.frame];
//! let frame = encode(&Request::Predict(vec![0.0, 1.5, -2.0]), &mut wire).unwrap();
//!
//! let mut rx = FrameReceiver::with_buffer(vec![0u8; limits.frame]);
//! let mut got = None;
//! for &byte in frame.iter() {
//!     if let Some(received) = rx.push(byte) {
//!         got = Some(decode::<Request>(received.unwrap()).unwrap());
//!     }
//! }
//! assert_eq!(got, Some(Request::Predict(vec![0.0, 1.5, -2.0])));
//! # }
//! ```

use crate::format::{Architecture, DecodeError, Reconstruction, MAX_LAYERS};
use serde::{Deserialize, Serialize};

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

mod view;
mod write;
pub use view::{decode_request, Floats, Inputs, RequestView};
#[cfg(feature = "alloc")]
pub use write::encode_owned_response;
pub use write::{encode_response, BatchEncoder};

/// Version of this protocol; [`DeviceInfo::protocol`] carries it. Bumped on any wire change.
/// Version 2: widths follow the model ([`Limits`]); a prediction's class is optional (none for a
/// regression or anomaly model). Version 3: a prediction carries an anomaly model's
/// [`Reconstruction`] (the device's reconstruction error and verdict), between its class and its
/// ticks. Version 4: a [`CostReport`] carries the RAM of the network, its own bytes and the
/// stack one forward pass uses, after its tick frequency. The activations model file format
/// version 3 added travel in [`DeviceInfo::architecture`] as further enum indexes, with no
/// message laid out anew: the version stays 4 (the reasons are in the
/// [format module](crate::format)'s documentation).
///
/// [`DeviceInfo`] is laid out alike in every version, its `protocol` field first, so a host
/// reads any device's version and refuses a device that speaks another one before it sends a
/// prediction request (dendrite-link's `Link::info`).
pub const PROTOCOL_VERSION: u16 = 4;
/// The most inputs in one [`Request::PredictBatch`] on any device; a device whose inputs are
/// wide takes fewer ([`Limits::batch`]), and a host splits longer batches.
pub const MAX_BATCH: usize = 8;
/// The bytes of floats a batch's frame is meant to hold: a device takes as many inputs in a
/// batch as fit (1 to [`MAX_BATCH`]), so a wide model does not need a frame eight inputs long.
pub const BATCH_BYTES: usize = 8192;
/// The longest board name in [`DeviceInfo::board`].
pub const MAX_BOARD_NAME: usize = 16;
/// The most forward passes one [`Request::Cost`] times: a corrupted or hostile request must not
/// keep a device busy for hours (`u32::MAX` passes of a small network take about an hour on a
/// 100 MHz Cortex-M4). Larger requests are clamped, and the report says how many were timed.
pub const MAX_COST_ITERATIONS: u32 = 100_000;

/// The bounds of a device's messages, all of them derived from its model's input and output
/// widths: the same computation on the host and in the firmware's build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The input width: a request's inputs hold this many values.
    pub inputs: usize,
    /// The output width: a prediction holds this many values.
    pub outputs: usize,
    /// The most inputs in one [`Request::PredictBatch`]: as many as fit [`BATCH_BYTES`], at
    /// least 1, at most [`MAX_BATCH`].
    pub batch: usize,
    /// The longest frame either side sends or accepts, in bytes, terminator included.
    pub frame: usize,
}

/// The larger of `a` and `b`, in a `const fn`.
const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// The longest message other than predictions and inputs: an [`Response::Info`] with a board
/// name of [`MAX_BOARD_NAME`] bytes, [`MAX_LAYERS`] layers and the longest model status
/// (protocol 3, version 9, board 17, architecture 4 + 4 per layer, status 1 + 11 bytes).
const OTHER_MESSAGE: usize = 1 + 3 + 9 + 1 + MAX_BOARD_NAME + 4 + 4 * MAX_LAYERS + 12;

impl Limits {
    /// The limits of a device whose model takes `inputs` values and gives `outputs`.
    ///
    /// Message sizes, before COBS: a length is a varint (at most 3 bytes for a width, which is
    /// a `u16`), a float 4 bytes; a prediction is its outputs, an optional class (1 + 3), an
    /// optional [`Reconstruction`] (1 + 4 + 1) and ticks (at most 5). COBS adds one byte per 254 and the terminator. A test checks the bound
    /// against real encodings.
    pub const fn new(inputs: usize, outputs: usize) -> Self {
        let input = 3 + 4 * inputs;
        let prediction = 3 + 4 * outputs + 4 + 6 + 5;
        let widest = if input > prediction {
            input
        } else {
            prediction
        };
        let fit = BATCH_BYTES / widest;
        let batch = if fit < 1 {
            1
        } else if fit > MAX_BATCH {
            MAX_BATCH
        } else {
            fit
        };
        // Tag, then one value or a count (1 byte: batch <= MAX_BATCH) and `batch` values.
        let largest = max(
            max(1 + input, 2 + batch * input),
            max(1 + prediction, 2 + batch * prediction),
        );
        let message = max(largest, OTHER_MESSAGE);
        Self {
            inputs,
            outputs,
            batch,
            frame: message + message / 254 + 2,
        }
    }

    /// The limits of a device built for `architecture`.
    pub fn for_architecture(architecture: &Architecture) -> Self {
        let output = architecture
            .layers
            .last()
            .map_or(architecture.input, |&(units, _)| units);
        Self::new(usize::from(architecture.input), usize::from(output))
    }
}

/// What the host asks.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Describe the firmware and its model: answered with [`Response::Info`].
    Info,
    /// Run the model on one raw input (the device standardizes it as the model says): answered
    /// with [`Response::Prediction`].
    Predict(Vec<f32>),
    /// Run the model on several inputs (at most [`Limits::batch`]): answered with
    /// [`Response::Batch`], in order. If any input is refused, the whole batch is, with that
    /// input's error.
    PredictBatch(Vec<Vec<f32>>),
    /// Re-validate the weights region and report health: answered with [`Response::SelfCheck`].
    SelfCheck,
    /// Time `iterations` forward passes and an empty loop of as many turns, and measure the RAM
    /// of one more: answered with [`Response::Cost`]. The input is all zeros; the device needs
    /// a valid model. At most [`MAX_COST_ITERATIONS`] passes are timed
    /// ([`CostReport::iterations`] says how many).
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
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// Answer to [`Request::Info`].
    Info(DeviceInfo),
    /// Answer to [`Request::Predict`].
    Prediction(Prediction),
    /// Answer to [`Request::PredictBatch`]: one prediction per input, in order.
    Batch(Vec<Prediction>),
    /// Answer to [`Request::SelfCheck`].
    SelfCheck(SelfCheckReport),
    /// Answer to [`Request::Cost`].
    Cost(CostReport),
    /// The request was refused; the device keeps serving.
    Error(DeviceError),
}

/// A [`Response`] other than a batch, by reference: the same bytes on the wire (a test checks
/// it), a few words in memory, so a device encodes an answer ([`encode_response`]) without
/// building a [`Response`]. A batch is written one prediction at a time with [`BatchEncoder`].
#[derive(Clone, Copy, Debug)]
pub enum ResponseRef<'a> {
    /// As [`Response::Info`].
    Info(&'a DeviceInfo),
    /// As [`Response::Prediction`].
    Prediction(PredictionRef<'a>),
    /// As [`Response::SelfCheck`].
    SelfCheck(&'a SelfCheckReport),
    /// As [`Response::Cost`].
    Cost(&'a CostReport),
    /// As [`Response::Error`].
    Error(&'a DeviceError),
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

/// One forward pass's answer.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The output layer's values (probabilities after a softmax; standardized targets for a
    /// regression model, which the host turns back into the targets' units), bit for bit.
    pub outputs: Vec<f32>,
    /// The class, by [`class_of`](crate::class_of), for a classification model; `None` for a
    /// regression or anomaly model, whose outputs have no class.
    pub class: Option<u16>,
    /// For an anomaly model, the reconstruction error of the input and whether it is anomalous,
    /// computed on the device by [`Reconstruction::of`] with the model's standardization and
    /// threshold (the host's code); `None` for the other tasks.
    pub reconstruction: Option<Reconstruction>,
    /// Timer ticks the forward pass took on the device (see [`CostReport::tick_hz`]).
    pub ticks: u32,
}

/// A [`Prediction`] by reference: what a device encodes, the same bytes on the wire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PredictionRef<'a> {
    /// As [`Prediction::outputs`].
    pub outputs: &'a [f32],
    /// As [`Prediction::class`].
    pub class: Option<u16>,
    /// As [`Prediction::reconstruction`].
    pub reconstruction: Option<Reconstruction>,
    /// As [`Prediction::ticks`].
    pub ticks: u32,
}

#[cfg(feature = "alloc")]
impl<'a> From<&'a Prediction> for PredictionRef<'a> {
    fn from(p: &'a Prediction) -> Self {
        Self {
            outputs: &p.outputs,
            class: p.class,
            reconstruction: p.reconstruction,
            ticks: p.ticks,
        }
    }
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
/// `(ticks - empty_ticks) / iterations` ticks; its RAM is `network_bytes + stack_bytes`
/// ([`network_ram_bytes`](Self::network_ram_bytes)).
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
    /// Bytes of the network value itself, wherever the firmware keeps it: with the weights read
    /// in place, a few pointers into the weights region (the weights are not in RAM).
    pub network_bytes: u32,
    /// Bytes of stack one forward pass used below its caller's frame (its activations and its
    /// frames), measured by painting the free stack before the pass and finding the lowest
    /// word it changed; 0 on a board that cannot measure it. The pass writes its outputs into
    /// an array its caller declared before the measurement, as the input is the caller's: with
    /// [`network_bytes`](Self::network_bytes), the memory the inference needs beyond its
    /// caller's own input and output buffers. A caller that keeps the f32 outputs adds
    /// 4 bytes per output.
    pub stack_bytes: u32,
}

impl CostReport {
    /// Net ticks per forward pass (0 when nothing was timed).
    pub fn ticks_per_inference(&self) -> f64 {
        if self.iterations == 0 {
            return 0.0;
        }
        f64::from(self.ticks.saturating_sub(self.empty_ticks)) / f64::from(self.iterations)
    }

    /// RAM for the network: its own bytes and the stack of one forward pass (the weights stay
    /// in flash; the input, in the link's buffer, and the outputs, in the caller's array, are
    /// not counted: a caller keeping the f32 outputs adds 4 bytes per output).
    pub fn network_ram_bytes(&self) -> u32 {
        self.network_bytes.saturating_add(self.stack_bytes)
    }
}

/// Why the device refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeviceError {
    /// The frame is not a valid COBS-encoded postcard request.
    MalformedFrame,
    /// The frame is longer than the device's frame buffer ([`Limits::frame`]); it was dropped
    /// whole.
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
            Self::FrameTooLong => f.write_str("frame longer than the device's frame buffer"),
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
/// [`FrameError::TooLong`] when `buf` is too small (never for a buffer of [`Limits::frame`]
/// bytes and a message within the [`Limits`]).
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

/// Collects bytes into frames, in a buffer `B` (an array on a device, a `Vec<u8>` on a host),
/// without allocating.
///
/// A frame longer than the buffer is dropped up to its terminator and reported once, as
/// [`FrameError::TooLong`], so one bad frame gets exactly one error reply.
#[derive(Clone, Debug)]
pub struct FrameReceiver<B> {
    buf: B,
    len: usize,
    overflowed: bool,
}

impl<const N: usize> Default for FrameReceiver<[u8; N]> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameReceiver<[u8; N]> {
    /// An empty receiver of `N` bytes.
    pub const fn new() -> Self {
        Self::with_buffer([0; N])
    }
}

impl<B> FrameReceiver<B> {
    /// An empty receiver over `buf`, whose length is the longest frame it takes.
    pub const fn with_buffer(buf: B) -> Self {
        Self {
            buf,
            len: 0,
            overflowed: false,
        }
    }
}

impl<B: AsMut<[u8]>> FrameReceiver<B> {
    /// Adds one byte. At a terminator that closes a non-empty frame, returns the frame (with
    /// its terminator, ready for [`decode`]) or why it is unusable; otherwise `None`.
    pub fn push(&mut self, byte: u8) -> Option<Result<&mut [u8], FrameError>> {
        let buf = self.buf.as_mut();
        if byte != 0 {
            match buf.get_mut(self.len) {
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
        let end = len.min(buf.len());
        if let Some(slot) = buf.get_mut(len) {
            *slot = 0;
        }
        buf.get_mut(..end).map(Ok)
    }

    /// Drops a partly received frame.
    pub fn clear(&mut self) {
        self.len = 0;
        self.overflowed = false;
    }
}

#[cfg(test)]
mod tests;
