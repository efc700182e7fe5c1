//! Keras files against real Keras: the fixtures in tests/fixtures/keras were written by
//! bench/keras_fixtures.py with Keras 3.15.1 (TensorFlow 2.21), with Keras' own predictions.

use dendrite_trainer::keras::{self, KerasError, KerasFormat, KerasModel};
use dendrite_trainer::HostModel;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

struct Predictions {
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f64>>,
}

fn predictions(name: &str) -> Predictions {
    let text =
        std::fs::read_to_string(fixtures().join(format!("{name}.predictions.json"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let rows = |k: &str| -> Vec<Vec<f64>> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            })
            .collect()
    };
    Predictions {
        inputs: rows("inputs")
            .into_iter()
            .map(|r| r.into_iter().map(|x| x as f32).collect())
            .collect(),
        outputs: rows("outputs"),
    }
}

/// The largest difference between the model file's predictions (dendrite-core's forward
/// pass, as on the device, in the targets' units for a regression) and Keras', relative to
/// the value's magnitude where that exceeds 1 (a regression's outputs in their units).
fn largest_difference(model: &KerasModel, expected: &Predictions) -> f64 {
    let bytes = model.to_model_bytes(Vec::new()).unwrap();
    let host = HostModel::from_bytes(&bytes, Path::new("imported")).unwrap();
    let mut worst = 0.0f64;
    for (x, want) in expected.inputs.iter().zip(&expected.outputs) {
        let got = host.values(&host.predict(x).unwrap());
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            worst = worst.max((f64::from(*g) - w).abs() / w.abs().max(1.0));
        }
    }
    worst
}

const MODELS: [&str; 18] = [
    "batchnorm_after_dense",
    "batchnorm_before_dense",
    "dense_linear",
    "dense_relu",
    "dense_sigmoid",
    "dense_tanh",
    "dense_softmax",
    "no_bias_regression",
    "activation_layers_dropout",
    "normalization_adapted",
    "normalization_given",
    "functional",
    "regression_targets",
    "seed_trained",
    // bench/keras_activation_fixtures.py: the activations past the first five.
    "dense_relu6_leaky_elu_selu",
    "dense_softplus_softsign_swish_gelu",
    "dense_hard_sigmoid_hard_swish_exponential",
    "activation_layers_relu6_leaky_elu",
];

#[test]
fn imported_keras_models_predict_what_keras_predicts() {
    let mut worst = 0.0f64;
    for name in MODELS {
        let model = KerasModel::load(fixtures().join(format!("{name}.keras"))).unwrap();
        let d = largest_difference(&model, &predictions(name));
        println!("{name}.keras: largest difference from Keras {d:.3e}");
        assert!(d <= 1e-6, "{name}: {d}");
        worst = worst.max(d);
    }
    println!("largest difference over every .keras fixture: {worst:.3e}");
}

