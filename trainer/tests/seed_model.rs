//! The seed tutorial's model end to end: summary table, determinism, export, host predictions.

use dendrite_trainer::activations::Activation::{Relu, Softmax};
use dendrite_trainer::layers::{Activation, Dense};
use dendrite_trainer::{datasets, utils, FitOptions, HostModel, Initializer, Loss, Metric};
use dendrite_trainer::{Error, Optimizer, Preprocessing, Sequential, Verbosity};
use std::path::Path;

fn seed_model() -> Sequential {
    let random_normal = Initializer::random_normal();
    let mut model = Sequential::new();
    model
        .add(
            Dense::new(4)
                .input_dim(3)
                .kernel_initializer(random_normal)
                .name("Dense1"),
        )
        .unwrap();
    model.add(Activation::new(Relu).name("hidden")).unwrap();
    model
        .add(
            Dense::new(2)
                .kernel_initializer(random_normal)
                .name("Dense2"),
        )
        .unwrap();
    model.add(Activation::new(Softmax).name("output")).unwrap();
    let rmsprop = Optimizer::from_name("rmsprop").unwrap();
    model
        .compile(rmsprop, Loss::CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    model
}

fn silent(epochs: usize) -> FitOptions<'static> {
    FitOptions {
        epochs,
        batch_size: 8,
        verbose: Verbosity::Silent,
        ..FitOptions::default()
    }
}

/// Trains the tutorial with `seed` and returns the model file's bytes.
fn train(seed: u64) -> Vec<u8> {
    let mut rng = utils::set_random_seed(seed);
    let (x, gender) = datasets::seed(1000, &mut rng);
    let y = utils::to_categorical(&gender, 2).unwrap();
    let mut model = seed_model();
    model.fit(&x, &y, &silent(3), &mut rng).unwrap();
    model.to_model_bytes(&Preprocessing::identity(3)).unwrap()
}

#[test]
fn same_seed_gives_identical_model_files() {
    assert_eq!(train(7), train(7));
    assert_ne!(train(7), train(8));
}

#[test]
fn summary_matches_keras_3() {
    let expected = "\
Model: \"sequential\"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ Dense1 (Dense)                  │ (None, 4)              │            16 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ hidden (Activation)             │ (None, 4)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ Dense2 (Dense)                  │ (None, 2)              │            10 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ output (Activation)             │ (None, 2)              │             0 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 26 (104.00 B)
 Trainable params: 26 (104.00 B)
 Non-trainable params: 0 (0.00 B)
";
    assert_eq!(seed_model().summary(), expected);
}

#[test]
fn unnamed_layers_get_keras_names() {
    let mut model = Sequential::new();
    model.add(Dense::new(3).input_dim(2)).unwrap();
    model.add(Dense::new(2)).unwrap();
    model.add(Activation::new(Softmax)).unwrap();
    let names: Vec<&str> = model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(names, ["dense", "dense_1", "activation"]);
}

#[test]
fn training_learns_the_seed_data_and_history_records_each_epoch() {
    let mut rng = utils::set_random_seed(1);
    let (x, gender) = datasets::seed(1000, &mut rng);
    let y = utils::to_categorical(&gender, 2).unwrap();
    let mut model = seed_model();
    let history = model.fit(&x, &y, &silent(10), &mut rng).unwrap();
    let loss = history.get("loss").unwrap();
    assert_eq!(loss.len(), 10);
    assert!(loss[9] < loss[0] - 0.1, "{loss:?}");
    assert!(history.last("accuracy").unwrap() > 0.77);
    let logs = model.evaluate(&x, &y, 32).unwrap();
    assert!(logs.get("accuracy").unwrap() > 0.77);
}

#[test]
fn exported_model_predicts_like_the_trainer() {
    let mut rng = utils::set_random_seed(2);
    let (x, gender) = datasets::seed(1000, &mut rng);
    let y = utils::to_categorical(&gender, 2).unwrap();
    let mut model = seed_model();
    model.fit(&x, &y, &silent(2), &mut rng).unwrap();
    let bytes = model.to_model_bytes(&Preprocessing::identity(3)).unwrap();
    let host = HostModel::from_bytes(&bytes, Path::new("mem")).unwrap();
    assert_eq!(host.architecture().to_string(), "3-4-2 relu/softmax");
    assert_eq!(host.param_count(), 26);
    let trainer = model.predict(x.slice(ndarray::s![..50, ..])).unwrap();
    for (row, expected) in x.rows().into_iter().zip(trainer.rows()) {
        let got = host.predict(row.as_slice().unwrap()).unwrap();
        for (g, e) in got.iter().zip(expected) {
            // Different summation order and exp implementation: a few ulps apart at most.
            assert!((g - e).abs() < 1e-5, "{got:?} vs {expected}");
        }
    }
}

