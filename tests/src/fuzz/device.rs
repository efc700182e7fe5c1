//! Fuzz bodies for what the device runs on link bytes: its request handler (`Server::feed`, the
//! firmware's own code built for the host) and its hand-written protocol codec, checked against
//! serde's.

use crate::models;
use crate::oracle::{device_decode, split_frames, wire, Oracle};
use dendrite_core::format::DecodeError;
use dendrite_core::protocol::{
    self, CostReport, Fault, FrameError, ModelStatus, Request, Response, MAX_BATCH,
};
use dendrite_firmware::{network, Buffers, Platform, Server};
use dendrite_trainer::HostModel;
use std::convert::Infallible;
use std::path::Path;
use std::sync::OnceLock;

/// The largest `Cost` request the serve target passes on: each iteration is a forward pass, so
/// larger ones would measure the network's speed, not the decoder's robustness (the firmware
/// clamps them to `MAX_COST_ITERATIONS`, which a firmware unit test pins).
const MAX_FUZZED_COST: u32 = 64;

/// What the firmware's weights region holds for one serve run (the input's first byte picks).
#[derive(Clone, Copy, Debug)]
enum Region {
    Valid,
    Erased,
    Corrupted,
}

impl Region {
    const ALL: [Region; 3] = [Region::Valid, Region::Erased, Region::Corrupted];

    /// The region's bytes, as flash holds them: at a 4-byte-aligned address for the whole
    /// program (the firmware reads the weights in place), erased after the model. Made once per
    /// kind.
    fn bytes(self) -> &'static [u8] {
        static REGIONS: OnceLock<[&'static [u8]; 3]> = OnceLock::new();
        let regions = REGIONS.get_or_init(|| {
            Region::ALL.map(|region| {
                let (bytes, _) = model();
                let mut content = match region {
                    Region::Valid => bytes.clone(),
                    Region::Erased => Vec::new(),
                    Region::Corrupted => models::corrupted(bytes),
                };
                content.resize(content.len() + 64, 0xFF);
                let memory = Vec::leak(vec![0u8; content.len() + 3]);
                let start = memory.as_ptr().align_offset(4);
                let flash = &mut memory[start..start + content.len()];
                flash.copy_from_slice(&content);
                &*flash
            })
        });
        regions[self as usize]
    }
}

/// A valid model file of the firmware's architecture, and the host's reading of it.
fn model() -> &'static (Vec<u8>, HostModel) {
    static MODEL: OnceLock<(Vec<u8>, HostModel)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = models::synthetic(network::INPUT as u16, &network::LAYERS, 0xD3D7);
        let host = HostModel::from_bytes(&bytes, Path::new("fuzz.postcard"))
            .expect("a valid synthetic model");
        (bytes, host)
    })
}

/// A board on the host: a weights region, a clock that stands still, a record of fault requests.
struct FuzzBoard {
    region: &'static [u8],
    faults: usize,
}

impl Platform for FuzzBoard {
    const TICK_HZ: u32 = 1_000;
    fn ticks(&mut self) -> u32 {
        0
    }
    fn weights(&self) -> &'static [u8] {
        self.region
    }
    fn stack_usage(&self) -> (u32, u32) {
        (512, 8192)
    }
    fn force_fault(&mut self, _: Fault) {
        self.faults += 1;
    }
}

/// A pin that remembers its last state.
#[derive(Default)]
struct Led(Option<bool>);

impl embedded_hal::digital::ErrorType for Led {
    type Error = Infallible;
}

impl embedded_hal::digital::OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.0 = Some(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.0 = Some(true);
        Ok(())
    }
}

/// Feeds `data[1..]` byte by byte to the firmware's request handler, with the weights region
/// `data[0]` picks (valid model, erased, corrupted), and checks every answer bit for bit
/// against the host's prediction of it: one response per non-empty frame, in order; a frame
/// longer than the firmware's frame (`network::FRAME`) answered `FrameTooLong`, one serde refuses `MalformedFrame`; an
/// accepted request answered as the protocol says, predictions with the host's bits. Returns
/// how many answers were checked.
pub fn firmware_serve(data: &[u8]) -> usize {
    let Some((&pick, stream)) = data.split_first() else {
        return 0;
    };
    let (_, host) = model();
    let region = Region::ALL[usize::from(pick % 3)];
    let mut board = FuzzBoard {
        region: region.bytes(),
        faults: 0,
    };
    let mut buffers = Buffers::new();
    let mut server = Server::new(&mut buffers, "fuzz", &board);
    let status = server.status();
    match (region, status) {
        (Region::Valid, ModelStatus::Loaded { crc }) => assert_eq!(crc, host.crc()),
        (Region::Erased, ModelStatus::Invalid(DecodeError::Empty)) => {}
        (Region::Corrupted, ModelStatus::Invalid(DecodeError::CrcMismatch { .. })) => {}
        other => panic!("boot status {other:?}"),
    }
    let oracle = Oracle {
        host,
        status,
        board: "fuzz",
        stack: board.stack_usage(),
        tick_hz: FuzzBoard::TICK_HZ,
    };
    let mut led = Led::default();
    let (mut faults, mut checked) = (0, 0);
    for frame in split_frames(stream) {
        let expected = oracle.expect(&frame);
        if let Some(Response::Cost(CostReport { iterations, .. })) = &expected {
            if *iterations > MAX_FUZZED_COST {
                continue;
            }
        }
        let mut answers = Vec::new();
        for &byte in &frame.bytes {
            if let Some(answer) = server.feed(byte, &mut board, &mut led) {
                answers.push(answer.to_vec());
            }
        }
        let expected: Vec<Vec<u8>> = expected.iter().map(wire).collect();
        assert_eq!(answers, expected, "answers to frame {:02x?}", frame.bytes);
        checked += answers.len();
        if let Some(Response::Prediction(p)) = oracle.expect(&frame) {
            if let Some(class) = p.class {
                assert_eq!(led.0, Some(class != 0), "the pin shows the class");
            }
        }
        faults += usize::from(matches!(frame.request, Some(Request::ForceFault(_))));
        assert_eq!(board.faults, faults, "fault requests reach the board");
    }
    checked
}

