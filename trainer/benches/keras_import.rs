//! Import time of a 100,000-parameter `.keras` file (64-256-256-64-10, 99,530 parameters):
//! unzip, HDF5 weights, configuration, model file bytes.
//!
//! `cargo bench -p dendrite-trainer --bench keras_import` times a file Dendrite writes;
//! `DENDRITE_KERAS_FILE=m.keras` times a file of your own (e.g. one saved by Keras:
//! `bench/keras_fixtures.py --big m.keras`).

use criterion::{criterion_group, criterion_main, Criterion};
use dendrite_trainer::keras::{self, KerasFormat, KerasModel};
use dendrite_trainer::layers::Dense;
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{utils, Sequential};
use std::hint::black_box;
use std::path::Path;

fn keras_file() -> Vec<u8> {
    if let Ok(path) = std::env::var("DENDRITE_KERAS_FILE") {
        return std::fs::read(path).expect("DENDRITE_KERAS_FILE names a readable file");
    }
    let mut model = Sequential::new();
    model
        .add(Dense::new(256).input_dim(64).activation(Relu))
        .unwrap();
    model.add(Dense::new(256).activation(Relu)).unwrap();
    model.add(Dense::new(64).activation(Relu)).unwrap();
    model.add(Dense::new(10).activation(Softmax)).unwrap();
    model.build(&mut utils::set_random_seed(1)).unwrap();
    assert_eq!(model.count_params(), 99_530);
    let described = KerasModel::from_sequential(&model).unwrap();
    keras::to_bytes(&described, KerasFormat::Keras).unwrap()
}

fn import(c: &mut Criterion) {
    let bytes = keras_file();
    c.bench_function("keras_import_100k_params", |b| {
        b.iter(|| {
            let model =
                KerasModel::from_bytes(black_box(bytes.clone()), Path::new("m.keras"), None)
                    .unwrap();
            black_box(model.to_model_bytes(Vec::new()).unwrap())
        })
    });
}

criterion_group!(benches, import);
criterion_main!(benches);
