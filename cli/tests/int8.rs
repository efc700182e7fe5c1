//! int8 model files through every host command: `predict` (with `quantized_outputs`),
//! `evaluate`, `run`, `info`, `export-vectors`, on TFLite int8 files made by TensorFlow's
//! converter (`bench/tflite_fixtures.py`; the int8 outputs its interpreter computed with the
//! reference kernels are recorded beside them) and on models Dendrite trained and quantized
//! (`train --quantize`).

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    repo().join("trainer/tests/fixtures/tflite")
}

fn dendrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("dendrite runs")
}

/// Runs `dendrite`, asserts success, returns standard output.
fn ok(args: &[&str]) -> String {
    let o = dendrite(args);
    assert!(
        o.status.success(),
        "dendrite {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dendrite-{name}-"))
        .tempdir()
        .expect("a temporary directory")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The index of the first largest value.
fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

/// A TFLite int8 fixture imported into `dir`, with the interpreter's int8 inputs given to
/// Dendrite as raw values on the int8 grid (`scale · (q - zero_point)`, which quantize back to
/// `q`), and the interpreter's int8 outputs.
struct Fixture {
    model: PathBuf,
    csv: PathBuf,
    raw_rows: Vec<Vec<f32>>,
    expected: Vec<Vec<i64>>,
    output_scale: f32,
    output_zero_point: i64,
}

