//! Writes two large model files in turn, atomically, to the path given, until killed: the test
//! of atomic model writes kills it at random moments (`tests/tests/atomic_model_file.rs`).
//!
//! `cargo run --release -p dendrite-tests --example write_models -- PATH`

use dendrite_core::Activation::{Relu, Softmax};
use dendrite_tests::models;

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: write_models PATH");
        std::process::exit(2);
    };
    let files = [1, 2].map(large_model);
    for bytes in files.iter().cycle() {
        if let Err(e) = dendrite_trainer::export::write_atomically(path.as_ref(), bytes) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

/// A 16-1024-1024-16 model (about 4 MB), weights from `seed`.
fn large_model(seed: u32) -> Vec<u8> {
    models::synthetic(16, &[(1024, Relu), (1024, Relu), (16, Softmax)], seed)
}
