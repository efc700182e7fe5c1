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
mod tests {
    extern crate std;
    use super::*;
    use crate::Activation;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    fn floats<const N: usize>(values: Vec<u32>) -> heapless::Vec<f32, N> {
        values.into_iter().map(f32::from_bits).collect()
    }

    fn any_input() -> impl Strategy<Value = Input> {
        vec(any::<u32>(), 0..=MAX_INPUTS).prop_map(floats)
    }

    fn any_prediction() -> impl Strategy<Value = Prediction> {
        (
            vec(any::<u32>(), 0..=MAX_OUTPUTS),
            any::<u16>(),
            any::<u32>(),
        )
            .prop_map(|(p, class, ticks)| Prediction {
                probabilities: floats(p),
                class,
                ticks,
            })
    }

    fn any_decode_error() -> impl Strategy<Value = DecodeError> {
        prop_oneof![
            Just(DecodeError::Empty),
            Just(DecodeError::WrongMagic),
            any::<u16>().prop_map(|found| DecodeError::UnsupportedVersion { found }),
            Just(DecodeError::Truncated),
            Just(DecodeError::TrailingBytes),
            (any::<u32>(), any::<u32>())
                .prop_map(|(stored, computed)| DecodeError::CrcMismatch { stored, computed }),
            Just(DecodeError::Malformed),
            Just(DecodeError::NonFinite),
            Just(DecodeError::InvalidNormalization),
            Just(DecodeError::ArchitectureMismatch),
            any::<u8>().prop_map(|dtype| DecodeError::UnsupportedLayer { dtype }),
        ]
    }

    fn any_status() -> impl Strategy<Value = ModelStatus> {
        prop_oneof![
            any::<u32>().prop_map(|crc| ModelStatus::Loaded { crc }),
            any_decode_error().prop_map(ModelStatus::Invalid),
        ]
    }

    pub(super) fn any_request() -> impl Strategy<Value = Request> {
        prop_oneof![
            Just(Request::Info),
            any_input().prop_map(Request::Predict),
            vec(any_input(), 0..=MAX_BATCH)
                .prop_map(|b| Request::PredictBatch(b.into_iter().collect())),
            Just(Request::SelfCheck),
            any::<u32>().prop_map(|iterations| Request::Cost { iterations }),
            Just(Request::ForceFault(Fault::Panic)),
            Just(Request::ForceFault(Fault::HardFault)),
        ]
    }

    fn any_architecture() -> impl Strategy<Value = Architecture> {
        let activation = (0..Activation::ALL.len()).prop_map(|i| Activation::ALL[i]);
        (
            any::<u16>(),
            vec((any::<u16>(), activation), 0..=crate::format::MAX_LAYERS),
        )
            .prop_map(|(input, layers)| Architecture {
                input,
                layers: layers.into_iter().collect(),
            })
    }

    fn any_error() -> impl Strategy<Value = DeviceError> {
        prop_oneof![
            Just(DeviceError::MalformedFrame),
            Just(DeviceError::FrameTooLong),
            (any::<u16>(), any::<u16>())
                .prop_map(|(expected, found)| DeviceError::WrongInputWidth { expected, found }),
            any::<u16>().prop_map(|index| DeviceError::NonFiniteInput { index }),
            any_decode_error().prop_map(DeviceError::NoValidModel),
            Just(DeviceError::Unsupported),
        ]
    }

    fn any_response() -> impl Strategy<Value = Response> {
        let info = (
            any::<[u16; 4]>(),
            "[a-z0-9-]{0,16}",
            any_architecture(),
            any_status(),
        )
            .prop_map(|(v, board, architecture, model)| {
                Response::Info(DeviceInfo {
                    protocol: v[0],
                    firmware: Version {
                        major: v[1],
                        minor: v[2],
                        patch: v[3],
                    },
                    board: heapless::String::try_from(board.as_str()).unwrap_or_default(),
                    architecture,
                    model,
                })
            });
        let check = (any_status(), any::<u32>(), any::<u32>()).prop_map(|(model, used, size)| {
            Response::SelfCheck(SelfCheckReport {
                model,
                stack_used: used,
                stack_size: size,
            })
        });
        let cost = any::<[u32; 4]>().prop_map(|c| {
            Response::Cost(CostReport {
                iterations: c[0],
                ticks: c[1],
                empty_ticks: c[2],
                tick_hz: c[3],
            })
        });
        prop_oneof![
            info,
            any_prediction().prop_map(Response::Prediction),
            vec(any_prediction(), 0..=MAX_BATCH)
                .prop_map(|b| Response::Batch(b.into_iter().collect())),
            check,
            cost,
            any_error().prop_map(Response::Error),
        ]
    }

