//! Responses encoded by hand into postcard's wire format, COBS-framed as they are written.
//!
//! serde's derived encoder is the reference (the host decodes with it, and the tests check these
//! bytes against it for every response); this one exists for the target's sake: a few hundred
//! bytes of flash where serde's generic serializer takes kilobytes. The matches below are
//! exhaustive, so a new variant anywhere in a response does not compile until it is encoded here.

use super::{
    CostReport, DeviceError, DeviceInfo, FrameError, ModelStatus, PredictionRef, ResponseRef,
    SelfCheckReport,
};
use crate::format::{Architecture, DecodeError};

/// Encodes `response` as one frame (COBS, terminated by `0x00`) into `buf`: the bytes
/// [`encode`](super::encode) gives for the [`Response`](super::Response) it refers to.
///
/// # Errors
/// [`FrameError::TooLong`] when `buf` is too small (never for a buffer of
/// [`Limits::frame`](super::Limits::frame) bytes and outputs of the limits' width).
pub fn encode_response<'b>(
    response: ResponseRef<'_>,
    buf: &'b mut [u8],
) -> Result<&'b [u8], FrameError> {
    let mut w = Writer::new(buf);
    match response {
        ResponseRef::Info(info) => w.tag(0).info(info),
        ResponseRef::Prediction(p) => w.tag(1).prediction(p),
        ResponseRef::SelfCheck(report) => w.tag(3).self_check(report),
        ResponseRef::Cost(report) => w.tag(4).cost(report),
        ResponseRef::Error(e) => w.tag(5).device_error(e),
    }
    w.finish()
}

/// Encodes an owned [`Response`](super::Response) with the device's encoder: by reference
/// ([`encode_response`]), a batch one prediction at a time ([`BatchEncoder`]). The same bytes
/// as [`encode`](super::encode), which is what the protocol's tests and fuzz targets check it
/// against.
///
/// # Errors
/// [`FrameError::TooLong`] when `buf` is too small.
#[cfg(feature = "alloc")]
pub fn encode_owned_response<'b>(
    response: &super::Response,
    buf: &'b mut [u8],
) -> Result<&'b [u8], FrameError> {
    use super::Response;
    match response {
        Response::Info(info) => encode_response(ResponseRef::Info(info), buf),
        Response::Prediction(p) => encode_response(ResponseRef::Prediction(p.into()), buf),
        Response::Batch(ps) => {
            let mut batch = BatchEncoder::new(ps.len(), buf);
            ps.iter().for_each(|p| batch.push(p.into()));
            batch.finish()
        }
        Response::SelfCheck(r) => encode_response(ResponseRef::SelfCheck(r), buf),
        Response::Cost(r) => encode_response(ResponseRef::Cost(r), buf),
        Response::Error(e) => encode_response(ResponseRef::Error(e), buf),
    }
}

/// Encodes a [`Response::Batch`](super::Response::Batch) one prediction at a time, as each is
/// computed: the same bytes as [`encode`](super::encode) of the whole response, without holding
/// the predictions at once (a device's stack stays small).
///
/// ```
/// use dendrite_core::protocol::{BatchEncoder, PredictionRef};
/// let mut buf = [0u8; 64];
/// let mut batch = BatchEncoder::new(2, &mut buf);
/// for outputs in [[0.25f32, 0.75], [1.0, 0.0]] {
///     batch.push(PredictionRef { outputs: &outputs, class: Some(0), reconstruction: None, ticks: 7 });
/// }
/// assert!(batch.finish().is_ok());
/// ```
pub struct BatchEncoder<'b> {
    w: Writer<'b>,
}

impl<'b> BatchEncoder<'b> {
    /// Starts a batch of `count` predictions in `buf`; push exactly `count`.
    pub fn new(count: usize, buf: &'b mut [u8]) -> Self {
        let mut w = Writer::new(buf);
        w.tag(2).varint(count as u32);
        Self { w }
    }

    /// Appends the next prediction.
    pub fn push(&mut self, prediction: PredictionRef<'_>) {
        self.w.prediction(prediction);
    }

    /// Closes the frame.
    ///
    /// # Errors
    /// [`FrameError::TooLong`] when the buffer was too small (never for a buffer of
    /// [`Limits::frame`](super::Limits::frame) bytes and at most
    /// [`Limits::batch`](super::Limits::batch) predictions of the limits' width).
    pub fn finish(self) -> Result<&'b [u8], FrameError> {
        self.w.finish()
    }
}

/// Postcard's encodings, COBS-encoded as they are written, exactly as postcard's `Cobs` flavor
/// does it (a placeholder code byte first, each code patched when its block ends).
struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    fits: bool,
    cobs: cobs::EncoderState,
}

