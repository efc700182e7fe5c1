//! Post-training int8 quantization of a model Dendrite trained: accuracy on held-out Iris rows
//! stays within one point of the float model's, and the int8 network is smaller.

use dendrite_trainer::data::{read_csv, CsvColumns};
use dendrite_trainer::quantize::{asymmetric_params, compare, quantize, Int8Activation, Truth};
use dendrite_trainer::HostModel;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn train_iris(seed: u64, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args([
            "train",
            "--spec",
            "examples/iris.toml",
            "--data",
            "examples/data/iris_train.csv",
        ])
        .args([
            "--test-split",
            "0",
            "--verbose",
            "0",
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .current_dir(repo())
        .status()
        .expect("dendrite runs");
    assert!(status.success());
}

fn rows(path: &str, classes: &[String]) -> (Vec<f32>, Vec<usize>) {
    let columns = CsvColumns {
        label: Some("species"),
        features: None,
        classes: Some(classes),
    };
    let data = read_csv(&repo().join(path), &columns).expect("CSV reads");
    let x = data.x.iter().copied().collect();
    (x, data.labels.iter().map(|&l| l as usize).collect())
}

/// A scratch directory of this test's own, removed when dropped (even when the test fails).
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-{name}-"))
        .tempdir()
        .expect("a temporary directory")
}

#[test]
fn int8_iris_is_within_one_point_of_float_on_held_out_rows() {
    let dir = scratch("quantize");
    let (mut float_acc, mut int8_acc) = (0.0, 0.0);
    for seed in 0..3 {
        let path = dir.path().join(format!("iris-{seed}.postcard"));
        train_iris(seed, &path);
        let model = HostModel::load(&path).unwrap();
        let (calibration, _) = rows("examples/data/iris_train.csv", model.labels());
        let (test, labels) = rows("examples/data/iris_test.csv", model.labels());
        let q = quantize(&model, &calibration).unwrap();
        // The softmax output is TFLite's fixed 1/256, -128.
        let last = q.int8.layers.last().unwrap();
        assert!(matches!(last.activation, Int8Activation::Softmax(_)));
        assert_eq!(
            (
                last.activation_output.scale,
                last.activation_output.zero_point
            ),
            (1.0 / 256.0, -128)
        );
        let report = compare(&model, &q, &test, Some(Truth::Classes(&labels))).unwrap();
        eprintln!("seed {seed}: {report:?}");
        assert!(report.max_abs_diff < 0.1, "{report:?}");
        // 4-16-8-3: 216 weights, 27 biases and 27 multipliers and shifts: 459 bytes
        // against 972 (weights alone shrink 4×; the per-unit terms weigh on a tiny model).
        assert!(report.int8_bytes * 2 < report.float_bytes, "{report:?}");
        float_acc += report.float_accuracy.unwrap();
        int8_acc += report.int8_accuracy.unwrap();
    }
    eprintln!(
        "held-out accuracy over 3 seeds: float {:.4}, int8 {:.4}",
        float_acc / 3.0,
        int8_acc / 3.0
    );
    assert!(int8_acc / 3.0 >= float_acc / 3.0 - 0.01);
}

#[test]
fn activation_ranges_include_zero_and_nudge_the_zero_point() {
    // [-1, 3]: scale 4/255; zero point -128 + 1/scale = -64.25 -> -64.
    let p = asymmetric_params(-1.0, 3.0);
    assert_eq!(p.zero_point, -64);
    assert!((p.scale - 4.0 / 255.0).abs() < 1e-9);
    // An all-positive range still represents 0 exactly: zero point -128.
    assert_eq!(asymmetric_params(2.0, 5.0).zero_point, -128);
}

#[test]
fn int8_seed_tutorial_is_within_one_point_of_float() {
    use dendrite_trainer::layers::{ActivationLayer, Dense};
    use dendrite_trainer::Activation::{Relu, Softmax};
    use dendrite_trainer::{datasets, utils, FitOptions, Initializer, Loss, Metric, Optimizer};
    use dendrite_trainer::{Preprocessing, Sequential, Verbosity};

    // The seed tutorial's network and training (`dendrite train` with no arguments).
    let mut rng = utils::set_random_seed(42);
    let (data, gender) = datasets::seed(1000, &mut rng);
    let one_hot = utils::to_categorical(&gender, 2).unwrap();
    let mut model = Sequential::new();
    model
        .add(
            Dense::new(4)
                .input_dim(3)
                .kernel_initializer(Initializer::random_normal()),
        )
        .unwrap();
    model.add(ActivationLayer::new(Relu)).unwrap();
    model
        .add(Dense::new(2).kernel_initializer(Initializer::random_normal()))
        .unwrap();
    model.add(ActivationLayer::new(Softmax)).unwrap();
    let optimizer = Optimizer::from_name("rmsprop").unwrap();
    model
        .compile(
            optimizer,
            Loss::CategoricalCrossentropy,
            &[Metric::Accuracy],
        )
        .unwrap();
    let options = FitOptions {
        epochs: 10,
        batch_size: 8,
        verbose: Verbosity::Silent,
        ..Default::default()
    };
    model.fit(&data, &one_hot, &options, &mut rng).unwrap();
    let bytes = model.to_model_bytes(&Preprocessing::identity(3)).unwrap();
    let float = HostModel::from_bytes(&bytes, Path::new("seed")).unwrap();

    // Calibrated on the training rows, compared on 1000 fresh ones.
    let calibration: Vec<f32> = data.iter().copied().collect();
    let q = quantize(&float, &calibration).unwrap();
    let (held_out, labels) = datasets::seed(1000, &mut rng);
    let x: Vec<f32> = held_out.iter().copied().collect();
    let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let report = compare(&float, &q, &x, Some(Truth::Classes(&labels))).unwrap();
    eprintln!("seed tutorial, 1000 held-out rows: {report:?}");
    let (f, i) = (
        report.float_accuracy.unwrap(),
        report.int8_accuracy.unwrap(),
    );
    assert!(i >= f - 0.01, "float {f}, int8 {i}");
}

#[test]
fn quantized_iris_round_trips_through_the_model_file() {
    let dir = scratch("quantize-file");
    let path = dir.path().join("iris.postcard");
    train_iris(7, &path);
    let model = HostModel::load(&path).unwrap();
    let (calibration, _) = rows("examples/data/iris_train.csv", model.labels());
    let q = quantize(&model, &calibration).unwrap();
    let bytes = q.to_model_bytes(model.labels()).unwrap();
    // 4-16-8-3: the int8 file holds a quarter of the weight bytes, plus per-unit parameters.
    eprintln!(
        "int8 model file {} bytes, f32 {}",
        bytes.len(),
        model.file_len()
    );
    assert!(bytes.len() < model.file_len());
    let back = dendrite_trainer::quantize::QuantizedModel::from_model_bytes(&bytes).unwrap();
    for row in calibration.chunks(4) {
        assert_eq!(back.predict(row).unwrap(), q.predict(row).unwrap());
    }
}

/// Runs `dendrite` in the repository; its standard output as JSON.
fn dendrite_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("dendrite runs");
    assert!(
        out.status.success(),
        "dendrite {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}

#[test]
fn quantize_scores_a_regression_against_its_targets_as_evaluate_does() {
    let dir = scratch("quantize-regression");
    let float = dir.path().join("sine.postcard");
    let int8 = dir.path().join("sine.int8.postcard");
    let (f, q) = (float.to_str().unwrap(), int8.to_str().unwrap());
    // `train --quantize` reports the int8 model's errors on the training rows too.
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args([
            "train",
            "--spec",
            "examples/sine.toml",
            "--epochs",
            "20",
            "--quantize",
        ])
        .args(["--verbose", "0", "--out", f])
        .current_dir(repo())
        .output()
        .expect("dendrite runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mse = text
        .lines()
        .find(|l| l.trim_start().starts_with("mse"))
        .unwrap();
    assert!(!mse.contains(" - "), "{text}");
    let test = "examples/data/sine_test.csv";
    let report = dendrite_json(&[
        "quantize",
        "--model",
        f,
        "--calibration",
        "examples/data/sine_train.csv",
        "--test",
        test,
        "--label",
        "y",
        "--json",
        "--out",
        q,
    ]);
    let t = &report["test"];
    assert_eq!(t["task"], "regression");
    // A regression has no classes: no accuracy, no top-output agreement.
    assert!(
        t["float_accuracy"].is_null() && t["agreement"].is_null(),
        "{t}"
    );
    // The mean squared errors are evaluate's, for the float file and the int8 file.
    for (file, key) in [(f, "float_loss"), (q, "int8_loss")] {
        let e = dendrite_json(&["evaluate", "--model", file, "--data", test, "--json"]);
        let (mse, reported) = (e["mse"].as_f64().unwrap(), t[key].as_f64().unwrap());
        assert!(
            (mse - reported).abs() <= 1e-9 * mse.max(1.0),
            "{key}: {reported} vs {mse}"
        );
        let mae = e["targets"][0]["mae"].as_f64().unwrap();
        let key = key.replace("loss", "mae");
        let reported = t[key.as_str()].as_f64().unwrap();
        assert!(
            (mae - reported).abs() <= 1e-9 * mae.max(1.0),
            "{key}: {reported} vs {mae}"
        );
    }
    // Without --label: the outputs compared, no scores.
    let report = dendrite_json(&[
        "quantize",
        "--model",
        f,
        "--calibration",
        "examples/data/sine_train.csv",
        "--json",
    ]);
    assert!(report["calibration"]["float_loss"].is_null());
    assert!(report["calibration"]["max_abs_diff"].as_f64().unwrap() < 0.2);
}

#[test]
fn quantize_scores_an_anomaly_detector_against_its_labels() {
    let dir = scratch("quantize-anomaly");
    let float = dir.path().join("anomaly.postcard");
    let f = float.to_str().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["train", "--spec", "examples/anomaly.toml", "--epochs", "20"])
        .args(["--verbose", "0", "--out", f])
        .current_dir(repo())
        .status()
        .expect("dendrite runs");
    assert!(status.success());
    let report = dendrite_json(&[
        "quantize",
        "--model",
        f,
        "--calibration",
        "examples/data/vibration_train.csv",
        "--test",
        "examples/data/vibration_test.csv",
        "--label",
        "anomaly",
        "--json",
    ]);
    let t = &report["test"];
    assert_eq!(t["task"], "anomaly");
    let evaluated = dendrite_json(&[
        "evaluate",
        "--model",
        f,
        "--data",
        "examples/data/vibration_test.csv",
        "--label",
        "anomaly",
        "--json",
    ]);
    // The float model's mean reconstruction error is evaluate's.
    let (mean, reported) = (
        evaluated["mean_error"].as_f64().unwrap(),
        t["float_loss"].as_f64().unwrap(),
    );
    assert!(
        (mean - reported).abs() <= 1e-6 * mean,
        "{reported} vs {mean}"
    );
    for key in ["float_accuracy", "int8_accuracy", "agreement"] {
        let v = t[key].as_f64().unwrap();
        assert!((0.5..=1.0).contains(&v), "{key}: {v}");
    }
}

/// Trains iris with `activation` in both hidden layers (a spec written beside `out`).
fn train_iris_with(activation: &str, out: &Path) {
    let spec = out.with_extension("toml");
    let data = repo().join("examples/data/iris_train.csv");
    std::fs::write(
        &spec,
        format!(
            "[data]\npath = {data:?}\nlabel = \"species\"\nstandardize = true\n\
             [[layers]]\nunits = 16\nactivation = \"{activation}\"\n\
             [[layers]]\nunits = 8\nactivation = \"{activation}\"\n\
             [[layers]]\nactivation = \"softmax\"\n\
             [compile]\noptimizer = {{ name = \"adam\", learning_rate = 0.01 }}\n\
             [fit]\nepochs = 60\nbatch_size = 8\ntest_split = 0.0\nseed = 1\n"
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .arg("train")
        .arg("--spec")
        .arg(&spec)
        .args(["--verbose", "0", "--out"])
        .arg(out)
        .current_dir(repo())
        .output()
        .expect("dendrite runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn relu6_hidden_layers_quantize_to_tflites_relu6_clamp() {
    let dir = scratch("quantize-relu6");
    let float = dir.path().join("iris-relu6.postcard");
    let int8 = dir.path().join("iris-relu6.int8.postcard");
    train_iris_with("relu6", &float);
    let (f, q) = (float.to_str().unwrap(), int8.to_str().unwrap());
    let report = dendrite_json(&[
        "quantize",
        "--model",
        f,
        "--calibration",
        "examples/data/iris_train.csv",
        "--test",
        "examples/data/iris_test.csv",
        "--label",
        "species",
        "--json",
        "--out",
        q,
    ]);
    let t = &report["test"];
    let (float_acc, int8_acc) = (
        t["float_accuracy"].as_f64().unwrap(),
        t["int8_accuracy"].as_f64().unwrap(),
    );
    assert!(float_acc >= 0.9, "{t}");
    assert!((float_acc - int8_acc).abs() <= 0.034, "{t}");
    let model = HostModel::load(&float).unwrap();
    let int8_model = HostModel::load(&int8).unwrap();
    let layers = &int8_model.int8().unwrap().int8.layers;
    for (layer, float_layer) in layers.iter().zip(model.layers()).take(2) {
        assert_eq!(float_layer.activation, dendrite_trainer::Activation::Relu6);
        // TFLite's fused relu6: the clamp at the quantized 0 and 6, on an output range
        // calibrated after the clamp (so within [0, 6]).
        let (o, want) = (
            layer.output,
            dendrite_core::quant::activation_range(
                false,
                true,
                layer.output.scale,
                layer.output.zero_point,
            ),
        );
        assert_eq!((layer.activation_min, layer.activation_max), want);
        assert_eq!(i32::from(layer.activation_min), o.zero_point);
        let top = o.scale * (127 - o.zero_point) as f32;
        assert!(top <= 6.0 + o.scale, "range up to {top}");
        assert!(matches!(layer.activation, Int8Activation::None));
    }
}

#[test]
fn quantize_refuses_an_activation_with_no_int8_form_naming_the_layer() {
    let dir = scratch("quantize-gelu");
    let float = dir.path().join("iris-gelu.postcard");
    train_iris_with("gelu", &float);
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["quantize", "--model"])
        .arg(&float)
        .args(["--calibration", "examples/data/iris_train.csv"])
        .current_dir(repo())
        .output()
        .expect("dendrite runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let model = HostModel::load(&float).unwrap();
    let first = &model.layers()[0].name;
    assert!(
        err.contains(&format!("layer {first}: activation gelu has no int8 form")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