#[test]
fn validation_split_holds_out_the_last_samples() {
    let mut rng = utils::set_random_seed(3);
    let (x, gender) = datasets::seed(1000, &mut rng);
    let y = utils::to_categorical(&gender, 2).unwrap();
    let mut model = seed_model();
    let options = FitOptions {
        validation_split: 0.2,
        ..silent(2)
    };
    let history = model.fit(&x, &y, &options, &mut rng).unwrap();
    // The last 20% are all female: a model evaluated on them alone reports exactly that.
    let last = x.slice(ndarray::s![800.., ..]);
    let logs = model
        .evaluate(last, y.slice(ndarray::s![800.., ..]), 8)
        .unwrap();
    assert_eq!(history.last("val_loss").unwrap(), logs.get("loss").unwrap());
    assert_eq!(
        history.last("val_accuracy").unwrap(),
        logs.get("accuracy").unwrap()
    );
}

#[test]
fn mistakes_are_refused_with_a_reason() {
    let mut model = Sequential::new();
    let err = model.add(Dense::new(4).name("first")).unwrap_err();
    assert!(matches!(err, Error::MissingInputDim { .. }), "{err}");
    model.add(Dense::new(4).input_dim(3)).unwrap();
    let err = model.add(Dense::new(2).input_dim(5)).unwrap_err();
    assert!(err.to_string().contains("input_dim 5"), "{err}");
    let rmsprop = Optimizer::from_name("rmsprop").unwrap();
    let err = model
        .compile(rmsprop, Loss::CategoricalCrossentropy, &[])
        .unwrap_err();
    assert!(err.to_string().contains("softmax"), "{err}");

    let mut model = seed_model();
    let mut rng = utils::set_random_seed(0);
    let x = ndarray::Array2::zeros((4, 2));
    let y = ndarray::Array2::zeros((4, 2));
    let err = model.fit(&x, &y, &silent(1), &mut rng).unwrap_err();
    assert!(
        err.to_string()
            .contains("x has 2 columns but the model expects 3"),
        "{err}"
    );
    assert!(matches!(model.predict(&x), Err(Error::NotBuilt { .. })));
}

#[test]
fn activation_layers_fold_into_the_dense_before_them() {
    let mut model = Sequential::new();
    model
        .add(Dense::new(3).input_dim(2).activation(Relu))
        .unwrap();
    model.add(Activation::new(Softmax)).unwrap();
    model.build(&mut utils::set_random_seed(0)).unwrap();
    let err = model
        .to_model_bytes(&Preprocessing::identity(2))
        .unwrap_err();
    assert!(
        err.to_string().contains("one activation per Dense layer"),
        "{err}"
    );
}

#[test]
fn save_writes_atomically_and_leaves_no_temporary_file() {
    let dir = tempfile::Builder::new()
        .prefix("dendrite-save-")
        .tempdir()
        .unwrap();
    let mut model = seed_model();
    model.build(&mut utils::set_random_seed(0)).unwrap();
    let path = dir.path().join("model.postcard");
    model.save(&path, &Preprocessing::identity(3)).unwrap();
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, [std::ffi::OsString::from("model.postcard")]);
    assert_eq!(HostModel::load(&path).unwrap().param_count(), 26);
}

#[test]
fn tutorial_settings_predict_female_at_the_origin() {
    for seed in 0..3 {
        let mut rng = utils::set_random_seed(seed);
        let (x, gender) = datasets::seed(1000, &mut rng);
        let y = utils::to_categorical(&gender, 2).unwrap();
        let mut model = seed_model();
        model.fit(&x, &y, &silent(10), &mut rng).unwrap();
        let bytes = model.to_model_bytes(&Preprocessing::identity(3)).unwrap();
        let host = HostModel::from_bytes(&bytes, Path::new("mem")).unwrap();
        let p = host.predict(&[0.0, 0.0, 0.0]).unwrap();
        // Class 0 is female (Keras' to_categorical of gender 0); the Bayes posterior is 0.82.
        assert!(p[0] > 0.7 && p[0] < 0.9, "seed {seed}: {p:?}");
    }
}
