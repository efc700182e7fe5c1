extern crate std;
use super::*;
use crate::protocol::RequestView;
use crate::Activation;
use proptest::collection::vec;
use proptest::prelude::*;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

/// The limits the properties run at: wide enough that lengths need two-byte varints.
pub(super) const LIMITS: Limits = Limits::new(300, 200);

fn floats(values: Vec<u32>) -> Vec<f32> {
    values.into_iter().map(f32::from_bits).collect()
}

fn any_input() -> impl Strategy<Value = Vec<f32>> {
    vec(any::<u32>(), 0..=LIMITS.inputs).prop_map(floats)
}

fn any_prediction() -> impl Strategy<Value = Prediction> {
    (
        vec(any::<u32>(), 0..=LIMITS.outputs),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any_reconstruction()),
        any::<u32>(),
    )
        .prop_map(|(p, class, reconstruction, ticks)| Prediction {
            outputs: floats(p),
            class,
            reconstruction,
            ticks,
        })
}

fn any_reconstruction() -> impl Strategy<Value = Reconstruction> {
    (any::<u32>(), any::<bool>()).prop_map(|(error, anomalous)| Reconstruction {
        error: f32::from_bits(error),
        anomalous,
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
        Just(DecodeError::Unaligned),
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
        vec(any_input(), 0..=LIMITS.batch).prop_map(Request::PredictBatch),
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
    let cost = any::<[u32; 6]>().prop_map(|c| {
        Response::Cost(CostReport {
            iterations: c[0],
            ticks: c[1],
            empty_ticks: c[2],
            tick_hz: c[3],
            network_bytes: c[4],
            stack_bytes: c[5],
        })
    });
    prop_oneof![
        info,
        any_prediction().prop_map(Response::Prediction),
        vec(any_prediction(), 0..=LIMITS.batch).prop_map(Response::Batch),
        check,
        cost,
        any_error().prop_map(Response::Error),
    ]
}

/// Sends `frame` through a receiver byte by byte; returns every frame it hands out, decoded.
fn receive<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Vec<Result<T, FrameError>> {
    let mut rx = FrameReceiver::with_buffer(vec![0u8; LIMITS.frame]);
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
    let mut wire = vec![0u8; LIMITS.frame];
    let frame = encode(message, &mut wire).expect("every message fits the limits' frame");
    let mut got = receive::<T>(frame);
    assert_eq!(got.len(), 1);
    let decoded = got.remove(0).expect("a frame we encoded decodes");
    let mut again = vec![0u8; LIMITS.frame];
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
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&back.outputs), bits(&p.outputs));
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

/// `response` encoded by hand, as a device does: by reference, a batch one prediction at a time.
fn by_hand(response: &Response) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0u8; LIMITS.frame];
    encode_owned_response(response, &mut buf).map(<[u8]>::to_vec)
}

proptest! {
    #[test]
    fn responses_by_hand_encode_as_serde_does(response in any_response()) {
        let mut wire = vec![0u8; LIMITS.frame];
        prop_assert_eq!(by_hand(&response), encode(&response, &mut wire).map(<[u8]>::to_vec));
    }

    #[test]
    fn every_message_at_the_limits_fits_the_frame(inputs in 0usize..1100, outputs in 0usize..1100) {
        let limits = Limits::new(inputs, outputs);
        prop_assert!((1..=MAX_BATCH).contains(&limits.batch));
        let no_zeros = f32::from_bits(0x3F8F_8F8F);
        let p = Prediction {
            outputs: vec![no_zeros; outputs],
            class: Some(u16::MAX),
            reconstruction: Some(Reconstruction { error: no_zeros, anomalous: true }),
            ticks: u32::MAX,
        };
        let x = vec![no_zeros; inputs];
        let mut wire = vec![0u8; limits.frame];
        for response in [Response::Prediction(p.clone()), Response::Batch(vec![p; limits.batch])] {
            prop_assert!(encode(&response, &mut wire).is_ok());
        }
        for request in [Request::Predict(x.clone()), Request::PredictBatch(vec![x; limits.batch])] {
            prop_assert!(encode(&request, &mut wire).is_ok());
        }
    }
}

