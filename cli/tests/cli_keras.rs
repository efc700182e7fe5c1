//! `dendrite import`, `dendrite export` and `dendrite train --initial-weights` on the Keras
//! fixtures (tests/fixtures/keras, written by bench/keras_fixtures.py).

use std::path::Path;
use std::process::{Command, Output};

fn dendrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .output()
        .expect("the dendrite binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trainer/tests/fixtures/keras")
        .join(name);
    path.to_str().unwrap().to_owned()
}

/// A scratch directory, removed when dropped (even when the test fails).
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-keras-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn import_predict_export_and_import_again() {
    let tmp = scratch("roundtrip");
    let dir = tmp.path();
    let model = dir.join("m.postcard");
    let model = model.to_str().unwrap();
    let o = dendrite(&[
        "import",
        &fixture("normalization_adapted.keras"),
        "--out",
        model,
        "--classes",
        "a,b,c",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("standardization"),
        "{}",
        text(&o.stdout)
    );
    let o = dendrite(&["predict", "--model", model, "4", "40", "4", "7", "300"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let first = text(&o.stdout);
    for ext in ["keras", "h5"] {
        let exported = dir.join(format!("m.{ext}"));
        let o = dendrite(&[
            "export",
            "--model",
            model,
            "--out",
            exported.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let again = dir.join(format!("again-{ext}.postcard"));
        let again = again.to_str().unwrap();
        let o = dendrite(&[
            "import",
            exported.to_str().unwrap(),
            "--out",
            again,
            "--classes",
            "a,b,c",
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(
            std::fs::read(again).unwrap(),
            std::fs::read(model).unwrap(),
            "{ext}"
        );
        let o = dendrite(&["predict", "--model", again, "4", "40", "4", "7", "300"]);
        assert_eq!(text(&o.stdout), first);
    }
}

#[test]
fn weights_only_import_needs_the_configuration() {
    let tmp = scratch("weights");
    let dir = tmp.path();
    let out = dir.join("m.postcard");
    let out = out.to_str().unwrap();
    let o = dendrite(&["import", &fixture("functional.weights.h5"), "--out", out]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("configuration"),
        "{}",
        text(&o.stderr)
    );
    let o = dendrite(&[
        "import",
        &fixture("functional.weights.h5"),
        "--config",
        &fixture("functional.config.json"),
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn unsupported_layer_is_one_line() {
    let tmp = scratch("refused");
    let dir = tmp.path();
    let out = dir.join("m.postcard");
    let o = dendrite(&[
        "import",
        &fixture("refused_conv1d.keras"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("`conv1d` (Conv1D) is not supported"), "{err}");
    assert!(!out.exists());
}

#[test]
fn training_from_keras_initial_weights_reaches_keras_loss() {
    let tmp = scratch("train");
    let dir = tmp.path();
    let out = dir.join("m.postcard");
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/keras_seed.toml");
    let o = dendrite(&[
        "train",
        "--spec",
        spec.to_str().unwrap(),
        "--verbose",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("initial weights:"), "{stdout}");
    // Keras 3.15.1's last epoch on the same data from the same weights: loss 0.579686,
    // accuracy 0.7260 (tests/fixtures/keras/seed_training.json).
    assert!(
        stdout.contains("final epoch: loss 0.5797, accuracy 0.7260"),
        "{stdout}"
    );
    let o = dendrite(&[
        "train",
        "--spec",
        spec.to_str().unwrap(),
        "--verbose",
        "0",
        "--out",
        out.to_str().unwrap(),
        "--initial-weights",
        &fixture("dense_relu.keras"),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("the file's model is 5 inputs"),
        "{}",
        text(&o.stderr)
    );
}
