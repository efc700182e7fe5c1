//! Bad inputs and failing runs at the command line: each is a one-line error that says what and
//! where, a non-zero exit, no panic, and nothing of the user's lost.

use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

fn dendrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("the dendrite binary runs")
}

/// A scratch directory of this test's own, removed when dropped (even when the test fails).
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-bad-{name}-"))
        .tempdir()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The failure's message: a non-zero exit, one line on stderr, no panic.
fn failure(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "succeeded: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    err
}

/// The seed model, trained briefly into `out`.
fn trained(out: &Path) -> Vec<u8> {
    let o = dendrite(&[
        "train",
        "--epochs",
        "1",
        "--verbose",
        "0",
        "--out",
        path(out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(out).unwrap()
}

#[test]
fn diverging_training_stops_and_leaves_the_previous_model_untouched() {
    let dir = scratch("diverge");
    let model = dir.path().join("m.postcard");
    let before = trained(&model);
    let o = dendrite(&[
        "train",
        "--epochs",
        "5",
        "--learning-rate",
        "1e30",
        "--verbose",
        "0",
        "--out",
        path(&model),
    ]);
    let err = failure(&o);
    assert!(err.contains("training diverged: the loss became"), "{err}");
    assert!(err.contains("lower the learning rate"), "{err}");
    assert!(err.contains("was not written"), "{err}");
    assert_eq!(std::fs::read(&model).unwrap(), before, "the previous file");
}

#[test]
fn truncated_or_corrupted_model_files_are_refused_with_the_reason() {
    let dir = scratch("damaged");
    let good = trained(&dir.path().join("good.postcard"));
    let truncated = dir.path().join("truncated.postcard");
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let corrupted = dir.path().join("corrupted.postcard");
    let mut bytes = good.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&corrupted, bytes).unwrap();
    let csv = dir.path().join("data.csv");
    std::fs::write(&csv, "a,b,c,label\n1,2,3,0\n4,5,6,1\n").unwrap();
    for (file, reason) in [(&truncated, "truncated"), (&corrupted, "CRC")] {
        let m = path(file);
        let runs = [
            vec!["info", m],
            vec!["predict", "--model", m, "0", "0", "0"],
            vec![
                "evaluate",
                "--model",
                m,
                "--data",
                path(&csv),
                "--label",
                "label",
            ],
        ];
        for args in runs {
            let err = failure(&dendrite(&args));
            assert!(err.contains(m), "{args:?}: {err}");
            assert!(
                err.to_lowercase().contains(&reason.to_lowercase()),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn evaluate_refuses_more_classes_than_the_model_has_outputs() {
    let dir = scratch("classes");
    let model = dir.path().join("m.postcard");
    trained(&model);
    let csv = dir.path().join("three.csv");
    std::fs::write(&csv, "a,b,c,kind\n1,2,3,x\n4,5,6,y\n7,8,9,z\n").unwrap();
    let args = [
        "evaluate",
        "--model",
        path(&model),
        "--data",
        path(&csv),
        "--label",
        "kind",
    ];
    let err = failure(&dendrite(&args));
    assert!(err.contains("three.csv"), "{err}");
    assert!(err.contains("kind"), "{err}");
}

/// Every kind of bad training input the issue of robustness lists, through `dendrite train`:
/// one line that names the file (and the line, for a bad row), a non-zero exit, no panic.
#[test]
fn each_bad_training_input_is_one_line_naming_the_file_and_line() {
    let dir = scratch("train-inputs");
    let out = dir.path().join("never.postcard");
    let header = "a,b,label\n";
    let csv_cases = [
        ("ragged.csv", "a,b,label\n1,2,0\n3,0\n", Some(":3:")),
        ("no-header.csv", "1,2,0\n3,4,1\n", Some(":1:")),
        ("text.csv", "a,b,label\n1,2,0\n3,abc,1\n", Some(":3:")),
        ("nan.csv", "a,b,label\n1,NaN,0\n3,4,1\n", Some(":2:")),
        ("inf.csv", "a,b,label\n1,2,0\n-inf,4,1\n", Some(":3:")),
        ("empty.csv", "", None),
        ("one-class.csv", "a,b,label\n1,2,0\n3,4,0\n", None),
        (
            "huge-label.csv",
            "a,b,label\n1,2,0\n3,4,4000000000\n",
            Some(":3:"),
        ),
    ];
    for (name, text, line) in csv_cases {
        let csv = dir.path().join(name);
        std::fs::write(&csv, text).unwrap();
        let args = [
            "train",
            "--data",
            path(&csv),
            "--label",
            "label",
            "--out",
            path(&out),
        ];
        let err = failure(&dendrite(&args));
        assert!(err.contains(name), "{name}: {err}");
        if let Some(line) = line {
            assert!(err.contains(&format!("{name}{line}")), "{name}: {err}");
        }
    }
    let csv = dir.path().join("ok.csv");
    std::fs::write(&csv, format!("{header}1,2,0\n3,4,1\n")).unwrap();
    let unknown = [
        "train",
        "--data",
        path(&csv),
        "--label",
        "kind",
        "--out",
        path(&out),
    ];
    assert!(failure(&dendrite(&unknown)).contains("no column `kind`"));
    for (name, spec) in [
        ("bad-key.toml", "[fit]\nepochz = 3\n"),
        ("bad-value.toml", "[fit]\nepochs = \"many\"\n"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, spec).unwrap();
        let err = failure(&dendrite(&[
            "train",
            "--spec",
            path(&file),
            "--out",
            path(&out),
        ]));
        assert!(err.contains(&format!("{name}:2:")), "{name}: {err}");
    }
    assert!(!out.exists(), "no model written from bad input");
}
