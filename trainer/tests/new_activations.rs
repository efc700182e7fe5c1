//! Training with the activations past Keras' first five (relu6, leaky_relu, elu, selu,
//! softplus, softsign, silu, gelu, hard_sigmoid, hard_silu, exponential), through the
//! Keras-like API and through a spec file: each learns iris, exports a version 3 model file,
//! and the host's forward pass on that file gives the trained model's predictions bit for bit.

use dendrite_core::format::ModelView;
use dendrite_trainer::data::{read_csv, CsvColumns, Standardization};
use dendrite_trainer::layers::{ActivationLayer, Dense};
use dendrite_trainer::spec::ModelSpec;
use dendrite_trainer::{utils, Activation, FitOptions, HostModel, Loss, Metric, Optimizer};
use dendrite_trainer::{Preprocessing, Sequential, Verbosity};
use ndarray::Array2;
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Iris, standardized, with one-hot labels.
fn iris() -> (Array2<f32>, Array2<f32>) {
    let columns = CsvColumns {
        label: Some("species"),
        ..CsvColumns::default()
    };
    let mut data = read_csv(&examples().join("data/iris.csv"), &columns).expect("iris.csv");
    Standardization::fit(data.x.view()).apply(&mut data.x);
    let labels: Vec<f32> = data.labels.iter().map(|&l| l as f32).collect();
    let y = utils::to_categorical(&ndarray::Array1::from(labels), 3).expect("three classes");
    (data.x, y)
}

fn fit(model: &mut Sequential, (x, y): (&Array2<f32>, &Array2<f32>), epochs: usize) {
    let options = FitOptions {
        epochs,
        batch_size: 16,
        verbose: Verbosity::Silent,
        ..FitOptions::default()
    };
    let mut rng = utils::set_random_seed(3);
    model
        .fit(x.view(), y.view(), &options, &mut rng)
        .expect("training succeeds");
}

fn accuracy(model: &Sequential, (x, y): (&Array2<f32>, &Array2<f32>)) -> f64 {
    let logs = model.evaluate(x.view(), y.view(), 32).expect("evaluates");
    logs.get("accuracy").expect("an accuracy")
}

/// The model file of `model`, checked to be version 3 and to give `model.predict`'s bits.
fn export_and_compare(model: &Sequential, x: &Array2<f32>) {
    let bytes = model
        .to_model_bytes(&Preprocessing::identity(4))
        .expect("exports");
    let view = ModelView::from_bytes(&bytes).expect("reads back");
    assert_eq!(bytes[4], 3, "{}", view.architecture());
    let host = HostModel::from_bytes(&bytes, Path::new("trained")).expect("host model");
    let predicted = model.predict(x.view()).expect("predicts");
    for (row, want) in x.rows().into_iter().zip(predicted.rows()) {
        let got = host
            .predict(row.as_slice().expect("contiguous"))
            .expect("host predicts");
        let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
        let want: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "{}", view.architecture());
    }
}

#[test]
fn every_new_activation_trains_through_the_keras_like_api() {
    let (x, y) = iris();
    for activation in Activation::ALL.into_iter().skip(5) {
        let mut model = Sequential::new();
        model
            .add(Dense::new(8).input_dim(4).activation(activation))
            .unwrap();
        model
            .add(Dense::new(3).activation(Activation::Softmax))
            .unwrap();
        model
            .compile(
                Optimizer::from_name("adam").unwrap(),
                Loss::CategoricalCrossentropy,
                &[Metric::Accuracy],
            )
            .unwrap();
        let mut rng = utils::set_random_seed(3);
        model.build(&mut rng).unwrap();
        let before = accuracy(&model, (&x, &y));
        fit(&mut model, (&x, &y), 100);
        let after = accuracy(&model, (&x, &y));
        assert!(
            after >= 0.85 && after > before,
            "{activation}: accuracy {before} before training, {after} after"
        );
        export_and_compare(&model, &x);
    }
}

#[test]
fn a_spec_file_names_the_new_activations_and_keras_aliases() {
    let spec = ModelSpec::from_toml(
        r#"
        [[layers]]
        units = 10
        activation = "swish"
        [[layers]]
        units = 8
        activation = "gelu"
        [[layers]]
        units = 6
        [[layers]]
        type = "activation"
        activation = "hard_swish"
        [[layers]]
        activation = "softmax"
        [compile]
        optimizer = "adam"
        [fit]
        epochs = 100
        batch_size = 16
        seed = 3
        "#,
        "spec",
    )
    .expect("the spec parses");
    let (x, y) = iris();
    let mut model = spec.build(4, 3).expect("builds");
    spec.compile(&mut model).expect("compiles");
    fit(&mut model, (&x, &y), spec.fit.epochs);
    assert!(accuracy(&model, (&x, &y)) >= 0.9);
    let bytes = model.to_model_bytes(&Preprocessing::identity(4)).unwrap();
    let view = ModelView::from_bytes(&bytes).unwrap();
    assert_eq!(
        view.architecture().to_string(),
        "4-10-8-6-3 silu/gelu/hard_silu/softmax"
    );
    export_and_compare(&model, &x);
}

#[test]
fn a_spec_file_with_an_unknown_activation_names_the_choices() {
    let err = ModelSpec::from_toml("[[layers]]\nunits = 4\nactivation = \"mish\"\n", "spec")
        .and_then(|spec| spec.build(4, 3).map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("mish") && err.contains("hard_silu"), "{err}");
}

#[test]
fn an_activation_layer_after_a_linear_dense_trains() {
    let (x, y) = iris();
    let mut model = Sequential::new();
    model.add(Dense::new(8).input_dim(4)).unwrap();
    model.add(ActivationLayer::new(Activation::Elu)).unwrap();
    model
        .add(Dense::new(3).activation(Activation::Softmax))
        .unwrap();
    model
        .compile(
            Optimizer::from_name("adam").unwrap(),
            Loss::CategoricalCrossentropy,
            &[Metric::Accuracy],
        )
        .unwrap();
    let mut rng = utils::set_random_seed(3);
    model.build(&mut rng).unwrap();
    fit(&mut model, (&x, &y), 100);
    assert!(accuracy(&model, (&x, &y)) >= 0.9);
    export_and_compare(&model, &x);
}
