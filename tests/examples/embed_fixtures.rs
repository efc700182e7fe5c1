//! Writes the model files that `tests/tests/embedded_model.rs` compiles in with
//! `dendrite_core::model!`: one per architecture, random weights from a fixed seed.
//!
//! `cargo run -p dendrite-tests --example embed_fixtures` (from the repository root)

use dendrite_core::Activation::{Linear, Relu, Sigmoid, Softmax, Tanh};
use dendrite_tests::models;

fn main() {
    let files = [
        ("16-32-32-4", models::synthetic(16, &[(32, Relu), (32, Relu), (4, Softmax)], 1)),
        ("8-16-1", models::synthetic(8, &[(16, Tanh), (1, Sigmoid)], 2)),
        ("5-12-7-3", models::synthetic(5, &[(12, Sigmoid), (7, Tanh), (3, Linear)], 3)),
        ("6-3", models::synthetic(6, &[(3, Softmax)], 4)),
    ];
    for (name, bytes) in files {
        let path = format!("tests/models/{name}.postcard");
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("error: {path}: {e}");
            std::process::exit(1);
        }
    }
}
