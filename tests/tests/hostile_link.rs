//! The firmware under a hostile link: thousands of random, truncated, over-long and bit-flipped
//! frames interleaved with valid requests, all written to the emulated UART at once. Every
//! frame's answer is compared with the host's prediction of it (the valid requests' with the
//! host's forward pass, bit for bit), and the firmware answers to the end.

use dendrite_core::protocol::{self, ModelStatus, Request, Response};
use dendrite_firmware::network;
use dendrite_link::QEMU_BOARDS;
use dendrite_tests::models::{self, Xorshift};
use dendrite_tests::oracle::{self, split_frames, Oracle};
use dendrite_tests::{build, emulator};
use dendrite_trainer::HostModel;
use std::io::Write;

const VALID_REQUESTS: usize = 1_000;
const BAD_FRAMES_PER_REQUEST: usize = 10;

/// One damaged frame, terminator included: random bytes, a truncated or bit-flipped valid
/// frame, or one longer than the firmware's buffer.
fn bad_frame(rng: &mut Xorshift, valid: &[u8]) -> (usize, Vec<u8>) {
    let body = &valid[..valid.len() - 1];
    let kind = rng.next_u32() % 100;
    let mut frame = match kind {
        // Over-long: 1 %, because each costs a frame's length of link time.
        0 => (0..network::FRAME + 1 + (rng.next_u32() % 64) as usize)
            .map(|_| (rng.next_u32() % 255 + 1) as u8)
            .collect(),
        1..=39 => (0..1 + rng.next_u32() % 40)
            .map(|_| (rng.next_u32() % 255 + 1) as u8)
            .collect(),
        40..=69 => body[..(rng.next_u32() as usize % body.len()).max(1)].to_vec(),
        _ => {
            // A flipped bit may create a zero byte: the frame then splits in two, as on a wire.
            let mut flipped = body.to_vec();
            let at = rng.next_u32() as usize % flipped.len();
            flipped[at] ^= 1 << (rng.next_u32() % 8);
            flipped
        }
    };
    frame.push(0);
    let kind = match kind {
        0 => 0,
        1..=39 => 1,
        40..=69 => 2,
        _ => 3,
    };
    (kind, frame)
}

/// The frame of `request`.
fn frame(request: &Request) -> Vec<u8> {
    let mut buf = vec![0u8; 2 * network::FRAME];
    protocol::encode(request, &mut buf)
        .expect("a request fits")
        .to_vec()
}

/// The valid frame of a prediction request for `x`.
fn predict_frame(x: &[f32]) -> Vec<u8> {
    frame(&Request::Predict(x.to_vec()))
}

#[test]
fn firmware_answers_every_frame_of_a_hostile_link_and_every_valid_request_correctly() {
    let host = HostModel::load(build::seed_model()).expect("the seed model");
    let mut rng = Xorshift::new(0x0BAD_F00D);
    let inputs = models::random_inputs(VALID_REQUESTS, 3, 0x5EED);
    let mut stream = Vec::new();
    let mut kinds = [0usize; 4]; // over-long, random, truncated, bit-flipped
    let mut batches = 0;
    for (i, x) in inputs.iter().enumerate() {
        let valid = predict_frame(x);
        // At the firmware's batch bound, and one input past it (refused whole, as malformed:
        // its answer would not fit the firmware's frame).
        if i % 50 == 0 {
            let batch = network::LIMITS.batch + (i / 50) % 2;
            stream.extend(frame(&Request::PredictBatch(vec![x.clone(); batch])));
            batches += 1;
        }
        for _ in 0..BAD_FRAMES_PER_REQUEST {
            let (kind, frame) = bad_frame(&mut rng, &valid);
            stream.extend(frame);
            kinds[kind] += 1;
        }
        stream.extend(&valid);
    }
    let oracle = Oracle {
        host: &host,
        status: ModelStatus::Loaded { crc: host.crc() },
        board: QEMU_BOARDS[0].name,
        stack: (0, 0),
        tick_hz: 25_000_000,
    };
    let frames = split_frames(&stream);
    let expected: Vec<Response> = frames.iter().filter_map(|f| oracle.expect(f)).collect();

    let mut qemu = emulator::boot(build::firmware(), Some(&build::seed_model()));
    // The link learns the firmware's frame bounds from its architecture.
    qemu.link().info().expect("the firmware describes itself");
    let started = std::time::Instant::now();
    let port = qemu.link().port_mut();
    port.write_all(&stream).expect("writing to the UART");
    port.flush().expect("flushing the UART");
    let (mut valid_answered, mut batches_answered) = (0, 0);
    for (i, want) in expected.iter().enumerate() {
        let got = qemu
            .link()
            .receive()
            .unwrap_or_else(|e| panic!("answer {i} of {}: {e}", expected.len()));
        assert_eq!(
            oracle::wire(&oracle::without_measurements(got)),
            oracle::wire(want),
            "answer {i}"
        );
        valid_answered += usize::from(matches!(want, Response::Prediction(_)));
        batches_answered +=
            usize::from(matches!(want, Response::Batch(ps) if ps.len() == network::LIMITS.batch));
    }
    // Still serving after all of it.
    let info = qemu.link().info().expect("the firmware still answers");
    assert_eq!(info.model, oracle.status);
    let bad: usize = kinds.iter().sum();
    eprintln!(
        "{bad} bad frames ({} over-long, {} random, {} truncated, {} bit-flipped) and \
         {VALID_REQUESTS} valid requests ({} bytes, {} answers, {valid_answered} predictions) \
         in {:.1} s",
        kinds[0],
        kinds[1],
        kinds[2],
        kinds[3],
        stream.len(),
        expected.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(bad >= 10_000);
    assert_eq!(
        batches_answered,
        batches / 2,
        "every batch within the bound answered"
    );
    assert!(
        valid_answered >= VALID_REQUESTS,
        "{valid_answered} predictions"
    );
}
