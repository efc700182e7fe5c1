//! Deterministic training gives the same model file on every CPU: the bytes of three trainings
//! are pinned here by their length and CRC-32, and `cargo xtask test` runs this file both
//! natively and, built for `aarch64-unknown-linux-gnu`, under `qemu-aarch64`. So a change that
//! makes x86_64 and aarch64 train differently (a platform `expf`, a fused multiply-add, a
//! CPU-dependent kernel) fails on one of them.
//!
//! Between them the trainings go through every function whose bits could depend on the CPU or
//! its C library: relu, softmax, tanh and sigmoid forward and backward, the eleven newer
//! activations (relu6 to exponential: `libm`'s expf, expm1f, log1pf and erfcf) likewise, categorical and binary
//! cross-entropy and MSE, RMSprop, Adam (`β^t`) and SGD with momentum, the initializers'
//! normal and uniform draws, standardization, inverted dropout, L1/L2 penalties,
//! `class_weight`, and an exponential learning-rate schedule (`rate^(epoch / steps)`).
//!
//! When a deliberate change alters training, every pin changes: rerun with
//! `-- --nocapture` and copy the printed values, on x86_64 and aarch64 alike.

use dendrite_trainer::callbacks::LearningRateScheduler;
use dendrite_trainer::data::{read_csv, CsvColumns, Standardization};
use dendrite_trainer::spec::ModelSpec;
use dendrite_trainer::{datasets, utils, Callback, ClassWeight, FitOptions, Preprocessing};
use dendrite_trainer::{Sequential, Verbosity};
use ndarray::Array2;
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The length and CRC-32 of a model file (its last four bytes, little-endian).
fn pin(bytes: &[u8]) -> (usize, u32) {
    let tail: [u8; 4] = bytes[bytes.len() - 4..].try_into().expect("four bytes");
    (bytes.len(), u32::from_le_bytes(tail))
}

/// Builds, compiles and trains `spec` on `(x, y)`, and returns the model file's bytes.
fn train(
    spec: &ModelSpec,
    (x, y): (&Array2<f32>, &Array2<f32>),
    classes: usize,
    class_weight: Option<ClassWeight>,
    preprocessing: &Preprocessing,
) -> Vec<u8> {
    let mut model: Sequential = spec.build(x.ncols(), classes).expect("the spec builds");
    spec.compile(&mut model).expect("the spec compiles");
    let options = FitOptions {
        epochs: spec.fit.epochs,
        batch_size: spec.fit.batch_size,
        shuffle: spec.fit.shuffle,
        verbose: Verbosity::Silent,
        class_weight,
        ..FitOptions::default()
    };
    let mut rng = utils::set_random_seed(spec.fit.seed);
    let mut schedule = spec
        .callbacks
        .learning_rate_schedule
        .map(LearningRateScheduler::new);
    let mut callbacks: Vec<&mut dyn Callback> = Vec::new();
    if let Some(s) = &mut schedule {
        callbacks.push(s);
    }
    model
        .fit_with_callbacks(x.view(), y.view(), &options, &mut rng, &mut callbacks)
        .expect("training succeeds");
    model
        .to_model_bytes(preprocessing)
        .expect("the model exports")
}

/// The seed tutorial's network and training as `examples/seed.toml` has them: relu and
/// softmax, RMSprop, 10 epochs of batch 8 (the model file without its names).
#[test]
fn seed_tutorial() {
    let spec = ModelSpec::load(&examples().join("seed.toml")).expect("examples/seed.toml");
    let mut rng = utils::set_random_seed(spec.fit.seed);
    let (x, gender) = datasets::seed(1000, &mut rng);
    let y = utils::to_categorical(&gender, 2).expect("two classes");
    let bytes = train(&spec, (&x, &y), 2, None, &Preprocessing::identity(3));
    println!("seed tutorial: {:?}", pin(&bytes));
    assert_eq!(pin(&bytes), (168, 0x7727_2888));
}

