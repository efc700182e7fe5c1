//! Training from Keras' own starting point: the seed tutorial's model as Keras initialized it
//! (tests/fixtures/keras/seed_initial.keras), trained on the data Keras trained on
//! (seed_data.csv), follows Keras' recorded weights (seed_training.json, written by
//! bench/keras_fixtures.py with Keras 3.15.1).

use dendrite_trainer::keras;
use dendrite_trainer::layers::{ActivationLayer, Dense};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{utils, FitOptions, Loss, Metric, Optimizer, Sequential, Verbosity};
use ndarray::{s, Array2};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

/// The tutorial's architecture, built by Dendrite (initial weights come from the file).
fn seed_model() -> Sequential {
    let mut model = Sequential::new();
    model
        .add(Dense::new(4).input_dim(3).name("Dense1"))
        .unwrap();
    model
        .add(ActivationLayer::new(Relu).name("hidden"))
        .unwrap();
    model.add(Dense::new(2).name("Dense2")).unwrap();
    model
        .add(ActivationLayer::new(Softmax).name("output"))
        .unwrap();
    model
        .compile(
            Optimizer::from_name("rmsprop").unwrap(),
            Loss::CategoricalCrossentropy,
            &[Metric::Accuracy],
        )
        .unwrap();
    keras::set_initial_weights(&mut model, fixtures().join("seed_initial.keras")).unwrap();
    model
}

fn data() -> (Array2<f32>, Array2<f32>) {
    let mut reader = csv::Reader::from_path(fixtures().join("seed_data.csv")).unwrap();
    let mut x = Vec::new();
    let mut labels = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        for i in 0..3 {
            x.push(row[i].parse::<f32>().unwrap());
        }
        labels.push(row[3].parse::<f32>().unwrap());
    }
    let n = labels.len();
    let y = utils::to_categorical(&ndarray::Array1::from(labels), 2).unwrap();
    (Array2::from_shape_vec((n, 3), x).unwrap(), y)
}

fn recorded() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("seed_training.json")).unwrap())
        .unwrap()
}

/// The model's weights in Keras' `get_weights()` order, flattened per array.
fn weights(model: &Sequential) -> Vec<Vec<f32>> {
    keras::KerasModel::from_sequential(model)
        .unwrap()
        .weights()
        .into_iter()
        .flat_map(|(k, b)| [k.iter().copied().collect(), b.to_vec()])
        .collect()
}

/// The largest difference between the model's weights and Keras' recorded ones.
fn largest_difference(model: &Sequential, keras: &Value) -> f64 {
    let flat = |v: &Value| -> Vec<f64> {
        let mut out = Vec::new();
        fn walk(v: &Value, out: &mut Vec<f64>) {
            match v {
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                // Keras wrote f32 values; rounding back to f32 undoes the JSON parser's last bit.
                x => out.push(f64::from(x.as_f64().unwrap() as f32)),
            }
        }
        walk(v, &mut out);
        out
    };
    let arrays = keras.as_array().unwrap();
    let mine = weights(model);
    assert_eq!(arrays.len(), mine.len());
    let mut worst = 0.0f64;
    for (k, m) in arrays.iter().zip(&mine) {
        let k = flat(k);
        assert_eq!(k.len(), m.len());
        for (a, b) in k.iter().zip(m) {
            worst = worst.max((a - f64::from(*b)).abs());
        }
    }
    worst
}

#[test]
fn starts_from_keras_initial_weights() {
    let model = seed_model();
    assert_eq!(largest_difference(&model, &recorded()["initial"]), 0.0);
}

#[test]
fn weights_only_file_sets_the_same_initial_weights() {
    let mut model = seed_model();
    // The weights-only file's layout follows the model's own layers (dense, dense_1).
    keras::set_initial_weights(&mut model, fixtures().join("seed_initial.weights.h5")).unwrap();
    assert_eq!(largest_difference(&model, &recorded()["initial"]), 0.0);
}

#[test]
fn weights_of_another_architecture_are_refused() {
    let mut model = seed_model();
    let err =
        keras::set_initial_weights(&mut model, fixtures().join("dense_relu.keras")).unwrap_err();
    assert!(
        err.to_string().contains("the file's model is 5 inputs"),
        "{err}"
    );
}

#[test]
fn three_steps_follow_keras() {
    let (x, y) = data();
    let recorded = recorded();
    let mut model = seed_model();
    for step in 0..3 {
        let rows = s![8 * step..8 * step + 8, ..];
        let logs = model.train_on_batch(x.slice(rows), y.slice(rows)).unwrap();
        let keras = &recorded["steps"][step];
        let d = largest_difference(&model, &keras["weights"]);
        let loss = logs.get("loss").unwrap();
        let loss_d = (loss - keras["loss"].as_f64().unwrap()).abs();
        println!(
            "step {}: largest weight difference {d:.3e}, loss difference {loss_d:.3e}",
            step + 1
        );
        assert!(d <= 1e-7, "step {}: {d}", step + 1);
    }
}

#[test]
fn ten_unshuffled_epochs_follow_keras() {
    let (x, y) = data();
    let recorded = recorded();
    let mut model = seed_model();
    let mut rng = utils::set_random_seed(0);
    let options = FitOptions {
        epochs: 10,
        batch_size: 8,
        shuffle: false,
        verbose: Verbosity::Silent,
        ..Default::default()
    };
    let history = model.fit(&x, &y, &options, &mut rng).unwrap();
    let d = largest_difference(&model, &recorded["epochs"]["weights"]);
    let keras_loss = recorded["epochs"]["loss"].as_array().unwrap();
    let loss = history.last("loss").unwrap();
    let loss_d = (loss - keras_loss.last().unwrap().as_f64().unwrap()).abs();
    println!("10 epochs (1,250 steps): largest weight difference {d:.3e}, final loss difference {loss_d:.3e}");
    assert!(d <= 1e-4, "{d}");
    assert!(loss_d <= 1e-5, "{loss_d}");
}