/// Each activation past the first five against Keras' own function (its TensorFlow backend, in
/// f32) on a grid from -12 to 12 with the kinks and their neighbours: the largest difference,
/// relative where the value exceeds 1, printed per activation.
#[test]
fn every_new_activation_computes_what_keras_computes() {
    let text = std::fs::read_to_string(fixtures().join("activation_values.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let inputs: Vec<f32> = floats(&v["inputs"]).iter().map(|&x| x as f32).collect();
    let outputs = v["outputs"].as_object().unwrap();
    assert_eq!(outputs.len(), 13);
    for (name, want) in outputs {
        let activation = dendrite_trainer::Activation::from_name(name).unwrap();
        let mut got = inputs.clone();
        activation.apply(&mut got);
        let want = floats(want);
        let mut worst = (0.0f64, 0.0f32);
        for ((g, w), x) in got.iter().zip(&want).zip(&inputs) {
            // Keras' file holds the f32 outputs in their shortest decimals.
            let w = f64::from(*w as f32);
            let d = (f64::from(*g) - w).abs() / w.abs().max(1.0);
            if d > worst.0 {
                worst = (d, *x);
            }
        }
        println!(
            "{name}: largest difference from Keras {:.3e} (at x = {})",
            worst.0, worst.1
        );
        assert!(worst.0 <= 1e-6, "{name}: {} at {}", worst.0, worst.1);
    }
}

#[test]
fn legacy_h5_models_predict_what_keras_predicts() {
    for name in ["dense_relu", "normalization_adapted"] {
        let model = KerasModel::load(fixtures().join(format!("{name}.h5"))).unwrap();
        let from_keras = KerasModel::load(fixtures().join(format!("{name}.keras"))).unwrap();
        assert_eq!(model.layers, from_keras.layers, "{name}");
        assert_eq!(model.normalization, from_keras.normalization, "{name}");
        let d = largest_difference(&model, &predictions(name));
        println!("{name}.h5: largest difference from Keras {d:.3e}");
        assert!(d <= 1e-6, "{name}: {d}");
    }
}

#[test]
fn tf_keras2_layout_h5_predicts_what_keras_predicts() {
    // tf.keras 2.x's legacy layout (`batch_input_shape`, `kernel:0`), written by the fixtures
    // script with h5py from the Keras 3 model's weights.
    let model = KerasModel::load(fixtures().join("dense_tanh.tf_keras2.h5")).unwrap();
    let d = largest_difference(&model, &predictions("dense_tanh"));
    assert!(d <= 1e-6, "{d}");
}

#[test]
fn weights_only_file_with_its_configuration() {
    let config = std::fs::read_to_string(fixtures().join("functional.config.json")).unwrap();
    let model =
        KerasModel::load_weights(fixtures().join("functional.weights.h5"), &config).unwrap();
    let d = largest_difference(&model, &predictions("functional"));
    assert!(d <= 1e-6, "{d}");
    let err = KerasModel::load(fixtures().join("functional.weights.h5")).unwrap_err();
    assert!(err.to_string().contains("configuration"), "{err}");
}

#[test]
fn normalization_is_bit_exact_with_keras_formula() {
    let model = KerasModel::load(fixtures().join("normalization_given.keras")).unwrap();
    let n = model.normalization.as_ref().unwrap();
    // variance 0 divides by Keras' epsilon; the others by the square root.
    assert_eq!(n.std(), vec![1.0, 10.0, 1e-7, 3.0, 100.0]);
    let adapted = KerasModel::load(fixtures().join("normalization_adapted.keras")).unwrap();
    let n = adapted.normalization.as_ref().unwrap();
    assert_eq!(n.mean.len(), 5);
    assert!(n.variance.iter().all(|v| *v > 0.0));
}

#[test]
fn unsupported_layers_are_refused_in_one_line() {
    for (name, class, what) in [
        ("refused_conv1d", "Conv1D", "Dendrite has no such layer"),
        ("refused_mish", "Dense", "activation `mish`"),
        (
            "refused_leaky_relu_default",
            "LeakyReLU",
            "a LeakyReLU with negative_slope 0.3 (Dendrite's leaky_relu has slope 0.2 only)",
        ),
        (
            "refused_elu_alpha",
            "ELU",
            "an ELU with alpha 0.5 (Dendrite's elu has alpha 1 only)",
        ),
        (
            "refused_relu_max_value",
            "ReLU",
            "a ReLU with max_value 4 (Dendrite has relu6 only)",
        ),
        (
            "refused_batchnorm",
            "BatchNormalization",
            "it must follow a Dense layer without activation",
        ),
    ] {
        let err = KerasModel::load(fixtures().join(format!("{name}.keras"))).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, KerasError::Unsupported { .. }), "{message}");
        assert!(
            message.contains(&format!("` ({class}) is not supported: {what}")),
            "{message}"
        );
        assert!(
            message.contains("supported: InputLayer, Dense"),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn exported_files_are_read_back_the_same() {
    for name in MODELS {
        let model = KerasModel::load(fixtures().join(format!("{name}.keras"))).unwrap();
        let bytes = model.to_model_bytes(Vec::new()).unwrap();
        let host = HostModel::from_bytes(&bytes, Path::new("imported")).unwrap();
        let exported = KerasModel::from_model_file(&host);
        for format in [KerasFormat::Keras, KerasFormat::H5] {
            let file = keras::to_bytes(&exported, format).unwrap();
            let back = KerasModel::from_bytes(file, Path::new("exported"), None).unwrap();
            let again = back.to_model_bytes(Vec::new()).unwrap();
            assert_eq!(again, bytes, "{name} as {format:?}: the model file changed");
        }
    }
}

#[test]
fn damaged_files_are_refused_without_panic() {
    for file in [
        "normalization_adapted.keras",
        "dense_relu.h5",
        "functional.weights.h5",
    ] {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = KerasModel::from_bytes(bytes[..cut].to_vec(), Path::new(file), None);
        }
        for at in (0..bytes.len()).step_by(step) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x5a;
            let _ = KerasModel::from_bytes(damaged, Path::new(file), None);
        }
    }
    let err =
        KerasModel::from_bytes(b"not a model".to_vec(), Path::new("x.keras"), None).unwrap_err();
    assert!(err.to_string().contains("not a Keras file"), "{err}");
}

#[test]
fn randomly_mutated_files_are_refused_or_read_without_panic() {
    // A small xorshift generator: the same mutations on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for file in [
        "seed_initial.keras",
        "dense_relu.h5",
        "normalization_adapted.h5",
    ] {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        for _ in 0..300 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % damaged.len() as u64) as usize;
                damaged[at] = next() as u8;
            }
            let cut = damaged.len() - (next() % 64) as usize;
            damaged.truncate(cut);
            if let Ok(model) = KerasModel::from_bytes(damaged, Path::new(file), None) {
                let _ = model.to_model_bytes(Vec::new());
            }
        }
    }
}
