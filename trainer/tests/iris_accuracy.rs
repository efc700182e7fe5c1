//! Issue-level target: on the shipped Iris data, the held-out accuracy `dendrite evaluate`
//! reports is within one point of Keras 3 trained with the same spec, split and epochs.
//!
//! Keras 3.15 (`bench/peers/keras_accuracy.py`, 10 seeds, 4-16-8-3 relu/relu/softmax, Adam,
//! 100 epochs of batch 8, standardization fitted on the same 120 training rows): 0.9500.

use std::path::{Path, PathBuf};
use std::process::Command;

const KERAS_ACCURACY: f64 = 0.9500;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dendrite(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("dendrite runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dendrite {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn held_out_accuracy(seed: u64, dir: &Path) -> f64 {
    let model = dir.join(format!("iris-{seed}.postcard"));
    let (model, seed) = (model.to_string_lossy(), seed.to_string());
    dendrite(&[
        "train",
        "--spec",
        "examples/iris.toml",
        "--data",
        "examples/data/iris_train.csv",
        "--test-split",
        "0",
        "--seed",
        &seed,
        "--verbose",
        "0",
        "--out",
        &model,
    ]);
    let report = dendrite(&[
        "evaluate",
        "--model",
        &model,
        "--data",
        "examples/data/iris_test.csv",
        "--label",
        "species",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).expect("JSON report");
    report["accuracy"].as_f64().expect("an accuracy")
}

#[test]
fn iris_held_out_accuracy_is_within_one_point_of_keras() {
    let dir = tempfile::Builder::new()
        .prefix("dendrite-iris-")
        .tempdir()
        .expect("a temporary directory");
    let accuracies: Vec<f64> = (0..10)
        .map(|seed| held_out_accuracy(seed, dir.path()))
        .collect();
    let mean = accuracies.iter().sum::<f64>() / accuracies.len() as f64;
    eprintln!("Iris held-out accuracy over seeds 0-9: {mean:.4} {accuracies:?} (Keras 3: {KERAS_ACCURACY})");
    assert!(
        mean >= KERAS_ACCURACY - 0.01,
        "mean held-out accuracy {mean:.4}"
    );
}