/// Iris with every other training feature: tanh and sigmoid hidden layers with L1/L2
/// penalties, dropout, Adam, balanced class weights, an exponential schedule, standardized
/// inputs.
#[test]
fn iris_with_every_training_feature() {
    let spec = ModelSpec::from_toml(
        r#"
        [[layers]]
        units = 12
        activation = "tanh"
        kernel_initializer = "he_normal"
        kernel_regularizer = { l1 = 0.001, l2 = 0.01 }
        [[layers]]
        type = "dropout"
        rate = 0.25
        [[layers]]
        units = 6
        activation = "sigmoid"
        kernel_initializer = "random_uniform"
        bias_regularizer = "l2"
        [[layers]]
        activation = "softmax"
        [compile]
        optimizer = "adam"
        [fit]
        epochs = 15
        batch_size = 8
        seed = 7
        [callbacks.learning_rate_schedule]
        schedule = "exponential"
        decay_rate = 0.8
        decay_epochs = 3
        "#,
        "iris spec",
    )
    .expect("the spec parses");
    let columns = CsvColumns {
        label: Some("species"),
        ..CsvColumns::default()
    };
    let mut data = read_csv(&examples().join("data/iris.csv"), &columns).expect("iris.csv");
    let standardization = Standardization::fit(data.x.view());
    standardization.apply(&mut data.x);
    let labels: Vec<f32> = data.labels.iter().map(|&l| l as f32).collect();
    let y = utils::to_categorical(&ndarray::Array1::from(labels), data.classes.len())
        .expect("three classes");
    let preprocessing = Preprocessing {
        mean: standardization.mean.clone(),
        std: standardization.std.clone(),
        features: data.features.clone(),
        labels: data.classes.clone(),
        ..Preprocessing::default()
    };
    let bytes = train(
        &spec,
        (&data.x, &y),
        data.classes.len(),
        Some(ClassWeight::Balanced),
        &preprocessing,
    );
    println!("iris: {:?}", pin(&bytes));
    assert_eq!(pin(&bytes), (796, 0x16e7_8bf4));
}

/// A binary classifier on the seed data: one sigmoid output, binary cross-entropy, SGD with
/// Nesterov momentum.
#[test]
fn binary_sigmoid_with_sgd() {
    let spec = ModelSpec::from_toml(
        r#"
        [[layers]]
        units = 5
        activation = "relu"
        kernel_initializer = "glorot_normal"
        [[layers]]
        units = 1
        activation = "sigmoid"
        [compile]
        optimizer = { name = "sgd", learning_rate = 0.05, momentum = 0.9, nesterov = true }
        loss = "binary_crossentropy"
        [fit]
        epochs = 4
        batch_size = 16
        seed = 3
        "#,
        "binary spec",
    )
    .expect("the spec parses");
    let mut rng = utils::set_random_seed(11);
    let (x, gender) = datasets::seed(600, &mut rng);
    let y = gender.insert_axis(ndarray::Axis(1));
    let bytes = train(&spec, (&x, &y), 2, None, &Preprocessing::identity(3));
    println!("binary: {:?}", pin(&bytes));
    assert_eq!(pin(&bytes), (168, 0x1a95_7aba));
}

/// The activations past the first five, forward and derivative, through training: every one
/// goes through `libm` (expf, expm1f, log1pf, erfcf) or plain IEEE arithmetic, so x86_64 and
/// aarch64 train the same bytes.
#[test]
fn every_new_activation() {
    let spec = ModelSpec::from_toml(
        r#"
        [[layers]]
        units = 6
        activation = "elu"
        [[layers]]
        units = 6
        activation = "selu"
        [[layers]]
        units = 6
        activation = "relu6"
        [[layers]]
        units = 6
        activation = "leaky_relu"
        [[layers]]
        units = 6
        activation = "softplus"
        [[layers]]
        units = 6
        activation = "swish"
        [[layers]]
        units = 6
        activation = "gelu"
        [[layers]]
        units = 6
        activation = "softsign"
        [[layers]]
        units = 6
        activation = "hard_swish"
        [[layers]]
        units = 6
        activation = "hard_sigmoid"
        [[layers]]
        units = 6
        activation = "exponential"
        [[layers]]
        activation = "softmax"
        [compile]
        optimizer = "adam"
        [fit]
        epochs = 3
        batch_size = 16
        seed = 5
        "#,
        "new activations spec",
    )
    .expect("the spec parses");
    let mut rng = utils::set_random_seed(13);
    let (x, gender) = datasets::seed(400, &mut rng);
    let y = utils::to_categorical(&gender, 2).expect("two classes");
    let bytes = train(&spec, (&x, &y), 2, None, &Preprocessing::identity(3));
    println!("new activations: {:?}", pin(&bytes));
    assert_eq!(pin(&bytes), (2008, 0xe9bf_a37b));
}
