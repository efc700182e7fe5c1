//! `dendrite evaluate` on two-class models, against scikit-learn: the positive (second) class's
//! precision and recall and the ROC AUC, for a single sigmoid output and a softmax over two, on
//! a table whose rows repeat (tied scores). The models, the table and scikit-learn's figures
//! are fixtures written by `bench/binary_metrics_fixtures.py`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binary")
}

fn evaluate(model: &str, json: bool) -> String {
    let dir = fixtures();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dendrite"));
    cmd.arg("evaluate")
        .arg("--model")
        .arg(dir.join(format!("{model}.postcard")))
        .arg("--data")
        .arg(dir.join("data.csv"))
        .args(["--label", "state"]);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("running dendrite evaluate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).expect("the fixture");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn binary_scores_are_scikit_learns_for_a_sigmoid_and_a_softmax_model() {
    let want = expected();
    for model in ["sigmoid", "softmax"] {
        let report: serde_json::Value =
            serde_json::from_str(&evaluate(model, true)).expect("JSON report");
        let got = &report["binary"];
        let want_model = &want[model];
        assert!(
            want_model["tied_scores"].as_u64().expect("a count") > 0,
            "the fixture must have tied scores"
        );
        assert_eq!(got["positive"], want["positive"], "{report}");
        for key in ["precision", "recall", "roc_auc"] {
            let (g, w) = (got[key].as_f64(), want_model[key].as_f64());
            let (g, w) = (g.expect("a figure"), w.expect("scikit-learn's figure"));
            assert!(
                (g - w).abs() <= 1e-12,
                "{model} {key}: dendrite {g}, scikit-learn {w}"
            );
        }
    }
}

#[test]
fn the_text_report_names_the_positive_class_and_its_scores() {
    let text = evaluate("sigmoid", false);
    let want = &expected()["sigmoid"];
    assert!(
        text.contains("positive class: worn (the second class)"),
        "{text}"
    );
    let auc = want["roc_auc"].as_f64().expect("a figure");
    assert!(text.contains(&format!("roc auc:    {auc:.4}")), "{text}");
}

#[test]
fn a_model_of_more_classes_has_no_binary_scores() {
    let iris = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/iris.toml");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("iris.postcard");
    let train = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["train", "--spec"])
        .arg(&iris)
        .args(["--epochs", "1", "--verbose", "0", "--out"])
        .arg(&model)
        .output()
        .expect("running dendrite train");
    assert!(
        train.status.success(),
        "{}",
        String::from_utf8_lossy(&train.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .arg("evaluate")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/iris_test.csv"))
        .args(["--label", "species", "--json"])
        .output()
        .expect("running dendrite evaluate");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert!(report["binary"].is_null(), "{report}");
    assert_eq!(report["classes"].as_array().map(Vec::len), Some(3));
}
