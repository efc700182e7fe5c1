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