    /// Sends `frame` through a receiver byte by byte; returns every frame it hands out, decoded.
    fn receive<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Vec<Result<T, FrameError>> {
        let mut rx = FrameReceiver::<MAX_FRAME>::new();
        let mut out = Vec::new();
        for &b in bytes {
            if let Some(frame) = rx.push(b) {
                out.push(frame.and_then(|f| decode::<T>(f)));
            }
        }
        out
    }

    /// Encodes, then decodes through the receiver, then encodes again: the wire bytes must be
    /// identical (a comparison that also holds for NaN payloads, bit for bit).
    fn round_trip<T>(message: &T) -> T
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        let mut wire = [0u8; MAX_FRAME];
        let frame = encode(message, &mut wire).expect("every message fits MAX_FRAME");
        assert!(frame.len() <= MAX_FRAME);
        let mut got = receive::<T>(frame);
        assert_eq!(got.len(), 1);
        let decoded = got.remove(0).expect("a frame we encoded decodes");
        let mut again = [0u8; MAX_FRAME];
        assert_eq!(
            encode(&decoded, &mut again).map(<[u8]>::to_vec),
            Ok(frame.to_vec())
        );
        decoded
    }

    proptest! {
        #[test]
        fn requests_round_trip(request in any_request()) {
            round_trip(&request);
        }

        #[test]
        fn responses_round_trip(response in any_response()) {
            round_trip(&response);
        }

        #[test]
        fn probabilities_travel_bit_for_bit(p in any_prediction()) {
            let back = round_trip(&Response::Prediction(p.clone()));
            let Response::Prediction(back) = back else { panic!("wrong variant") };
            let bits = |v: &Probabilities| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&back.probabilities), bits(&p.probabilities));
        }

        #[test]
        fn garbage_never_panics_and_gives_one_result_per_frame(
            bytes in vec(any::<u8>(), 0..2048)
        ) {
            let results = receive::<Request>(&bytes);
            // Each non-empty run of bytes closed by a zero is exactly one result.
            let frames = bytes.split(|&b| b == 0).filter(|s| !s.is_empty()).count()
                - usize::from(bytes.last().is_some_and(|&b| b != 0));
            prop_assert_eq!(results.len(), frames);
        }
    }

    proptest! {
        #[test]
        fn response_ref_encodes_as_the_response(response in any_response()) {
            let mut by_ref = [0u8; MAX_FRAME];
            let by_ref = encode(&ResponseRef::from(&response), &mut by_ref).map(<[u8]>::to_vec);
            let mut by_hand = [0u8; MAX_FRAME];
            let by_hand = encode_response(ResponseRef::from(&response), &mut by_hand);
            prop_assert_eq!(by_hand.map(<[u8]>::to_vec), by_ref.clone());
            let mut wire = [0u8; MAX_FRAME];
            prop_assert_eq!(by_ref, encode(&response, &mut wire).map(<[u8]>::to_vec));
        }

        #[test]
        fn batch_encoded_lazily_equals_the_whole_response(
            ps in vec(any_prediction(), 0..=MAX_BATCH)
        ) {
            let mut lazy = [0u8; MAX_FRAME];
            let lazy = encode_batch(ps.len(), |i| ps[i].clone(), &mut lazy).map(<[u8]>::to_vec);
            let whole = Response::Batch(ps.iter().cloned().collect());
            let mut wire = [0u8; MAX_FRAME];
            prop_assert_eq!(lazy, encode(&whole, &mut wire).map(<[u8]>::to_vec));
        }
    }

    #[test]
    fn largest_messages_fit_max_frame() {
        // No zero byte anywhere, so COBS adds the most it can.
        let no_zeros = f32::from_bits(0x3F8F_8F8F);
        let full: Probabilities = core::iter::repeat_n(no_zeros, MAX_OUTPUTS).collect();
        let prediction = Prediction {
            probabilities: full,
            class: u16::MAX,
            ticks: u32::MAX,
        };
        let batch = Response::Batch(core::iter::repeat_n(prediction, MAX_BATCH).collect());
        let input: Input = core::iter::repeat_n(1.0, MAX_INPUTS).collect();
        let requests = Request::PredictBatch(core::iter::repeat_n(input, MAX_BATCH).collect());
        let mut wire = [0u8; MAX_FRAME];
        assert_eq!(encode(&batch, &mut wire).map(|f| f.len()), Ok(MAX_FRAME));
        assert!(encode(&requests, &mut wire).is_ok());
    }

    #[test]
    fn overlong_frame_is_one_error_then_the_next_frame_decodes() {
        let mut wire = vec![0x55u8; MAX_FRAME + 100];
        wire.push(0);
        let mut ok = [0u8; 16];
        wire.extend_from_slice(encode(&Request::Info, &mut ok).unwrap());
        let results = receive::<Request>(&wire);
        assert_eq!(results, vec![Err(FrameError::TooLong), Ok(Request::Info)]);
    }

    #[test]
    fn frame_filling_the_buffer_exactly_decodes() {
        let full: Probabilities = core::iter::repeat_n(0.5, MAX_OUTPUTS).collect();
        let p = Prediction {
            probabilities: full,
            class: u16::MAX,
            ticks: u32::MAX,
        };
        let batch = Response::Batch(core::iter::repeat_n(p, MAX_BATCH).collect());
        assert_eq!(round_trip(&batch), batch);
    }

    #[test]
    fn garbage_frame_is_malformed() {
        assert_eq!(
            receive::<Request>(&[0xFF, 0x13, 0x37, 0]),
            vec![Err(FrameError::Malformed)]
        );
    }

    #[test]
    fn empty_frames_are_ignored() {
        let mut ok = [0u8; 16];
        let mut wire = vec![0, 0, 0];
        wire.extend_from_slice(encode(&Request::SelfCheck, &mut ok).unwrap());
        assert_eq!(receive::<Request>(&wire), vec![Ok(Request::SelfCheck)]);
    }

    #[test]
    fn batch_larger_than_max_batch_is_malformed() {
        // Encoded with a length one above the bound: the decoder refuses it instead of
        // overflowing its bounded vector.
        let input: Input = heapless::Vec::new();
        let mut raw = vec![2u8, (MAX_BATCH + 1) as u8];
        raw.extend(core::iter::repeat_n(0u8, MAX_BATCH + 1));
        let _ = input;
        let mut wire = vec![0u8; raw.len() + 2];
        let n = cobs_encode(&raw, &mut wire);
        wire.truncate(n);
        wire.push(0);
        assert_eq!(receive::<Request>(&wire), vec![Err(FrameError::Malformed)]);
    }

    /// A plain COBS encoder, independent of postcard's, for hand-made frames.
    fn cobs_encode(src: &[u8], dst: &mut [u8]) -> usize {
        let (mut code_at, mut out, mut code) = (0, 1, 1u8);
        for &b in src {
            if b == 0 {
                dst[code_at] = code;
                code_at = out;
                out += 1;
                code = 1;
            } else {
                dst[out] = b;
                out += 1;
                code += 1;
                if code == 0xFF {
                    dst[code_at] = code;
                    code_at = out;
                    out += 1;
                    code = 1;
                }
            }
        }
        dst[code_at] = code;
        out
    }

    #[test]
    fn device_errors_say_what_went_wrong() {
        let e = DeviceError::WrongInputWidth {
            expected: 3,
            found: 2,
        };
        assert_eq!(
            e.to_string(),
            "wrong input width: the model takes 3 values, got 2"
        );
        let e = DeviceError::NoValidModel(DecodeError::WrongMagic);
        assert!(e.to_string().contains("wrong magic"), "{e}");
    }
}
