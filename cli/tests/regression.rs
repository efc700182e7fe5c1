//! Regression and anomaly detection through the command line, as the README and the example
//! specs describe them: the sine model learns y = sin(x) to a mean absolute error below 0.05 on
//! 1,000 held-out points; the vibration autoencoder flags the anomalous rows of its test table.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dendrite(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("running dendrite");
    assert!(
        out.status.success(),
        "dendrite {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The width and height of the PNG at `path`, after decoding every pixel of it.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("the picture was written");
    let mut reader = png::Decoder::new(file).read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut pixels)
        .expect("whole PNG image data");
    // Not a blank canvas: the points, axes and text take more than one colour.
    let first = &pixels[..frame.color_type.samples()];
    assert!(
        pixels[..frame.buffer_size()]
            .chunks(frame.color_type.samples())
            .any(|p| p != first),
        "{} is blank",
        path.display()
    );
    (frame.width, frame.height)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}

#[test]
fn the_sine_example_learns_sin_x_to_within_005() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("sine.postcard");
    let model = model.to_str().expect("a UTF-8 path");
    dendrite(&[
        "train",
        "--spec",
        "examples/sine.toml",
        "--out",
        model,
        "--verbose",
        "0",
    ]);
    let info = json(&dendrite(&["info", model, "--json"]));
    assert_eq!(info["task"], "regression");
    assert_eq!(info["labels"][0], "y");
    let plot = dir.path().join("sine.png");
    let report = json(&dendrite(&[
        "evaluate",
        "--model",
        model,
        "--data",
        "examples/data/sine_test.csv",
        "--json",
        "--plot",
        plot.to_str().expect("a UTF-8 path"),
    ]));
    // Predicted against true and the residuals, side by side.
    assert_eq!(png_size(&plot), (1200, 500));
    let mae = report["targets"][0]["mae"].as_f64().expect("an MAE");
    assert!(mae < 0.05, "MAE {mae} on the held-out points");
    assert!(report["targets"][0]["r2"].as_f64().expect("an R²") > 0.99);
    let p = json(&dendrite(&[
        "predict",
        "--model",
        model,
        "--json",
        "1.5707964",
    ]));
    let y = p["outputs"][0].as_f64().expect("a value");
    assert!((y - 1.0).abs() < 0.05, "sin(π/2) predicted as {y}");
    assert!(p["class"].is_null(), "a regression has no class: {p}");
}

#[test]
fn the_autoencoder_flags_anomalous_vibration() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("anomaly.postcard");
    let model = model.to_str().expect("a UTF-8 path");
    dendrite(&[
        "train",
        "--spec",
        "examples/anomaly.toml",
        "--out",
        model,
        "--verbose",
        "0",
    ]);
    let report = json(&dendrite(&[
        "evaluate",
        "--model",
        model,
        "--data",
        "examples/data/vibration_test.csv",
        "--label",
        "anomaly",
        "--json",
    ]));
    let (precision, recall) = (report["precision"].as_f64(), report["recall"].as_f64());
    assert!(precision.expect("a precision") > 0.8, "{report}");
    assert!(recall.expect("a recall") > 0.9, "{report}");
    let normal = ["1", "0.8", "0.5", "0.3", "0.2", "0.1", "0.05", "0.02"];
    let mut args = vec!["predict", "--model", model, "--json"];
    args.extend(normal);
    assert_eq!(json(&dendrite(&args))["anomalous"], false);
    args[8] = "0.9"; // energy in band 4, where normal rows have little
    assert_eq!(json(&dendrite(&args))["anomalous"], true);
}

#[test]
fn regression_with_the_built_in_layers_ends_in_a_linear_output() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("m.postcard");
    let model = model.to_str().expect("a UTF-8 path");
    dendrite(&[
        "train",
        "--data",
        "examples/data/sine_train.csv",
        "--label",
        "y",
        "--task",
        "regression",
        "--epochs",
        "1",
        "--out",
        model,
        "--verbose",
        "0",
    ]);
    let info = json(&dendrite(&["info", model, "--json"]));
    assert_eq!(info["architecture"], "1-16-8-1 relu/relu/linear");
}

#[test]
fn regression_from_the_command_line_needs_only_the_task() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("m.postcard");
    let model = model.to_str().expect("a UTF-8 path");
    let out = dendrite(&[
        "train",
        "--data",
        "examples/data/sine_train.csv",
        "--label",
        "y",
        "--task",
        "regression",
        "--layers",
        "8",
        "--epochs",
        "2",
        "--out",
        model,
        "--verbose",
        "0",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("mae"));
    let info = json(&dendrite(&["info", model, "--json"]));
    assert_eq!(info["architecture"], "1-8-1 relu/linear");
    assert_eq!(info["task"], "regression");
}

#[test]
fn a_two_target_regression_plots_both_and_an_anomaly_detector_refuses_to_plot() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("two.csv");
    let mut csv = String::from("x,y,z\n");
    for i in 0..200 {
        let x = f64::from(i) / 50.0 - 2.0;
        csv.push_str(&format!("{x},{},{}\n", 3.0 * x + 1.0, -x * x));
    }
    std::fs::write(&data, csv).expect("writing the table");
    let data = data.to_str().expect("a UTF-8 path");
    let model = dir.path().join("two.postcard");
    let model = model.to_str().expect("a UTF-8 path");
    dendrite(&[
        "train",
        "--data",
        data,
        "--label",
        "y,z",
        "--task",
        "regression",
        "--layers",
        "8",
        "--epochs",
        "5",
        "--out",
        model,
        "--verbose",
        "0",
    ]);
    let plot = dir.path().join("two.png");
    let plot = plot.to_str().expect("a UTF-8 path");
    let out = dendrite(&["evaluate", "--model", model, "--data", data, "--plot", plot]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("wrote {plot}")));
    assert_eq!(png_size(Path::new(plot)), (1200, 500));

    // --plot on an anomaly detector is refused, not silently ignored.
    let anomaly = dir.path().join("anomaly.postcard");
    let anomaly = anomaly.to_str().expect("a UTF-8 path");
    dendrite(&[
        "train",
        "--data",
        data,
        "--label",
        "z",
        "--task",
        "anomaly",
        "--layers",
        "4",
        "--epochs",
        "1",
        "--out",
        anomaly,
        "--verbose",
        "0",
    ]);
    let refused = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args([
            "evaluate", "--model", anomaly, "--data", data, "--plot", plot,
        ])
        .current_dir(repo())
        .output()
        .expect("running dendrite");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("which have no plot"), "{stderr}");
}
