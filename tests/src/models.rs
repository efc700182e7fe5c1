//! Deterministic model files and inputs, and the ways the scenarios damage model files.

use dendrite_core::format::{self, LayerRef, LayerSpec, ModelRef, Task};
use dendrite_core::Activation;

/// A xorshift32 generator: the same stream on every machine, no dependency.
#[derive(Clone, Debug)]
pub struct Xorshift(u32);

impl Xorshift {
    /// A generator from a non-zero seed (zero is replaced by a fixed constant).
    pub fn new(seed: u32) -> Self {
        Self(if seed == 0 { 0x2545_f491 } else { seed })
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// A value uniform in `[low, high)`, on a grid of 1/100,000 of the range.
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        let unit = (self.next_u32() % 100_000) as f32 / 100_000.0;
        low + (high - low) * unit
    }
}

/// `n` random inputs of `width` values in `[-200, 200)`: far outside the training data as well
/// as inside it, so that every activation regime (and softmax saturation) is exercised.
pub fn random_inputs(n: usize, width: usize, seed: u32) -> Vec<Vec<f32>> {
    let mut rng = Xorshift::new(seed);
    (0..n)
        .map(|_| (0..width).map(|_| rng.uniform(-200.0, 200.0)).collect())
        .collect()
}

/// A valid model file of the given architecture with weights drawn from `seed` (uniform in
/// [-1, 1)), standardization mean 0.5 and std 2 on every input, no labels.
///
/// # Panics
/// When the architecture cannot be encoded (more layers than the format holds).
pub fn synthetic(input: u16, layers: &[(u16, Activation)], seed: u32) -> Vec<u8> {
    synthetic_for(input, layers, seed, Task::Classification)
}

/// As [`synthetic`], for `task` (a regression model's targets' standardization, an anomaly
/// threshold).
///
/// # Panics
/// As [`synthetic`]; when the task does not fit the architecture.
pub fn synthetic_for(
    input: u16,
    layers: &[(u16, Activation)],
    seed: u32,
    task: Task<&[f32]>,
) -> Vec<u8> {
    let mut rng = Xorshift::new(seed);
    let mut fan_in = usize::from(input);
    let arrays: Vec<(Vec<f32>, Vec<f32>)> = layers
        .iter()
        .map(|&(units, _)| {
            let n = usize::from(units);
            let kernel = (0..n * fan_in).map(|_| rng.uniform(-1.0, 1.0)).collect();
            fan_in = n;
            (kernel, (0..n).map(|_| rng.uniform(-0.1, 0.1)).collect())
        })
        .collect();
    let refs: Vec<LayerRef> = layers
        .iter()
        .zip(&arrays)
        .map(|(&(units, activation), (kernel, bias))| LayerRef {
            spec: LayerSpec {
                units,
                activation,
                name: "dense",
            },
            kernel,
            bias,
        })
        .collect();
    let n = usize::from(input);
    let (mean, std) = (vec![0.5; n], vec![2.0; n]);
    let model = ModelRef {
        input,
        labels: "",
        mean: &mean,
        std: &std,
        layers: &refs,
        task,
        ..ModelRef::default()
    };
    let len = model.encoded_len().expect("an encodable architecture");
    let mut bytes = vec![0; len];
    model.encode(&mut bytes).expect("a buffer of encoded_len");
    bytes
}

/// `model` with one weight byte flipped: the stored CRC-32 no longer matches.
pub fn corrupted(model: &[u8]) -> Vec<u8> {
    let mut bytes = model.to_vec();
    let at = bytes.len() - 8; // inside the last layer's bias, before the CRC trailer
    bytes[at] ^= 0x40;
    bytes
}

