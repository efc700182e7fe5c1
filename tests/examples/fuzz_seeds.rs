//! Writes the seed corpora of the fuzz targets: small valid inputs the fuzzer mutates from.
//!
//! `cargo run -p dendrite-tests --example fuzz_seeds`

use dendrite_core::format::{LayerRef, LayerSpec, ModelRef};
use dendrite_core::Activation;
use std::path::Path;

fn model(input: u16, widths: &[(u16, Activation)], labels: &str) -> Vec<u8> {
    let mut fan_in = usize::from(input);
    let arrays: Vec<(Vec<f32>, Vec<f32>)> = widths
        .iter()
        .map(|&(units, _)| {
            let n = usize::from(units);
            let kernel = (0..n * fan_in).map(|i| (i as f32 * 0.37).sin()).collect();
            fan_in = n;
            (kernel, (0..n).map(|i| i as f32 * 0.01).collect())
        })
        .collect();
    let layers: Vec<LayerRef> = widths
        .iter()
        .zip(&arrays)
        .map(|(&(units, activation), (kernel, bias))| LayerRef {
            spec: LayerSpec {
                units,
                activation,
                name: "dense",
            },
            kernel,
            bias,
        })
        .collect();
    let n = usize::from(input);
    let (mean, std) = (vec![0.5; n], vec![2.0; n]);
    let model = ModelRef {
        input,
        labels,
        mean: &mean,
        std: &std,
        layers: &layers,
    };
    let mut bytes = vec![0; model.encoded_len().expect("valid model")];
    model.encode(&mut bytes).expect("sized buffer");
    bytes
}

fn main() -> std::io::Result<()> {
    use Activation::*;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/model_decode");
    std::fs::create_dir_all(&dir)?;
    let seed = model(3, &[(4, Relu), (2, Softmax)], "female\nmale");
    std::fs::write(dir.join("seed-3-4-2"), &seed)?;
    let mut region = seed.clone();
    region.resize(seed.len() + 64, 0xFF);
    std::fs::write(dir.join("seed-in-erased-region"), region)?;
    std::fs::write(dir.join("binary-2-1"), model(2, &[(1, Sigmoid)], "no\nyes"))?;
    let deep = [(8, Tanh), (8, Relu), (6, Linear), (4, Relu), (3, Softmax)];
    std::fs::write(dir.join("deep-5-layers"), model(5, &deep, ""))?;
    frames()
}

/// One frame of each request, and a stream of several with noise between them.
fn frames() -> std::io::Result<()> {
    use dendrite_core::protocol::{encode, Batch, Input, Request, MAX_FRAME};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/frame_decode");
    std::fs::create_dir_all(&dir)?;
    let input = Input::from_slice(&[0.0, 1.5, -2.0]).expect("3 inputs fit");
    let mut batch = Batch::new();
    for _ in 0..3 {
        batch.push(input.clone()).expect("3 inputs fit a batch");
    }
    let requests = [
        ("info", Request::Info),
        ("predict", Request::Predict(input)),
        ("batch", Request::PredictBatch(batch)),
        ("self-check", Request::SelfCheck),
        ("cost", Request::Cost { iterations: 100 }),
    ];
    let mut stream = Vec::new();
    for (name, request) in &requests {
        let mut buf = [0u8; MAX_FRAME];
        let frame = encode(request, &mut buf).expect("requests fit a frame");
        std::fs::write(dir.join(name), frame)?;
        stream.extend_from_slice(frame);
        stream.extend_from_slice(&[0x13, 0x37, 0x00]);
    }
    std::fs::write(dir.join("stream-with-noise"), stream)
}