/// Differential: the device's hand-written request decoder against serde's, on `data` as a
/// received frame and on `data` COBS-encoded as a message (so garbage reaches the decoder
/// proper): both accept the same frames and read the same request. Then the device's response
/// encoder against serde's, on whatever response `data` decodes to.
pub fn protocol_diff(data: &[u8]) {
    agree_on_request(data);
    let mut framed = vec![0u8; cobs::max_encoding_length(data.len()) + 1];
    let len = cobs::encode(data, &mut framed);
    framed.truncate(len + 1);
    agree_on_request(&framed);
    let mut copy = framed.clone();
    if let Ok(response) = protocol::decode::<Response>(&mut copy) {
        // Room for whatever the bytes decoded to: they hold it, plus COBS and varint slack.
        let room = 2 * framed.len() + 64;
        let by_hand = by_hand(&response, room);
        let mut reference = vec![0u8; room];
        let by_serde = protocol::encode(&response, &mut reference).map(<[u8]>::to_vec);
        assert_eq!(by_hand, by_serde, "response {response:?}");
    }
}

/// `response` encoded as the device does: by reference, a batch one prediction at a time.
fn by_hand(response: &Response, room: usize) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0u8; room];
    protocol::encode_owned_response(response, &mut buf).map(<[u8]>::to_vec)
}

fn agree_on_request(frame: &[u8]) {
    let mut by_hand = frame.to_vec();
    let view =
        protocol::decode_request(&mut by_hand, MAX_BATCH).map(|v| request_wire(&Request::from(&v)));
    let reference = device_decode(frame, MAX_BATCH).ok_or(FrameError::Malformed);
    assert_eq!(
        view,
        reference.map(|r| request_wire(&r)),
        "frame {frame:02x?}"
    );
}

/// A request's frame: compares requests bit for bit, NaN inputs included.
fn request_wire(request: &Request) -> Vec<u8> {
    let mut buf = vec![0u8; 2 * postcard::experimental::serialized_size(request).unwrap_or(0) + 16];
    protocol::encode(request, &mut buf)
        .expect("a decoded request fits")
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(request: &Request) -> Vec<u8> {
        let mut buf = vec![0u8; network::FRAME];
        protocol::encode(request, &mut buf).expect("fits").to_vec()
    }

    #[test]
    fn serve_checks_one_answer_per_non_empty_frame_on_every_region() {
        let x = vec![0.5; network::INPUT];
        let mut stream = frame(&Request::Predict(x.clone()));
        stream.extend([0x13, 0x37, 0, 0]); // garbage, then an empty frame
        stream.extend(vec![0x42; network::FRAME + 1]);
        stream.push(0);
        // One input more than the firmware takes in a batch: refused as malformed.
        stream.extend(frame(&Request::PredictBatch(vec![
            x;
            network::LIMITS.batch + 1
        ])));
        stream.push(0);
        stream.extend(frame(&Request::Info));
        stream.extend(frame(&Request::ForceFault(Fault::HardFault)));
        for pick in 0..3u8 {
            let data = [&[pick][..], &stream].concat();
            assert_eq!(firmware_serve(&data), 6, "region {pick}");
        }
    }

    #[test]
    fn protocol_diff_accepts_agreeing_decoders() {
        for request in [Request::Info, Request::Cost { iterations: 7 }] {
            protocol_diff(&frame(&request));
        }
        protocol_diff(&[0x02, 0x09]); // a batch longer than MAX_BATCH: both refuse
    }

    /// Found by fuzzing: a length of zero in a 7-byte varint, which a 64-bit host's serde reads
    /// and the 32-bit device's refuses (`fuzz/regressions/protocol_diff`).
    #[test]
    fn device_refuses_a_length_only_a_64_bit_host_reads() {
        let message = [
            2, 2, 1, 3, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0,
        ];
        let mut frame = [0u8; 32];
        let len = cobs::encode(&message, &mut frame);
        let frame = &mut frame[..=len];
        let host: Result<Request, _> = protocol::decode(&mut frame.to_vec());
        assert!(matches!(host, Ok(Request::PredictBatch(_))), "{host:?}");
        assert_eq!(device_decode(frame, MAX_BATCH), None);
        assert_eq!(
            protocol::decode_request(frame, MAX_BATCH),
            Err(FrameError::Malformed)
        );
        protocol_diff(&message);
    }
}
