//! Writes the model files that `tests/tests/embedded_model.rs` compiles in with
//! `dendrite_core::model!`: one per architecture, random weights from a fixed seed.
//!
//! `cargo run -p dendrite-tests --example embed_fixtures` (from the repository root)
//!
//! With arguments, writes one model file of any architecture instead (random weights from a
//! fixed seed), for measurements such as the 256-128-64-10 network:
//!
//! `cargo run -p dendrite-tests --example embed_fixtures -- OUT.postcard 256-128-64-10 relu/relu/softmax`

use dendrite_core::Activation::{Linear, Relu, Sigmoid, Softmax, Tanh};
use dendrite_tests::models;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [out, widths, activations] = args.as_slice() {
        if let Err(e) = write_one(out, widths, activations) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let files = [
        (
            "16-32-32-4",
            models::synthetic(16, &[(32, Relu), (32, Relu), (4, Softmax)], 1),
        ),
        (
            "8-16-1",
            models::synthetic(8, &[(16, Tanh), (1, Sigmoid)], 2),
        ),
        (
            "5-12-7-3",
            models::synthetic(5, &[(12, Sigmoid), (7, Tanh), (3, Linear)], 3),
        ),
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

/// Writes a model of `widths` (`256-128-64-10`) and `activations` (`relu/relu/softmax`) to `out`.
fn write_one(out: &str, widths: &str, activations: &str) -> Result<(), String> {
    let widths: Vec<u16> = widths
        .split('-')
        .map(|w| w.parse().map_err(|_| format!("bad width `{w}`")))
        .collect::<Result<_, _>>()?;
    let activations: Vec<dendrite_core::Activation> = activations
        .split('/')
        .map(|a| {
            dendrite_core::Activation::ALL
                .into_iter()
                .find(|x| x.name() == a)
                .ok_or_else(|| format!("unknown activation `{a}`"))
        })
        .collect::<Result<_, _>>()?;
    let (input, units) = widths.split_first().ok_or("no widths")?;
    if units.len() != activations.len() {
        return Err("one activation per layer".into());
    }
    let layers: Vec<_> = units.iter().copied().zip(activations).collect();
    std::fs::write(out, models::synthetic(*input, &layers, 7)).map_err(|e| format!("{out}: {e}"))
}