#[test]
fn limits_follow_the_widths() {
    // The seed's 3 inputs, 2 outputs: a full batch in a small frame.
    let seed = Limits::new(3, 2);
    assert_eq!(seed.batch, MAX_BATCH);
    assert!(seed.frame < 256, "{seed:?}");
    // 1,024 inputs and outputs (an autoencoder): one per batch, a frame of about 4 KiB.
    let wide = Limits::new(1024, 1024);
    assert_eq!(wide.batch, 1);
    assert!((4096..4200).contains(&wide.frame), "{wide:?}");
    // 256 inputs: as many as fit BATCH_BYTES.
    assert_eq!(Limits::new(256, 4).batch, BATCH_BYTES / (3 + 4 * 256));
}

#[test]
fn largest_messages_fill_the_frame_exactly_or_less() {
    // No zero byte anywhere, so COBS adds the most it can.
    let no_zeros = f32::from_bits(0x3F8F_8F8F);
    let prediction = Prediction {
        outputs: vec![no_zeros; LIMITS.outputs],
        class: Some(u16::MAX),
        reconstruction: Some(Reconstruction {
            error: no_zeros,
            anomalous: true,
        }),
        ticks: u32::MAX,
    };
    let batch = Response::Batch(vec![prediction; LIMITS.batch]);
    let requests = Request::PredictBatch(vec![vec![no_zeros; LIMITS.inputs]; LIMITS.batch]);
    let mut wire = vec![0u8; LIMITS.frame];
    let longest = [
        encode(&batch, &mut wire).map(|f| f.len()),
        encode(&requests, &mut wire).map(|f| f.len()),
    ];
    assert!(longest.iter().all(Result::is_ok), "{longest:?}");
    assert!(
        longest.iter().flatten().any(|&n| n + 8 > LIMITS.frame),
        "the bound is tight: {longest:?} of {}",
        LIMITS.frame
    );
}

#[test]
fn overlong_frame_is_one_error_then_the_next_frame_decodes() {
    let mut wire = vec![0x55u8; LIMITS.frame + 100];
    wire.push(0);
    let mut ok = [0u8; 16];
    wire.extend_from_slice(encode(&Request::Info, &mut ok).unwrap());
    let results = receive::<Request>(&wire);
    assert_eq!(results, vec![Err(FrameError::TooLong), Ok(Request::Info)]);
}

#[test]
fn frame_filling_the_buffer_exactly_is_handed_out_one_byte_more_is_too_long() {
    let mut rx = FrameReceiver::<[u8; 8]>::new();
    let eight = [0x11u8; 8];
    let got: Vec<_> = eight
        .iter()
        .chain(&[0])
        .filter_map(|&b| rx.push(b).map(|f| f.map(|f| f.len())))
        .collect();
    assert_eq!(got, vec![Ok(8)]);
    let got: Vec<_> = eight
        .iter()
        .chain(&[0x11, 0])
        .filter_map(|&b| rx.push(b).map(|f| f.map(|f| f.len())))
        .collect();
    assert_eq!(got, vec![Err(FrameError::TooLong)]);
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
fn batch_larger_than_the_device_takes_is_malformed() {
    // A batch of `max + 1` empty inputs: the device refuses it (its answer would not fit the
    // device's frame), whatever serde's decoder makes of it.
    for max in [1, 3, MAX_BATCH] {
        let mut raw = vec![2u8, (max + 1) as u8];
        raw.extend(core::iter::repeat_n(0u8, max + 1));
        let mut wire = vec![0u8; raw.len() + 2];
        let n = cobs_encode(&raw, &mut wire);
        wire.truncate(n);
        wire.push(0);
        assert_eq!(
            decode_request(&mut wire.clone(), max),
            Err(FrameError::Malformed)
        );
        raw[1] = max as u8;
        raw.pop();
        let mut wire = vec![0u8; raw.len() + 2];
        let n = cobs_encode(&raw, &mut wire);
        wire.truncate(n);
        assert!(
            matches!(decode_request(&mut wire, max), Ok(RequestView::PredictBatch(xs)) if xs.len() == max)
        );
    }
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
