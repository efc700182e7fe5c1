//! The committed int8 model files of `tests/models/` are what Dendrite's tools make from their
//! sources today: the quantizer on a float model, the TFLite importer on TensorFlow's
//! converter's files. `DENDRITE_BLESS=1 cargo test -p dendrite-tests --test int8_fixtures`
//! rewrites them after a deliberate change of either tool.

use dendrite_tests::models::int8;
use std::path::Path;

fn check(path: &Path, made: &[u8]) {
    if std::env::var_os("DENDRITE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(path, made).expect("writing the fixture");
        return;
    }
    let committed = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        committed == made,
        "{} differs from what the tools make today: rerun with DENDRITE_BLESS=1 if the change \
         is deliberate",
        path.display()
    );
}

#[test]
fn dendrite_quantized_model_is_the_quantizers_output() {
    check(&int8::dir().join("16-32-32-4.int8.postcard"), &int8::wide());
}

#[test]
fn imported_tflite_models_are_the_importers_output() {
    for name in int8::TFLITE_FIXTURES {
        check(
            &int8::dir().join(format!("tflite/{name}.postcard")),
            &int8::tflite(name),
        );
    }
}

/// `tests/models/digits.postcard` was trained by Dendrite on the 8×8 digits:
/// `dendrite train --data examples/data/digits_train.csv --label digit --layers 32 --epochs 30
/// --batch-size 16 --optimizer adam --learning-rate 0.001 --seed 0`; its int8 sibling is what
/// `dendrite quantize` makes of it with the training rows as calibration.
#[test]
fn dendrite_trained_digits_model_is_what_dendrite_quantize_makes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("digits.int8.postcard");
    let data = dendrite_tests::build::repo().join("examples/data");
    let status = std::process::Command::new(dendrite_tests::build::dendrite_cli())
        .arg("quantize")
        .arg("--model")
        .arg(int8::dir().join("digits.postcard"))
        .arg("--calibration")
        .arg(data.join("digits_train.csv"))
        .args(["--label", "digit", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("running dendrite quantize");
    assert!(status.success());
    check(
        &int8::dir().join("digits.int8.postcard"),
        &std::fs::read(&out).expect("the quantized model"),
    );
}