fn fixture(dir: &Path, name: &str) -> Fixture {
    let model = dir.join(format!("{name}.postcard"));
    let tflite = fixtures().join(format!("{name}.tflite"));
    ok(&["import", s(&tflite), "--out", s(&model)]);
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    // The input quantization as the model file stores it, from `info --json`.
    let info = json(&["info", s(&model), "--json"]);
    let input = &info["input_quantization"];
    let scale = input["scale"].as_f64().unwrap() as f32;
    let zero_point = input["zero_point"].as_i64().unwrap();
    assert_eq!(scale, doc["input"]["scale"][0].as_f64().unwrap() as f32);
    assert_eq!(zero_point, doc["input"]["zero_point"][0].as_i64().unwrap());
    let raw_rows: Vec<Vec<f32>> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            ints(row)
                .iter()
                .map(|&q| scale * (q - zero_point) as f32)
                .collect()
        })
        .collect();
    let expected: Vec<Vec<i64>> = doc["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(ints)
        .collect();
    let csv = dir.join(format!("{name}.csv"));
    let width = raw_rows[0].len();
    let mut text = (0..width)
        .map(|i| format!("x{i}"))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for row in &raw_rows {
        let cells: Vec<String> = row.iter().map(f32::to_string).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(&csv, text).unwrap();
    Fixture {
        model,
        csv,
        raw_rows,
        expected,
        output_scale: doc["output"]["scale"][0].as_f64().unwrap() as f32,
        output_zero_point: doc["output"]["zero_point"][0].as_i64().unwrap(),
    }
}

const INT8_FIXTURES: [&str; 6] = [
    "dense_softmax.int8",
    "flatten.int8",
    "dense_softmax.int8_per_tensor",
    "dense_sigmoid.int8",
    "dense_tanh.int8",
    "regression.int8",
];

#[test]
fn predict_prints_the_interpreters_int8_outputs_for_every_fixture_row() {
    let dir = scratch("int8-predict");
    for name in INT8_FIXTURES {
        let f = fixture(dir.path(), name);
        // Every row at once: `predict --data --json`.
        let rows = json(&[
            "predict",
            "--model",
            s(&f.model),
            "--data",
            s(&f.csv),
            "--json",
        ]);
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), f.expected.len());
        for (i, (row, want)) in rows.iter().zip(&f.expected).enumerate() {
            let q = ints(&row["quantized_outputs"]);
            assert_eq!(&q, want, "{name}, row {i}");
            // The outputs are the int8 outputs dequantized, bit for bit.
            let dequantized: Vec<f32> = q
                .iter()
                .map(|&v| f.output_scale * (v - f.output_zero_point) as f32)
                .collect();
            assert_eq!(bits(&floats(&row["outputs"])), bits(&dequantized), "{name}");
        }
        // One row at a time, as a user types it.
        for (x, want) in f.raw_rows.iter().zip(&f.expected).take(3) {
            let mut args = vec!["predict", "--model", s(&f.model), "--json"];
            let values: Vec<String> = x.iter().map(f32::to_string).collect();
            args.extend(values.iter().map(String::as_str));
            let p = json(&args);
            assert_eq!(&ints(&p["quantized_outputs"]), want, "{name}");
            if name != "regression.int8" {
                // The one class rule on the dequantized outputs: the int8 argmax.
                assert_eq!(
                    p["class"].as_u64().unwrap() as usize,
                    argmax(want),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn float_io_fixture_outputs_equal_the_interpreters_bit_for_bit() {
    let dir = scratch("int8-float-io");
    let name = "dense_softmax.int8_float_io";
    let model = dir.path().join("m.postcard");
    ok(&[
        "import",
        s(&fixtures().join(format!("{name}.tflite"))),
        "--out",
        s(&model),
    ]);
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    for (x, want) in doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(doc["outputs"].as_array().unwrap())
        .take(16)
    {
        let values: Vec<String> = floats(x).iter().map(f32::to_string).collect();
        let mut args = vec!["predict", "--model", s(&model), "--json"];
        args.extend(values.iter().map(String::as_str));
        let p = json(&args);
        assert_eq!(bits(&floats(&p["outputs"])), bits(&floats(want)));
    }
}

#[test]
fn evaluate_run_export_vectors_and_info_take_an_imported_int8_model() {
    let dir = scratch("int8-commands");
    let f = fixture(dir.path(), "dense_softmax.int8");
    // Labels: the class the interpreter's int8 outputs pick. Dendrite's int8 outputs are the
    // interpreter's, so evaluate scores every row right.
    let labelled = dir.path().join("labelled.csv");
    let text = std::fs::read_to_string(&f.csv).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{},y\n", lines.next().unwrap());
    for (line, want) in lines.zip(&f.expected) {
        out.push_str(&format!("{line},{}\n", argmax(want)));
    }
    std::fs::write(&labelled, out).unwrap();
    let report = ok(&[
        "evaluate",
        "--model",
        s(&f.model),
        "--data",
        s(&labelled),
        "--label",
        "y",
    ]);
    assert!(report.contains("samples:   64"), "{report}");
    assert!(report.contains("accuracy:  1.0000"), "{report}");

    // run: one line in, one line out, the same classes and outputs as predict.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["run", "--model", s(&f.model)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = f
        .raw_rows
        .iter()
        .map(|r| r.iter().map(f32::to_string).collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let answers = String::from_utf8(o.stdout).unwrap();
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), f.expected.len());
    for (line, want) in answers.iter().zip(&f.expected) {
        let dequantized: Vec<String> = want
            .iter()
            .map(|&v| format!("{:?}", f.output_scale * (v - f.output_zero_point) as f32))
            .collect();
        assert!(
            line.contains(&format!("class {}", argmax(want)))
                && line.ends_with(&format!("[{}]", dequantized.join(", "))),
            "{line}"
        );
    }

    // export-vectors: the outputs' bits, the dequantized int8 outputs.
    let vectors = dir.path().join("v.json");
    ok(&[
        "export-vectors",
        "--model",
        s(&f.model),
        "--data",
        s(&f.csv),
        "--out",
        s(&vectors),
    ]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&vectors).unwrap()).unwrap();
    for (vector, want) in v["vectors"].as_array().unwrap().iter().zip(&f.expected) {
        let got: Vec<u32> = vector["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as u32)
            .collect();
        let dequantized: Vec<f32> = want
            .iter()
            .map(|&v| f.output_scale * (v - f.output_zero_point) as f32)
            .collect();
        assert_eq!(got, bits(&dequantized));
    }

    // info: int8 layers, their quantization, their sizes.
    let info = json(&["info", s(&f.model), "--json"]);
    assert_eq!(info["dtype"], "int8");
    let layers = info["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    for l in layers {
        assert_eq!(l["dtype"], "int8");
        assert_eq!(l["int8"]["scaling"], "per-channel");
        let units = l["units"].as_u64().unwrap();
        let params = l["params"].as_u64().unwrap();
        // int8 weights, int32 biases and multipliers, one shift byte per unit.
        assert_eq!(
            l["bytes"].as_u64().unwrap(),
            (params - units) + 4 * units + 4 * units + units
        );
    }
    assert_eq!(info["output_quantization"]["zero_point"], -128);
    let text = ok(&["info", s(&f.model)]);
    assert!(
        text.contains("(int8)") && text.contains("per-channel weights"),
        "{text}"
    );
    let per_tensor = fixture(dir.path(), "dense_softmax.int8_per_tensor");
    let info = json(&["info", s(&per_tensor.model), "--json"]);
    assert_eq!(info["layers"][0]["int8"]["scaling"], "per-tensor");
}

/// `train --quantize` on Iris, nothing held out: returns (f32 path, int8 path, stdout).
fn train_quantized(dir: &Path, extra: &[&str]) -> (PathBuf, PathBuf, String) {
    let out = dir.join("iris.postcard");
    let args = [
        &[
            "train",
            "--spec",
            "examples/iris.toml",
            "--data",
            "examples/data/iris_train.csv",
            "--verbose",
            "0",
            "--seed",
            "1",
            "--out",
            s(&out),
        ][..],
        extra,
    ]
    .concat();
    let stdout = ok(&args);
    (out, dir.join("iris.int8.postcard"), stdout)
}

#[test]
fn train_quantize_writes_the_int8_model_dendrite_quantize_writes_and_its_report() {
    let dir = scratch("int8-train");
    let (float, int8, stdout) = train_quantized(dir.path(), &["--test-split", "0", "--quantize"]);
    // The report `dendrite quantize` prints, after training.
    for part in [
        "int8 quantization (calibrated on the training rows):",
        "calibration (120 rows):",
        "accuracy  float",
        "largest output difference",
        "parameters: float 972 bytes, int8",
        "standardization: kept as an f32 step",
        "(int8, ",
    ] {
        assert!(stdout.contains(part), "{part}: {stdout}");
    }
    // The same int8 model, byte for byte, as `dendrite quantize` calibrated on the same rows.
    let by_quantize = dir.path().join("by-quantize.postcard");
    let report = json(&[
        "quantize",
        "--model",
        s(&float),
        "--calibration",
        "examples/data/iris_train.csv",
        "--label",
        "species",
        "--json",
        "--out",
        s(&by_quantize),
    ]);
    assert_eq!(report["standardization"], "kept_f32");
    assert_eq!(
        std::fs::read(&int8).unwrap(),
        std::fs::read(&by_quantize).unwrap()
    );
    let accuracy = report["calibration"]["int8_accuracy"].as_f64().unwrap();
    assert!(
        stdout.contains(&format!("int8 {:>9}", format!("{:.2} %", 100.0 * accuracy))),
        "{stdout}"
    );

    // The int8 file keeps the class and feature names: evaluate matches columns by name and
    // scores within a row of the f32 model on held-out rows.
    let score = |model: &Path| {
        let text = ok(&[
            "evaluate",
            "--model",
            s(model),
            "--data",
            "examples/data/iris_test.csv",
            "--label",
            "species",
        ]);
        let line = text.lines().find(|l| l.starts_with("accuracy:")).unwrap();
        line["accuracy:".len()..].trim().parse::<f64>().unwrap()
    };
    let (f, q) = (score(&float), score(&int8));
    assert!(q >= f - 1.0 / 30.0 - 1e-9, "float {f}, int8 {q}");

    // predict: the dequantized int8 outputs, the class by the one class rule, the class name.
    let p = json(&[
        "predict",
        "--model",
        s(&int8),
        "--json",
        "5.1",
        "3.5",
        "1.4",
        "0.2",
    ]);
    let q: Vec<i64> = ints(&p["quantized_outputs"]);
    let outputs = floats(&p["outputs"]);
    // Softmax output: scale 1/256, zero point -128.
    let dequantized: Vec<f32> = q.iter().map(|&v| (v + 128) as f32 / 256.0).collect();
    assert_eq!(bits(&outputs), bits(&dequantized));
    assert_eq!(p["label"], "setosa");
    // The f32 model's answer has no quantized_outputs.
    let pf = json(&[
        "predict",
        "--model",
        s(&float),
        "--json",
        "5.1",
        "3.5",
        "1.4",
        "0.2",
    ]);
    assert!(pf.get("quantized_outputs").is_none());

    let info = json(&["info", s(&int8), "--json"]);
    assert_eq!(info["dtype"], "int8");
    assert_eq!(info["features"][0], "sepal_length");
    assert_eq!(info["labels"][2], "virginica");
    let info_f = json(&["info", s(&float), "--json"]);
    assert_eq!(info_f["dtype"], "f32");
    assert!(info["parameter_bytes"].as_u64() < info_f["parameter_bytes"].as_u64());
}

#[test]
fn train_int8_only_and_the_quantize_table() {
    let dir = scratch("int8-only");
    // --int8-only: the int8 model at --out, no f32 file.
    let (out, beside, stdout) = train_quantized(dir.path(), &["--int8-only"]);
    assert!(!beside.exists());
    assert!(
        stdout.contains("test (24 rows):"),
        "held-out rows compared: {stdout}"
    );
    assert_eq!(json(&["info", s(&out), "--json"])["dtype"], "int8");

    // The spec's [quantize] table: calibration file and output path.
    let spec = dir.path().join("q.toml");
    let iris = std::fs::read_to_string(repo().join("examples/iris.toml")).unwrap();
    let calibration = repo().join("examples/data/iris_train.csv");
    let int8 = dir.path().join("chosen.postcard");
    std::fs::write(
        &spec,
        format!(
            "{iris}\n[quantize]\ncalibration = {:?}\nout = {:?}\n",
            s(&calibration),
            s(&int8)
        ),
    )
    .unwrap();
    let f32_out = dir.path().join("f.postcard");
    let stdout = ok(&[
        "train",
        "--spec",
        s(&spec),
        "--data",
        "examples/data/iris_train.csv",
        "--verbose",
        "0",
        "--out",
        s(&f32_out),
    ]);
    assert!(stdout.contains("calibrated on"), "{stdout}");
    assert_eq!(json(&["info", s(&int8), "--json"])["dtype"], "int8");
    assert_eq!(json(&["info", s(&f32_out), "--json"])["dtype"], "f32");

    // Refused before training: both replace_float and out; an unknown key; an int8 output
    // equal to --out; quantizing an int8 file.
    for (table, expected) in [
        (
            "replace_float = true\nout = \"x.postcard\"\n",
            "quantize.out",
        ),
        ("calibraton = \"x.csv\"\n", "calibraton"),
    ] {
        std::fs::write(&spec, format!("{iris}\n[quantize]\n{table}")).unwrap();
        let o = dendrite(&["train", "--spec", s(&spec), "--out", s(&f32_out)]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{err}");
    }
    let o = dendrite(&[
        "train",
        "--spec",
        "examples/iris.toml",
        "--data",
        "examples/data/iris_train.csv",
        "--out",
        s(&f32_out),
        "--int8-out",
        s(&f32_out),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--int8-only"), "{err}");
    let o = dendrite(&[
        "quantize",
        "--model",
        s(&int8),
        "--calibration",
        "examples/data/iris_train.csv",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("holds int8 layers"),
        "{err}"
    );
}

/// 4-byte-aligned bytes, as a model file sits in a device's weights region.
#[repr(C, align(4))]
struct Aligned([u8; 4096]);

fn aligned(bytes: &[u8]) -> Box<Aligned> {
    let mut a = Box::new(Aligned([0; 4096]));
    a.0[..bytes.len()].copy_from_slice(bytes);
    a
}

/// The host commands' int8 path (`HostModel`) and the device's (`Int8NetworkRef`, the model file
/// read in place) compute the same bits: on an imported TFLite file and on a model Dendrite
/// trained and quantized, whose f32 standardization precedes the input quantization.
#[test]
fn host_int8_path_equals_the_in_place_network_the_device_runs() {
    use dendrite_core::act::{Relu, Softmax};
    use dendrite_core::{Int8ChainRef, Int8DenseRef, Int8NetworkRef};
    use dendrite_trainer::HostModel;
    type Tflite<'a> = Int8NetworkRef<
        'a,
        7,
        4,
        Int8ChainRef<
            'a,
            7,
            16,
            Relu,
            Int8ChainRef<'a, 16, 8, Relu, Int8DenseRef<'a, 8, 4, Softmax>>,
        >,
    >;
    type Iris<'a> = Int8NetworkRef<
        'a,
        4,
        3,
        Int8ChainRef<
            'a,
            4,
            16,
            Relu,
            Int8ChainRef<'a, 16, 8, Relu, Int8DenseRef<'a, 8, 3, Softmax>>,
        >,
    >;
    let dir = scratch("int8-in-place");
    let f = fixture(dir.path(), "dense_softmax.int8");
    let bytes = std::fs::read(&f.model).unwrap();
    let host = HostModel::from_bytes(&bytes, &f.model).unwrap();
    let region = aligned(&bytes);
    let device = Tflite::from_region(&region.0).unwrap();
    for x in &f.raw_rows {
        let x: [f32; 7] = x.as_slice().try_into().unwrap();
        let q = host.predict_quantized(&x).unwrap().unwrap();
        assert_eq!(q, device.predict_quantized(&x));
        assert_eq!(bits(&host.predict(&x).unwrap()), bits(&device.predict(&x)));
    }

    let (_, int8, _) = train_quantized(dir.path(), &["--test-split", "0", "--quantize"]);
    let bytes = std::fs::read(&int8).unwrap();
    let host = HostModel::from_bytes(&bytes, &int8).unwrap();
    assert!(!host.int8().unwrap().has_identity_standardization());
    let region = aligned(&bytes);
    let device = Iris::from_region(&region.0).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..5_000 {
        let x: [f32; 4] = std::array::from_fn(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 9.0 - 1.0
        });
        let q = host.predict_quantized(&x).unwrap().unwrap();
        assert_eq!(q, device.predict_quantized(&x), "{x:?}");
        assert_eq!(bits(&host.predict(&x).unwrap()), bits(&device.predict(&x)));
    }
}

/// Regression and anomaly detection quantize with their task: an int8 regression model answers
/// in the targets' units, an int8 autoencoder gets the threshold of its own reconstruction
/// errors (the same percentile as the f32 one's), and both run through `predict` and `evaluate`.
#[test]
fn regression_and_anomaly_models_keep_their_task_in_int8() {
    let dir = scratch("int8-tasks");
    let sine = dir.path().join("sine.postcard");
    let stdout = ok(&[
        "train",
        "--spec",
        "examples/sine.toml",
        "--epochs",
        "3",
        "--verbose",
        "0",
        "--quantize",
        "--out",
        s(&sine),
    ]);
    assert!(stdout.contains("int8 quantization"), "{stdout}");
    let int8 = dir.path().join("sine.int8.postcard");
    let info = json(&["info", s(&int8), "--json"]);
    assert_eq!(
        (info["dtype"].as_str(), info["task"].as_str()),
        (Some("int8"), Some("regression"))
    );
    let p = json(&["predict", "--model", s(&int8), "--json", "1.0"]);
    assert_eq!(p["targets"][0], "y");
    assert!(p["quantized_outputs"].as_array().unwrap().len() == 1);
    let text = ok(&[
        "evaluate",
        "--model",
        s(&int8),
        "--data",
        "examples/data/sine_test.csv",
        "--label",
        "y",
    ]);
    assert!(text.to_lowercase().contains("mae"), "{text}");

    let anomaly = dir.path().join("anomaly.postcard");
    let stdout = ok(&[
        "train",
        "--spec",
        "examples/anomaly.toml",
        "--epochs",
        "2",
        "--verbose",
        "0",
        "--quantize",
        "--out",
        s(&anomaly),
    ]);
    let printed = |prefix: &str| -> f32 {
        let line = stdout.lines().find(|l| l.starts_with(prefix)).unwrap();
        line[prefix.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let int8 = dir.path().join("anomaly.int8.postcard");
    let info = json(&["info", s(&int8), "--json"]);
    let threshold = info["threshold"].as_f64().unwrap() as f32;
    assert!(
        (threshold - printed("int8 anomaly threshold:")).abs() < 1e-5,
        "{stdout}"
    );
    let f32_threshold = json(&["info", s(&anomaly), "--json"])["threshold"]
        .as_f64()
        .unwrap();
    assert!((f32_threshold as f32 - printed("anomaly threshold:")).abs() < 1e-5);
    // The autoencoder's standardization is its target: never folded.
    assert!(info["std"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v.as_f64() != Some(1.0)));
    let text = ok(&[
        "evaluate",
        "--model",
        s(&int8),
        "--data",
        "examples/data/vibration_test.csv",
        "--label",
        "anomaly",
    ]);
    assert!(text.to_lowercase().contains("recall"), "{text}");
}

#[test]
fn normalized_tflite_model_imports_and_predicts_as_the_interpreter() {
    // A Keras Normalization layer in front of the dense layers: TFLite's SUB and MUL become
    // the model file's standardization, so `predict` takes the raw inputs.
    let dir = scratch("tflite-normalized");
    let name = "normalized.f32";
    let model = dir.path().join("m.postcard");
    let said = ok(&[
        "import",
        s(&fixtures().join(format!("{name}.tflite"))),
        "--out",
        s(&model),
    ]);
    assert!(said.contains("float32 dense model: 6-12-3"), "{said}");
    assert!(said.contains("standardization: (x - mean) / std"), "{said}");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let mut worst = 0.0f32;
    for (x, want) in doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(doc["outputs"].as_array().unwrap())
        .take(16)
    {
        let values: Vec<String> = floats(x).iter().map(f32::to_string).collect();
        let mut args = vec!["predict", "--model", s(&model), "--json"];
        args.extend(values.iter().map(String::as_str));
        let p = json(&args);
        let (got, want) = (floats(&p["outputs"]), floats(want));
        for (g, w) in got.iter().zip(&want) {
            worst = worst.max((g - w).abs());
        }
        assert_eq!(p["class"].as_u64().unwrap() as usize, argmax(&want));
    }
    // TFLite multiplies by a reciprocal where the file divides: an ulp of a standardized
    // input, then float rounding through two layers and a softmax.
    assert!(worst < 1e-5, "largest difference {worst}");
}

#[test]
fn int8_tflite_with_a_quantized_standardization_is_refused_by_name() {
    let o = dendrite(&[
        "import",
        s(&fixtures().join("normalized.int8.tflite")),
        "--out",
        s(&scratch("tflite-int8-sub").path().join("m.postcard")),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines().any(|l| l.contains(
            "SUB at operator 0 of the graph is not a standardization of the float input (quantized"
        )),
        "{err}"
    );
}

#[test]
fn tflite_models_with_keras_activations_predict_as_the_interpreter() {
    // selu (a graph of six operators), gelu (one operator), relu6 (fused): imported and run
    // as a user does, `import` then `predict --json` on the interpreter's inputs.
    let dir = scratch("tflite-activations");
    for (keras, shown) in [("selu", "selu"), ("gelu", "gelu"), ("relu6", "relu6")] {
        let name = format!("act_{keras}.f32");
        let model = dir.path().join(format!("{keras}.postcard"));
        ok(&[
            "import",
            s(&fixtures().join(format!("{name}.tflite"))),
            "--out",
            s(&model),
        ]);
        let info = ok(&["info", s(&model)]);
        assert!(info.contains(&format!("6-10-3 {shown}/linear")), "{info}");
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        for (x, want) in doc["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(doc["outputs"].as_array().unwrap())
            .take(8)
        {
            let values: Vec<String> = floats(x).iter().map(f32::to_string).collect();
            let mut args = vec!["predict", "--model", s(&model), "--json"];
            args.extend(values.iter().map(String::as_str));
            let got = floats(&json(&args)["outputs"]);
            for (g, w) in got.iter().zip(floats(want)) {
                assert!(
                    (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                    "{name}: {g} vs {w}"
                );
            }
        }
    }
}
