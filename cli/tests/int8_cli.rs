//! `dendrite quantize` and `dendrite import` from the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dendrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("dendrite runs")
}

/// A scratch directory of this test's own, removed when dropped (even when the test fails).
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-{name}-"))
        .tempdir()
        .expect("a temporary directory")
}

#[test]
fn quantize_reports_float_against_int8_as_json() {
    let dir = scratch("int8-cli");
    let model = dir.path().join("model.postcard");
    let model = model.to_string_lossy();
    let train = dendrite(&[
        "train",
        "--spec",
        "examples/iris.toml",
        "--data",
        "examples/data/iris_train.csv",
        "--test-split",
        "0",
        "--verbose",
        "0",
        "--seed",
        "1",
        "--out",
        &model,
    ]);
    assert!(train.status.success());
    let out = dendrite(&[
        "quantize",
        "--model",
        &model,
        "--calibration",
        "examples/data/iris_train.csv",
        "--test",
        "examples/data/iris_test.csv",
        "--label",
        "species",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["test"]["rows"], 30);
    let (f, q) = (
        report["test"]["float_accuracy"].as_f64().unwrap(),
        report["test"]["int8_accuracy"].as_f64().unwrap(),
    );
    assert!(q >= f - 0.034, "float {f}, int8 {q}"); // at most one of 30 rows
    assert!(
        report["calibration"]["int8_bytes"].as_u64()
            < report["calibration"]["float_bytes"].as_u64()
    );
}

#[test]
fn import_writes_a_float_model_file_and_refuses_other_operators_by_name() {
    let dir = scratch("import");
    let out_path = dir.path().join("model.postcard");
    let out_str = out_path.to_string_lossy();
    let ok = dendrite(&[
        "import",
        "trainer/tests/fixtures/tflite/dense_softmax.f32.tflite",
        "--out",
        &out_str,
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let info = dendrite(&["info", &out_str]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("7-16-8-4 relu/relu/softmax"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );

    let refused = dendrite(&[
        "import",
        "trainer/tests/fixtures/tflite/unsupported.f32.tflite",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("operator ABS is not supported"));
}
