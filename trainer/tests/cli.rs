//! The `dendrite` command line: the happy path and the errors a user will meet.

use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

fn dendrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .output()
        .expect("the dendrite binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory of this test's own, removed when dropped (even when the test fails).
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-cli-{name}-"))
        .tempdir()
        .unwrap()
}

fn train(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--epochs",
        "2",
        "--verbose",
        "0",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = dendrite(&args);
    assert!(o.status.success(), "train failed: {}", stderr(&o));
    o
}

#[test]
fn train_then_info_and_predict_on_the_model_file() {
    let dir = scratch("happy");
    let model = dir.path().join("model.postcard");
    let o = train(&model, &[]);
    let text = stdout(&o);
    assert!(text.contains(" Total params: 26 (104.00 B)"), "{text}");
    assert!(text.contains("prediction for [0, 0, 0]: female"), "{text}");
    assert!(text.contains("fit: "), "{text}");

    let o = dendrite(&["info", model.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["architecture"], "3-4-2 relu/softmax");
    assert_eq!(info["params"], 26);
    assert_eq!(info["labels"], serde_json::json!(["female", "male"]));
    assert_eq!(info["file_size"], std::fs::metadata(&model).unwrap().len());

    let o = dendrite(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--json",
        "0",
        "0",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["label"], "female");
    let sum: f64 = p["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-6);

    // Negative inputs are values, not flags.
    let o = dendrite(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "-1.5",
        "2",
        "-0.25",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("class:"));
}

#[test]
fn same_seed_same_file_bytes() {
    let dir = scratch("seed");
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    train(&a, &["--seed", "11"]);
    train(&b, &["--seed", "11"]);
    train(&c, &["--seed", "12"]);
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
}

#[test]
fn errors_say_what_is_wrong() {
    let dir = scratch("errors");
    let model = dir.path().join("m.postcard");
    train(&model, &["--optimizer", "adam", "--learning-rate", "0.01"]);

    let o = dendrite(&["predict", "--model", model.to_str().unwrap(), "1", "2"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("takes 3 input values, got 2"),
        "{}",
        stderr(&o)
    );

    let missing = dir.path().join("missing.postcard");
    let o = dendrite(&["info", missing.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("missing.postcard"), "{}", stderr(&o));

    let garbage = dir.path().join("garbage.postcard");
    std::fs::write(&garbage, b"definitely not a model").unwrap();
    let o = dendrite(&["info", garbage.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not a valid model file"),
        "{}",
        stderr(&o)
    );

    let o = dendrite(&[
        "train",
        "--optimizer",
        "adagrad",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown optimizer `adagrad`"),
        "{}",
        stderr(&o)
    );

    let o = dendrite(&[
        "train",
        "--batch-size",
        "0",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("batch_size"), "{}", stderr(&o));
}
