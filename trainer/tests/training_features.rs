//! Dropout, regularizers and class weights through the public API: runs are reproducible from
//! the seed, Dropout is the identity outside training and never reaches the model file.

use dendrite_trainer::layers::{Dense, Dropout, Regularizer};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{
    datasets, utils, ClassWeight, FitOptions, HostModel, Loss, Metric, Optimizer, Preprocessing,
    Sequential, Verbosity,
};
use ndarray::Array2;
use std::path::Path;

fn model(dropout: bool) -> Sequential {
    let mut model = Sequential::new();
    model
        .add(
            Dense::new(16)
                .input_dim(3)
                .activation(Relu)
                .kernel_regularizer(Regularizer::l2(0.001)),
        )
        .unwrap();
    if dropout {
        model.add(Dropout::new(0.3).unwrap()).unwrap();
    }
    model.add(Dense::new(2).activation(Softmax)).unwrap();
    model
        .compile(
            Optimizer::from_name("adam").unwrap(),
            Loss::CategoricalCrossentropy,
            &[Metric::Accuracy],
        )
        .unwrap();
    model
}

fn data() -> (Array2<f32>, Array2<f32>) {
    let mut rng = utils::set_random_seed(11);
    let (x, gender) = datasets::seed(300, &mut rng);
    let y = utils::to_categorical(&gender, 2).unwrap();
    let mean = x.mean_axis(ndarray::Axis(0)).unwrap();
    let std = x.std_axis(ndarray::Axis(0), 0.0);
    ((&x - &mean) / &std, y)
}

fn options() -> FitOptions<'static> {
    FitOptions {
        epochs: 3,
        batch_size: 16,
        verbose: Verbosity::Silent,
        class_weight: Some(ClassWeight::Balanced),
        ..FitOptions::default()
    }
}

fn kernels(model: &mut Sequential) -> Vec<f32> {
    model
        .dense_layers_mut()
        .flat_map(|d| d.kernel().iter().copied().collect::<Vec<_>>())
        .collect()
}

#[test]
fn a_dropout_run_is_reproducible_from_its_seed() {
    let (x, y) = data();
    let run = |seed| {
        let mut m = model(true);
        let h = m
            .fit(&x, &y, &options(), &mut utils::set_random_seed(seed))
            .unwrap();
        (kernels(&mut m), h.get("loss").unwrap().to_vec())
    };
    let (a, b) = (run(5), run(5));
    assert_eq!(a, b);
    assert_ne!(a.0, run(6).0);
    // The masks change the run: the same seed without Dropout trains other weights.
    let mut plain = model(false);
    plain
        .fit(&x, &y, &options(), &mut utils::set_random_seed(5))
        .unwrap();
    assert_ne!(kernels(&mut plain), a.0);
}

#[test]
fn train_on_batch_with_dropout_is_reproducible() {
    let (x, y) = data();
    let steps = || {
        let mut m = model(true);
        m.build(&mut utils::set_random_seed(1)).unwrap();
        let losses: Vec<f64> = (0..3)
            .map(|_| m.train_on_batch(&x, &y).unwrap().get("loss").unwrap())
            .collect();
        (kernels(&mut m), losses)
    };
    assert_eq!(steps(), steps());
}

#[test]
fn dropout_is_the_identity_outside_training_and_absent_from_the_model_file() {
    let (x, y) = data();
    let mut with = model(true);
    with.fit(&x, &y, &options(), &mut utils::set_random_seed(3))
        .unwrap();
    // The same weights without the Dropout layer.
    let mut without = model(false);
    without.build(&mut utils::set_random_seed(0)).unwrap();
    let trained: Vec<_> = with
        .dense_layers_mut()
        .map(|d| (d.kernel().clone(), d.bias().clone()))
        .collect();
    for (d, (w, b)) in without.dense_layers_mut().zip(trained) {
        d.set_weights(w, b).unwrap();
    }
    assert_eq!(with.predict(&x).unwrap(), without.predict(&x).unwrap());
    assert_eq!(
        with.evaluate(&x, &y, 32).unwrap().get("loss"),
        without.evaluate(&x, &y, 32).unwrap().get("loss")
    );
    let bytes = with.to_model_bytes(&Preprocessing::identity(3)).unwrap();
    assert_eq!(
        bytes,
        without.to_model_bytes(&Preprocessing::identity(3)).unwrap()
    );
    let host = HostModel::from_bytes(&bytes, Path::new("mem")).unwrap();
    assert_eq!(host.architecture().to_string(), "3-16-2 relu/softmax");
    assert!(with.summary().contains("Dropout"));
    // A Keras export is the inference graph too.
    let keras = |m: &Sequential| {
        dendrite_trainer::keras::KerasModel::from_sequential(m)
            .unwrap()
            .to_model_bytes(vec!["f".into(), "m".into()])
            .unwrap()
    };
    assert_eq!(keras(&with), keras(&without));
    assert_eq!(with.count_params(), without.count_params());
}

#[test]
fn the_reported_loss_includes_the_penalty_as_keras() {
    let (x, y) = data();
    let mut m = model(false);
    m.build(&mut utils::set_random_seed(2)).unwrap();
    let penalty = m.regularization_loss();
    assert!(penalty > 0.0);
    let with = m.evaluate(&x, &y, 32).unwrap().get("loss").unwrap();
    for d in m.dense_layers_mut() {
        d.kernel_regularizer_mut().take();
    }
    let without = m.evaluate(&x, &y, 32).unwrap().get("loss").unwrap();
    assert!(
        (with - without - penalty).abs() < 1e-6,
        "{with} {without} {penalty}"
    );
}

#[test]
fn dropout_last_and_bad_rates_are_refused() {
    assert!(Dropout::new(1.0).is_err());
    assert!(Dropout::new(-0.1).is_err());
    let mut m = Sequential::new();
    m.add(Dense::new(2).input_dim(3)).unwrap();
    m.add(Dropout::new(0.5).unwrap()).unwrap();
    let err = m
        .compile(
            Optimizer::from_name("sgd").unwrap(),
            Loss::MeanSquaredError,
            &[],
        )
        .unwrap_err();
    assert!(err.to_string().contains("Dropout"), "{err}");
}
