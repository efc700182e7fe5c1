//! Writes the seed corpora of the fuzz targets: small valid inputs the fuzzer mutates from.
//!
//! `cargo run -p dendrite-tests --example fuzz_seeds`

use dendrite_core::Activation;
use dendrite_tests::models::synthetic;
use std::path::Path;

fn main() -> std::io::Result<()> {
    use Activation::*;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/model_decode");
    std::fs::create_dir_all(&dir)?;
    let seed = synthetic(3, &[(4, Relu), (2, Softmax)], 1);
    std::fs::write(dir.join("seed-3-4-2"), &seed)?;
    let mut region = seed.clone();
    region.resize(seed.len() + 64, 0xFF);
    std::fs::write(dir.join("seed-in-erased-region"), region)?;
    std::fs::write(dir.join("binary-2-1"), synthetic(2, &[(1, Sigmoid)], 2))?;
    let deep = [(8, Tanh), (8, Relu), (6, Linear), (4, Relu), (3, Softmax)];
    std::fs::write(dir.join("deep-5-layers"), synthetic(5, &deep, 3))?;
    frames()?;
    serve()?;
    protocol_messages()
}

/// The corpus directory of fuzz target `target`.
fn corpus(target: &str) -> std::io::Result<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// One of each request, inputs as wide as the firmware's network.
fn requests() -> Vec<(&'static str, dendrite_core::protocol::Request)> {
    use dendrite_core::protocol::{Fault, Request};
    use dendrite_firmware::network::{INPUT, LIMITS};
    let input: Vec<f32> = (0..INPUT).map(|i| i as f32 * 1.5 - 2.0).collect();
    let mut nan = input.clone();
    nan[0] = f32::NAN;
    let batch = vec![input.clone(); 3];
    vec![
        ("info", Request::Info),
        ("predict", Request::Predict(input.clone())),
        ("predict-nan", Request::Predict(nan)),
        ("predict-narrow", Request::Predict(Vec::new())),
        ("predict-wide", Request::Predict(vec![0.5; INPUT + 1])),
        ("batch", Request::PredictBatch(batch)),
        (
            "batch-full",
            Request::PredictBatch(vec![input.clone(); LIMITS.batch]),
        ),
        (
            "batch-over",
            Request::PredictBatch(vec![input.clone(); LIMITS.batch + 1]),
        ),
        ("self-check", Request::SelfCheck),
        ("cost", Request::Cost { iterations: 3 }),
        ("fault", Request::ForceFault(Fault::Panic)),
    ]
}

/// `firmware_serve`: a region pick (valid, erased, corrupted), then frames.
fn serve() -> std::io::Result<()> {
    use dendrite_core::protocol::encode;
    use dendrite_firmware::network::FRAME;
    let dir = corpus("firmware_serve")?;
    let mut stream = Vec::new();
    for (name, request) in requests() {
        let mut buf = [0u8; 2 * FRAME];
        let frame = encode(&request, &mut buf).expect("requests fit a frame");
        std::fs::write(dir.join(name), [&[0u8][..], frame].concat())?;
        stream.extend_from_slice(frame);
        stream.extend_from_slice(&[0x13, 0x37, 0x00, 0x00]);
    }
    for (pick, region) in ["valid", "erased", "corrupted"].iter().enumerate() {
        let seed = [&[pick as u8][..], &stream].concat();
        std::fs::write(dir.join(format!("stream-{region}")), seed)?;
    }
    let over_long = [&[0u8][..], &[0x42; FRAME + 3], &[0]].concat();
    std::fs::write(dir.join("over-long"), over_long)
}

/// `protocol_diff`: postcard messages without framing (the target frames them too), requests
/// and the responses a device sends.
fn protocol_messages() -> std::io::Result<()> {
    use dendrite_core::protocol::{CostReport, DeviceError, Prediction, Response};
    let dir = corpus("protocol_diff")?;
    for (name, request) in requests() {
        let bytes = postcard::to_allocvec(&request).expect("serializable");
        std::fs::write(dir.join(format!("request-{name}")), bytes)?;
    }
    let prediction = Prediction {
        outputs: vec![0.25, 0.75],
        class: Some(1),
        reconstruction: None,
        ticks: 1234,
    };
    let regression = Prediction {
        outputs: vec![-1.5],
        class: None,
        reconstruction: None,
        ticks: 99,
    };
    let anomaly = Prediction {
        outputs: vec![0.5, -0.5, 2.0],
        class: None,
        reconstruction: Some(dendrite_core::Reconstruction {
            error: 1.25,
            anomalous: true,
        }),
        ticks: 77,
    };
    let responses = [
        ("prediction", Response::Prediction(prediction.clone())),
        (
            "batch",
            Response::Batch(vec![prediction.clone(), prediction]),
        ),
        ("regression", Response::Prediction(regression)),
        ("anomaly", Response::Prediction(anomaly)),
        (
            "error",
            Response::Error(DeviceError::WrongInputWidth {
                expected: 3,
                found: 9,
            }),
        ),
        (
            "cost",
            Response::Cost(CostReport {
                iterations: 10,
                ticks: 400,
                empty_ticks: 20,
                tick_hz: 25_000_000,
                network_bytes: 24,
                stack_bytes: 160,
            }),
        ),
    ];
    for (name, response) in responses {
        let bytes = postcard::to_allocvec(&response).expect("serializable");
        std::fs::write(dir.join(format!("response-{name}")), bytes)?;
    }
    Ok(())
}

/// One frame of each request, and a stream of several with noise between them.
fn frames() -> std::io::Result<()> {
    use dendrite_core::protocol::{encode, Request};
    use dendrite_firmware::network::FRAME;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/frame_decode");
    std::fs::create_dir_all(&dir)?;
    let input = vec![0.0, 1.5, -2.0];
    let batch = vec![input.clone(); 3];
    let requests = [
        ("info", Request::Info),
        ("predict", Request::Predict(input)),
        ("batch", Request::PredictBatch(batch)),
        ("self-check", Request::SelfCheck),
        ("cost", Request::Cost { iterations: 100 }),
    ];
    let mut stream = Vec::new();
    for (name, request) in &requests {
        let mut buf = [0u8; FRAME];
        let frame = encode(request, &mut buf).expect("requests fit a frame");
        std::fs::write(dir.join(name), frame)?;
        stream.extend_from_slice(frame);
        stream.extend_from_slice(&[0x13, 0x37, 0x00]);
    }
    std::fs::write(dir.join("stream-with-noise"), stream)
}