impl<'b> Writer<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        let mut w = Self {
            buf,
            len: 0,
            fits: true,
            cobs: cobs::EncoderState::default(),
        };
        w.raw(0);
        w
    }

    /// Appends an encoded byte.
    fn raw(&mut self, byte: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => self.fits = false,
        }
    }

    /// Patches a block's code byte.
    fn patch(&mut self, index: usize, code: u8) {
        match self.buf.get_mut(index) {
            Some(slot) => *slot = code,
            None => self.fits = false,
        }
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for &byte in bytes {
            match self.cobs.push(byte) {
                cobs::PushResult::AddSingle(b) => self.raw(b),
                cobs::PushResult::ModifyFromStartAndSkip((index, code)) => {
                    self.patch(index, code);
                    self.raw(0);
                }
                cobs::PushResult::ModifyFromStartAndPushAndSkip((index, code, b)) => {
                    self.patch(index, code);
                    self.raw(b);
                    self.raw(0);
                }
            }
        }
        self
    }

    /// Closes the last block and appends the frame's terminator.
    fn finish(mut self) -> Result<&'b [u8], FrameError> {
        let (index, code) = self.cobs.clone().finalize();
        self.patch(index, code);
        self.raw(0);
        let Writer { buf, len, fits, .. } = self;
        let buf: &'b [u8] = buf;
        match buf.get(..len) {
            Some(frame) if fits => Ok(frame),
            _ => Err(FrameError::TooLong),
        }
    }

    /// A varint (LEB128): the encoding of every postcard integer but `u8`/`i8`, and of enum
    /// variant indexes and sequence lengths.
    fn varint(&mut self, mut value: u32) -> &mut Self {
        let mut out = [0u8; 5];
        let mut len = 0;
        for slot in out.iter_mut() {
            len += 1;
            if value < 0x80 {
                *slot = value as u8;
                break;
            }
            *slot = (value as u8) | 0x80;
            value >>= 7;
        }
        self.bytes(out.get(..len).unwrap_or(&out))
    }

    /// An enum variant index.
    fn tag(&mut self, index: u32) -> &mut Self {
        self.varint(index)
    }

    fn f32s(&mut self, values: &[f32]) -> &mut Self {
        self.varint(values.len() as u32);
        values.iter().for_each(|v| {
            self.bytes(&v.to_le_bytes());
        });
        self
    }

    fn str(&mut self, s: &str) -> &mut Self {
        self.varint(s.len() as u32).bytes(s.as_bytes())
    }

    fn info(&mut self, info: &DeviceInfo) {
        let v = info.firmware;
        self.varint(info.protocol.into())
            .varint(v.major.into())
            .varint(v.minor.into())
            .varint(v.patch.into())
            .str(&info.board)
            .architecture(&info.architecture)
            .model_status(info.model);
    }

    fn architecture(&mut self, a: &Architecture) -> &mut Self {
        self.varint(a.input.into()).varint(a.layers.len() as u32);
        for &(units, activation) in &a.layers {
            self.varint(units.into()).tag(activation as u32);
        }
        self
    }

    fn prediction(&mut self, p: PredictionRef<'_>) {
        self.f32s(p.outputs);
        match p.class {
            None => self.bytes(&[0]),
            Some(class) => self.bytes(&[1]).varint(class.into()),
        };
        match p.reconstruction {
            None => self.bytes(&[0]),
            Some(r) => self
                .bytes(&[1])
                .bytes(&r.error.to_le_bytes())
                .bytes(&[u8::from(r.anomalous)]),
        }
        .varint(p.ticks);
    }

    fn self_check(&mut self, r: &SelfCheckReport) {
        self.model_status(r.model)
            .varint(r.stack_used)
            .varint(r.stack_size);
    }

    fn cost(&mut self, r: &CostReport) {
        self.varint(r.iterations)
            .varint(r.ticks)
            .varint(r.empty_ticks)
            .varint(r.tick_hz)
            .varint(r.network_bytes)
            .varint(r.stack_bytes);
    }

    fn model_status(&mut self, status: ModelStatus) -> &mut Self {
        match status {
            ModelStatus::Loaded { crc } => self.tag(0).varint(crc),
            ModelStatus::Invalid(e) => self.tag(1).decode_error(e),
        }
    }

    fn device_error(&mut self, e: &DeviceError) {
        match *e {
            DeviceError::MalformedFrame => self.tag(0),
            DeviceError::FrameTooLong => self.tag(1),
            DeviceError::WrongInputWidth { expected, found } => {
                self.tag(2).varint(expected.into()).varint(found.into())
            }
            DeviceError::NonFiniteInput { index } => self.tag(3).varint(index.into()),
            DeviceError::NoValidModel(reason) => self.tag(4).decode_error(reason),
            DeviceError::Unsupported => self.tag(5),
        };
    }

    fn decode_error(&mut self, e: DecodeError) -> &mut Self {
        match e {
            DecodeError::Empty => self.tag(0),
            DecodeError::WrongMagic => self.tag(1),
            DecodeError::UnsupportedVersion { found } => self.tag(2).varint(found.into()),
            DecodeError::Truncated => self.tag(3),
            DecodeError::TrailingBytes => self.tag(4),
            DecodeError::CrcMismatch { stored, computed } => {
                self.tag(5).varint(stored).varint(computed)
            }
            DecodeError::Malformed => self.tag(6),
            DecodeError::NonFinite => self.tag(7),
            DecodeError::InvalidNormalization => self.tag(8),
            DecodeError::ArchitectureMismatch => self.tag(9),
            DecodeError::UnsupportedLayer { dtype } => self.tag(10).bytes(&[dtype]),
            DecodeError::Unaligned => self.tag(11),
        }
    }
}