/// `model` declaring format `version` (a one-byte varint, so below 128), with its CRC-32
/// recomputed: only the version is wrong.
pub fn with_version(model: &[u8], version: u8) -> Vec<u8> {
    assert!(version < 128, "a one-byte varint");
    let mut bytes = model.to_vec();
    // Magic `DNDR`, then the version as a postcard varint.
    bytes[4] = version;
    let body = bytes.len() - 4;
    let crc = format::crc32(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// The rows of a numeric CSV table of the repository (`examples/data/…`, a header line first),
/// each split into its features and its last column (the label).
///
/// # Panics
/// When the file is missing, or a field is not a number, or a row is empty.
pub fn table_rows(path: &str) -> Vec<(Vec<f32>, f32)> {
    let path = crate::build::repo().join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|line| {
            let mut values: Vec<f32> = line
                .split(',')
                .map(|v| v.parse().expect("a number"))
                .collect();
            let label = values.pop().expect("a label column");
            (values, label)
        })
        .collect()
}

/// The int8 model files the suites run, committed in `tests/models/` because `model!` reads
/// them at compile time; `tests/tests/int8_on_device.rs` checks that each is what Dendrite's
/// tools make from its source today.
pub mod int8 {
    use super::random_inputs;
    use dendrite_trainer::quantize::quantize;
    use dendrite_trainer::tflite::{import, Imported};
    use dendrite_trainer::HostModel;
    use std::path::{Path, PathBuf};

    /// The directory of the committed test models.
    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    /// The directory of the TFLite fixtures made by TensorFlow's converter and run by its
    /// interpreter (`bench/tflite_fixtures.py`), with their recorded inputs and outputs.
    pub fn tflite_dir() -> PathBuf {
        crate::build::repo().join("trainer/tests/fixtures/tflite")
    }

    /// The calibration rows of the 16-32-32-4 model: 2,000 random inputs of the suites' range.
    pub fn wide_calibration() -> Vec<f32> {
        random_inputs(2_000, 16, 0x1632_3204).concat()
    }

    /// `tests/models/16-32-32-4.postcard` quantized by Dendrite
    /// (`dendrite_trainer::quantize`, what `dendrite quantize` runs) on
    /// [`wide_calibration`]: the bytes of `tests/models/16-32-32-4.int8.postcard`.
    ///
    /// # Panics
    /// When the float model cannot be read or quantized.
    pub fn wide() -> Vec<u8> {
        let float = HostModel::load(dir().join("16-32-32-4.postcard")).expect("the float model");
        quantize(&float, &wide_calibration())
            .expect("quantizable")
            .to_model_bytes(float.labels())
            .expect("an encodable int8 model")
    }

    /// The TFLite fixture `name` (`dense_softmax.int8`, …) imported by Dendrite
    /// (`dendrite import`): the bytes of `tests/models/tflite/<name>.postcard`.
    ///
    /// # Panics
    /// When the fixture cannot be read or imported, or is not an int8 model.
    pub fn tflite(name: &str) -> Vec<u8> {
        let bytes =
            std::fs::read(tflite_dir().join(format!("{name}.tflite"))).expect("a TFLite fixture");
        let imported = import(&bytes).expect("an importable fixture");
        assert!(
            matches!(imported, Imported::Int8 { .. }),
            "{name}: not int8"
        );
        imported.to_model_bytes().expect("an encodable model")
    }

    /// The held-out rows of the 8×8 digits (`examples/data/digits_test.csv`), pixels only.
    ///
    /// # Panics
    /// When the file is missing or not numbers.
    pub fn digits_test_rows() -> Vec<Vec<f32>> {
        super::table_rows("examples/data/digits_test.csv")
            .into_iter()
            .map(|(pixels, _digit)| pixels)
            .collect()
    }

    /// The TFLite fixtures the suites run on the device: per-channel softmax, per-tensor
    /// softmax, float input and output around int8 layers, logistic, tanh with relu6, linear
    /// regression.
    pub const TFLITE_FIXTURES: [&str; 6] = [
        "dense_softmax.int8",
        "dense_softmax.int8_per_tensor",
        "dense_softmax.int8_float_io",
        "dense_sigmoid.int8",
        "dense_tanh.int8",
        "regression.int8",
    ];
}

/// What TensorFlow Lite's interpreter (reference kernels) recorded for a TFLite fixture.
#[derive(Clone, Debug)]
pub struct TfliteRecord {
    /// The inputs it was given, one row each: int8 values, or floats for a model with float
    /// input.
    pub inputs: Vec<Vec<f32>>,
    /// Its outputs, one row each: int8 values, or floats for a model with float output.
    pub outputs: Vec<Vec<f32>>,
    /// Whether the model's input and output tensors are int8 (the rows' values are integers).
    pub int8_io: bool,
}

impl TfliteRecord {
    /// The record of the fixture `name` (`dense_softmax.int8`, …).
    ///
    /// # Panics
    /// When the JSON file is missing or not a record.
    pub fn load(name: &str) -> Self {
        let path = int8::tflite_dir().join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).expect("a TFLite fixture's record");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        // Every value is an int8 or a float32 printed exactly: the casts are exact.
        let rows = |key: &str| -> Vec<Vec<f32>> {
            doc[key]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| {
                    r.as_array()
                        .expect("a row")
                        .iter()
                        .map(|v| v.as_f64().expect("a number") as f32)
                        .collect()
                })
                .collect()
        };
        TfliteRecord {
            inputs: rows("inputs"),
            outputs: rows("outputs"),
            int8_io: doc["input"]["dtype"] == "int8",
        }
    }
}
