//! The first training steps with L1/L2 regularizers and `class_weight`, against Keras 3's own
//! (`bench/keras_training_fixtures.py` wrote the fixture): the reported loss of each step
//! (penalties included, weighted sum over the batch size) and the weights after three steps.

use dendrite_trainer::layers::{Dense, Regularizer};
use dendrite_trainer::{
    utils, Activation, ClassWeight, FitOptions, Loss, Metric, Optimizer, Sequential, Verbosity,
};
use ndarray::{Array1, Array2};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keras_training/first_steps.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Array2<f32> {
    let rows: Vec<Vec<f32>> = serde_json::from_value(v.clone()).unwrap();
    let cols = rows[0].len();
    Array2::from_shape_vec((rows.len(), cols), rows.concat()).unwrap()
}

fn vector(v: &Value) -> Array1<f32> {
    serde_json::from_value::<Vec<f32>>(v.clone())
        .unwrap()
        .into()
}

fn regularizer(v: &Value) -> Option<Regularizer> {
    let f = |k: &str| v[k].as_f64().unwrap() as f32;
    (!v.is_null()).then(|| Regularizer::l1_l2(f("l1"), f("l2")))
}

fn model(case: &Value, initial: &[Value]) -> Sequential {
    let mut hidden = Dense::new(5).input_dim(4).activation(Activation::Tanh);
    let mut output = Dense::new(3).activation(Activation::Softmax);
    if let Some(r) = regularizer(&case["kernel"]) {
        hidden = hidden.kernel_regularizer(r);
        output = output.kernel_regularizer(r);
    }
    if let Some(r) = regularizer(&case["bias"]) {
        hidden = hidden.bias_regularizer(r);
    }
    let mut model = Sequential::new();
    model.add(hidden).unwrap();
    model.add(output).unwrap();
    let optimizer = Optimizer::from_name(case["optimizer"].as_str().unwrap())
        .unwrap()
        .with_learning_rate(case["learning_rate"].as_f64().unwrap() as f32);
    model
        .compile(
            optimizer,
            Loss::CategoricalCrossentropy,
            &[Metric::Accuracy],
        )
        .unwrap();
    model.build(&mut utils::set_random_seed(0)).unwrap();
    for (k, d) in model.dense_layers_mut().enumerate() {
        let (w, b) = (matrix(&initial[2 * k]), vector(&initial[2 * k + 1]));
        d.set_weights(w, b).unwrap();
    }
    model
}

#[test]
fn regularized_and_class_weighted_steps_match_keras() {
    let f = fixture();
    let (x, y) = (matrix(&f["x"]), matrix(&f["y"]));
    let initial = f["initial"].as_array().unwrap();
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut model = model(case, initial);
        let class_weight = (!case["class_weight"].is_null()).then(|| {
            ClassWeight::PerClass(serde_json::from_value(case["class_weight"].clone()).unwrap())
        });
        let options = FitOptions {
            epochs: 3,
            batch_size: x.nrows(),
            shuffle: false,
            verbose: Verbosity::Silent,
            class_weight,
            ..FitOptions::default()
        };
        let history = model
            .fit(&x, &y, &options, &mut utils::set_random_seed(0))
            .unwrap();
        let losses = history.get("loss").unwrap();
        for (step, (got, want)) in losses
            .iter()
            .zip(case["losses"].as_array().unwrap())
            .enumerate()
        {
            let want = want.as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                "{name}, step {step}: loss {got}, Keras {want}"
            );
        }
        let weights = case["weights"].as_array().unwrap();
        for (k, d) in model.dense_layers_mut().enumerate() {
            let (w, b) = (matrix(&weights[2 * k]), vector(&weights[2 * k + 1]));
            for (got, want) in d.kernel().iter().chain(d.bias()).zip(w.iter().chain(&b)) {
                assert!(
                    (got - want).abs() <= 1e-5,
                    "{name}, dense {k}: weight {got}, Keras {want}"
                );
            }
        }
        let evaluated = model.evaluate(&x, &y, 32).unwrap().get("loss").unwrap();
        let want = case["evaluate"].as_f64().unwrap();
        assert!(
            (evaluated - want).abs() <= 1e-5 * want.max(1.0),
            "{name}: evaluate {evaluated}, Keras {want}"
        );
    }
}

#[test]
fn balanced_class_weight_is_scikit_learns() {
    // Labels 0,0,0,0,0,0,1,1,2 (one-hot): n = 9, k = 3 → 9/(3·6), 9/(3·2), 9/(3·1).
    let labels = [0usize, 0, 0, 0, 0, 0, 1, 1, 2];
    let y = Array2::from_shape_fn((9, 3), |(i, j)| f32::from(u8::from(labels[i] == j)));
    let w = ClassWeight::Balanced.sample_weights(y.view()).unwrap();
    let expected = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 3.0];
    for (got, want) in w.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{w:?}");
    }
    // A binary label column: the class is the rounded value.
    let y = Array2::from_shape_vec((4, 1), vec![1.0, 0.0, 1.0, 1.0]).unwrap();
    let w = ClassWeight::Balanced.sample_weights(y.view()).unwrap();
    assert_eq!(w, [4.0 / 6.0, 2.0, 4.0 / 6.0, 4.0 / 6.0]);
}

#[test]
fn a_class_without_a_weight_is_refused() {
    let y = Array2::from_shape_fn((3, 3), |(i, j)| f32::from(u8::from(i == j)));
    let err = ClassWeight::PerClass(vec![1.0, 2.0]).sample_weights(y.view());
    assert!(err.unwrap_err().to_string().contains("class_weight"));
}
