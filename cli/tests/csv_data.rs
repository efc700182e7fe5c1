//! Training on users' data from the command line: Iris from CSV to evaluation and test vectors,
//! the seed spec, CSV and spec errors, binary classification, callbacks.

use dendrite_trainer::HostModel;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

fn dendrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .output()
        .expect("the dendrite binary runs")
}

fn ok(args: &[&str]) -> String {
    let o = dendrite(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The error message of a command that must fail.
fn fails(args: &[&str]) -> String {
    let o = dendrite(args);
    assert!(!o.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&o.stderr).trim_end().to_owned()
}

/// A scratch directory of this test's own, removed when dropped (even when the test fails).
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-csv-{name}-"))
        .tempdir()
        .unwrap()
}

fn example(path: &str) -> String {
    format!("{EXAMPLES}/{path}")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn iris_trains_from_csv_evaluates_and_exports_vectors_the_host_reproduces() {
    let dir = scratch("iris");
    let model = dir.path().join("iris.postcard");
    let curves = dir.path().join("curves.png");
    let (spec, train, test) = (
        example("iris.toml"),
        example("data/iris_train.csv"),
        example("data/iris_test.csv"),
    );
    let out = ok(&[
        "train",
        "--spec",
        &spec,
        "--data",
        &train,
        "--test-split",
        "0",
        "--verbose",
        "0",
        "--out",
        s(&model),
        "--plot",
        s(&curves),
    ]);
    assert!(
        out.contains("4-16-8-3") || out.contains("Total params: 243"),
        "{out}"
    );
    assert!(std::fs::metadata(&curves).unwrap().len() > 10_000);

    let info = ok(&["info", s(&model)]);
    assert!(
        info.contains("classes:       setosa, versicolor, virginica"),
        "{info}"
    );

    let confusion = dir.path().join("confusion.png");
    let json = ok(&[
        "evaluate",
        "--model",
        s(&model),
        "--data",
        &test,
        "--label",
        "species",
        "--json",
        "--plot",
        s(&confusion),
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["samples"], 30);
    assert!(report["accuracy"].as_f64().unwrap() >= 0.9, "{report}");
    let counts: u64 = report["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 30);
    assert!(std::fs::metadata(&confusion).unwrap().len() > 5_000);

    let predictions = dir.path().join("predictions.csv");
    ok(&[
        "predict",
        "--model",
        s(&model),
        "--data",
        &test,
        "--label",
        "species",
        "--out",
        s(&predictions),
    ]);
    let text = std::fs::read_to_string(&predictions).unwrap();
    assert!(
        text.starts_with("row,p_setosa,p_versicolor,p_virginica,class\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 31);

    let vectors = dir.path().join("vectors.csv");
    ok(&[
        "export-vectors",
        "--model",
        s(&model),
        "--data",
        &test,
        "--label",
        "species",
        "--out",
        s(&vectors),
    ]);
    replay(
        &HostModel::load(&model).unwrap(),
        &std::fs::read_to_string(&vectors).unwrap(),
    );
}

/// Replays exported vectors through the host model: every output bit must match.
fn replay(model: &HostModel, text: &str) {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(
        header,
        "input_0,input_1,input_2,input_3,output_0,output_1,output_2,class"
    );
    let bits = |c: &str| u32::from_str_radix(c.strip_prefix("0x").unwrap(), 16).unwrap();
    let mut n = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let input: Vec<f32> = cells[..4].iter().map(|c| f32::from_bits(bits(c))).collect();
        let expected: Vec<u32> = cells[4..7].iter().map(|c| bits(c)).collect();
        let got: Vec<u32> = model
            .predict(&input)
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(got, expected);
        n += 1;
    }
    assert_eq!(n, 30);
}

#[test]
fn export_vectors_json_is_versioned_and_carries_bits() {
    let dir = scratch("json");
    let model = dir.path().join("m.postcard");
    ok(&[
        "train",
        "--data",
        &example("data/iris.csv"),
        "--label",
        "species",
        "--epochs",
        "2",
        "--verbose",
        "0",
        "--out",
        s(&model),
    ]);
    let out = dir.path().join("v.json");
    ok(&[
        "export-vectors",
        "--model",
        s(&model),
        "--data",
        &example("data/iris_test.csv"),
        "--label",
        "species",
        "--out",
        s(&out),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        (doc["format"].as_str(), doc["version"].as_u64()),
        (Some("dendrite-test-vectors"), Some(1))
    );
    assert_eq!(
        (doc["inputs"].as_u64(), doc["outputs"].as_u64()),
        (Some(4), Some(3))
    );
    let first = &doc["vectors"][0];
    let input: Vec<f32> = first["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| f32::from_bits(v.as_u64().unwrap() as u32))
        .collect();
    assert_eq!(input, [7.7, 3.8, 6.7, 2.2], "the first test row, raw");
}

#[test]
fn the_seed_spec_writes_the_same_bytes_as_the_defaults() {
    let dir = scratch("seed");
    let (a, b) = (dir.path().join("a.postcard"), dir.path().join("b.postcard"));
    ok(&["train", "--verbose", "0", "--out", s(&a)]);
    ok(&[
        "train",
        "--spec",
        &example("seed.toml"),
        "--verbose",
        "0",
        "--out",
        s(&b),
    ]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn flags_override_the_spec() {
    let dir = scratch("override");
    let out = ok(&[
        "train",
        "--spec",
        &example("iris.toml"),
        "--epochs",
        "3",
        "--batch-size",
        "40",
        "--layers",
        "5",
        "--verbose",
        "0",
        "--out",
        s(&dir.path().join("m.postcard")),
    ]);
    // 120 training rows in batches of 40 for 3 epochs; 4-5-3 has 25 + 18 parameters.
    assert!(out.contains("(9 steps"), "{out}");
    assert!(out.contains("Total params: 43"), "{out}");
    assert!(out.contains("test (30 rows held out)"), "{out}");
}

#[test]
fn csv_errors_are_one_line_naming_file_line_and_column() {
    let dir = scratch("errors");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b,y\n1,2,x\n3,oops,y\n").unwrap();
    let err = fails(&[
        "train",
        "--data",
        s(&bad),
        "--label",
        "y",
        "--out",
        s(&dir.path().join("m.postcard")),
    ]);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: column `b`: `oops` is not a number",
            bad.display()
        )),
        "{err}"
    );
    let err = fails(&["train", "--data", s(&bad), "--label", "z"]);
    assert!(err.contains("no column `z`"), "{err}");
    let err = fails(&["train", "--data", s(&bad)]);
    assert!(err.contains("--label"), "{err}");
}

#[test]
fn spec_errors_name_the_key() {
    let dir = scratch("spec");
    let spec = dir.path().join("bad.toml");
    std::fs::write(&spec, "[fit]\nepochs = 3\npatience = 2\n").unwrap();
    let err = fails(&["train", "--spec", s(&spec)]);
    assert!(
        err.contains("unknown field `patience`") && err.contains("bad.toml"),
        "{err}"
    );
    std::fs::write(
        &spec,
        "[[layers]]\nunits = 4\nactivation = \"mish\"\n[[layers]]\nactivation = \"softmax\"\n",
    )
    .unwrap();
    let err = fails(&[
        "train",
        "--spec",
        s(&spec),
        "--data",
        &example("data/iris.csv"),
        "--label",
        "species",
    ]);
    assert!(
        err.contains("layers[0].activation: unknown activation `mish`"),
        "{err}"
    );
}

#[test]
fn binary_labels_train_one_sigmoid_output_and_keep_the_class_names() {
    let dir = scratch("binary");
    let data = dir.path().join("bin.csv");
    let mut text = String::from("x,y,answer\n");
    for i in 0..200 {
        let v = i as f32 / 100.0 - 1.0;
        text.push_str(&format!(
            "{v},{},{}\n",
            -v * 0.5,
            if v > 0.0 { "yes" } else { "no" }
        ));
    }
    std::fs::write(&data, text).unwrap();
    let spec = dir.path().join("bin.toml");
    std::fs::write(&spec, "[[layers]]\nunits = 4\nactivation = \"relu\"\n[[layers]]\nactivation = \"sigmoid\"\n\
        [compile]\noptimizer = { name = \"adam\", learning_rate = 0.05 }\nloss = \"binary_crossentropy\"\n\
        [fit]\nepochs = 30\nbatch_size = 16\n").unwrap();
    let model = dir.path().join("bin.postcard");
    ok(&[
        "train",
        "--spec",
        s(&spec),
        "--data",
        s(&data),
        "--label",
        "answer",
        "--verbose",
        "0",
        "--out",
        s(&model),
    ]);
    let info = ok(&["info", s(&model)]);
    assert!(
        info.contains("2-4-1 relu/sigmoid") && info.contains("classes:       no, yes"),
        "{info}"
    );
    let json = ok(&[
        "evaluate",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--label",
        "answer",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(report["accuracy"].as_f64().unwrap() > 0.9, "{report}");
    let p = ok(&["predict", "--model", s(&model), "0.9", "-0.45"]);
    assert!(p.contains("(yes)"), "{p}");
}

#[test]
fn early_stopping_and_checkpoint_from_the_spec() {
    let dir = scratch("callbacks");
    let best = dir.path().join("best.postcard");
    let spec = dir.path().join("cb.toml");
    std::fs::write(
        &spec,
        format!(
            "[[layers]]\nunits = 8\nactivation = \"relu\"\n[[layers]]\nactivation = \"softmax\"\n\
        [compile]\noptimizer = {{ name = \"adam\", learning_rate = 0.05 }}\n\
        [fit]\nepochs = 500\nbatch_size = 8\nvalidation_split = 0.25\n\
        [callbacks.early_stopping]\npatience = 3\nrestore_best_weights = true\n\
        [callbacks.model_checkpoint]\npath = '{}'\n\
        [callbacks.learning_rate_schedule]\nschedule = \"exponential\"\ndecay_rate = 0.9\n",
            s(&best)
        ),
    )
    .unwrap();
    let out = ok(&[
        "train",
        "--spec",
        s(&spec),
        "--data",
        &example("data/iris_train.csv"),
        "--label",
        "species",
        "--verbose",
        "0",
        "--out",
        s(&dir.path().join("m.postcard")),
    ]);
    assert!(out.contains("early stopping: stopped after epoch"), "{out}");
    assert!(out.contains("checkpoint: best model from epoch"), "{out}");
    assert!(HostModel::load(&best).is_ok());
    let err = fails(&[
        "train",
        "--spec",
        s(&spec),
        "--data",
        &example("data/iris_train.csv"),
        "--label",
        "species",
        "--validation-split",
        "0",
        "--verbose",
        "0",
        "--out",
        s(&dir.path().join("m2.postcard")),
    ]);
    assert!(err.contains("callbacks.early_stopping.monitor"), "{err}");
}

#[test]
fn dropout_regularizers_and_class_weight_train_from_a_spec_and_the_flag() {
    let dir = scratch("features");
    let spec = dir.path().join("features.toml");
    let model = dir.path().join("features.postcard");
    std::fs::write(
        &spec,
        r#"
[data]
label = "species"
[[layers]]
units = 8
activation = "relu"
kernel_regularizer = { l2 = 0.001 }
[[layers]]
type = "dropout"
rate = 0.2
[[layers]]
activation = "softmax"
[fit]
epochs = 5
class_weight = { setosa = 2.0 }
"#,
    )
    .unwrap();
    let train = example("data/iris_train.csv");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "train",
            "--spec",
            s(&spec),
            "--data",
            &train,
            "--out",
            s(&model),
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |extra: &[&'static str]| {
        let a = args(extra);
        ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let out = run(&["--verbose", "0"]);
    assert!(out.contains("Dropout"), "{out}");
    // The device's model has no Dropout: two Dense layers.
    let host = HostModel::load(&model).unwrap();
    assert_eq!(host.architecture().to_string(), "4-8-3 relu/softmax");
    run(&["--verbose", "0", "--class-weight", "balanced"]);
    let a = args(&["--class-weight", "even"]);
    let err = fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("class-weight"), "{err}");
    std::fs::write(
        &spec,
        "[data]\nlabel = \"species\"\n[[layers]]\nactivation = \"softmax\"\n[fit]\nclass_weight = { daisy = 1.0 }\n",
    )
    .unwrap();
    let a = args(&[]);
    let err = fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        err.contains("fit.class_weight") && err.contains("daisy"),
        "{err}"
    );
}
