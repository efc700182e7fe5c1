extern crate std;
use super::super::tests::{any_request, LIMITS};
use super::super::{decode, encode, Request};
use super::*;
use proptest::prelude::*;
use std::vec::Vec;

/// The frame of `request`: compares requests bit for bit (NaN inputs included).
fn wire(request: &Request) -> Vec<u8> {
    let mut wire = std::vec![0u8; LIMITS.frame];
    encode(request, &mut wire).expect("fits").to_vec()
}

proptest! {
    #[test]
    fn decodes_every_request_as_serde_does(request in any_request()) {
        let mut frame = wire(&request);
        let view = decode_request(&mut frame, LIMITS.batch).map(|v| wire(&Request::from(&v)));
        prop_assert_eq!(view, Ok(wire(&request)));
    }

    #[test]
    fn accepts_no_garbage_that_serde_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        // COBS-encode arbitrary message bytes, so garbage reaches the decoder proper.
        let mut frame = [0u8; 256];
        let len = cobs::encode(&bytes, &mut frame);
        let mut by_hand: Vec<u8> = frame[..len].to_vec();
        let mut by_serde = by_hand.clone();
        if let Ok(view) = decode_request(&mut by_hand, MAX_BATCH) {
            let by_serde = decode::<Request>(&mut by_serde).map(|r| wire(&r));
            prop_assert_eq!(by_serde, Ok(wire(&Request::from(&view))));
        }
    }
}

#[test]
fn inputs_of_any_width_are_read_in_place() {
    for width in [0usize, 1, 16, 17, 300, 1024] {
        let x: Vec<f32> = (0..width).map(|i| i as f32 - 0.5).collect();
        let mut frame = wire(&Request::Predict(x.clone()));
        let Ok(RequestView::Predict(view)) = decode_request(&mut frame, 1) else {
            panic!("width {width}")
        };
        assert_eq!(view.len(), width);
        assert_eq!(view.iter().collect::<Vec<_>>(), x);
        let mut out = std::vec![0.0; width + 1];
        assert_eq!(view.copy_to(&mut out), width);
    }
}

#[test]
fn an_input_longer_than_its_bytes_is_malformed() {
    // Says 5 values, holds 4 bytes.
    let message = [1u8, 5, 0, 0, 0x80, 0x3F];
    let mut frame = [0u8; 16];
    let len = cobs::encode(&message, &mut frame);
    assert_eq!(
        decode_request(&mut frame[..len], MAX_BATCH),
        Err(FrameError::Malformed)
    );
}
