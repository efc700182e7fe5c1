//! The trainer's hot paths under criterion, so a regression shows up in a diff:
//!
//! - `train_on_batch`: forward, loss, backward and the optimizer step of one batch, for the
//!   tutorial's 3-4-2 at batch 8 and the scaled 3-64-64-2 at batch 256 (W1 and W2's step);
//! - `forward`: `predict` of one batch (the forward pass alone);
//! - `rmsprop_step`: the optimizer's update of every variable of 3-64-64-2;
//! - `host_predict`: one sample through an exported model (dendrite-core's forward pass, W3),
//!   allocating and with caller-owned buffers, and a batch of 100,000.
//!
//! ```text
//! cargo bench -p dendrite-trainer --bench hot_paths
//! ```

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dendrite_trainer::layers::{ActivationLayer, Dense};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{datasets, utils, HostModel, Initializer, Loss, Metric, Optimizer};
use dendrite_trainer::{Preprocessing, Sequential};
use ndarray::Array2;
use std::hint::black_box;
use std::path::Path;

/// relu hidden layers, softmax output, random_normal kernels, RMSprop: the tutorial's recipe.
fn mlp(widths: &[usize]) -> Sequential {
    let mut model = Sequential::new();
    let last = widths.len() - 1;
    for (i, pair) in widths.windows(2).enumerate() {
        let mut dense = Dense::new(pair[1]).kernel_initializer(Initializer::random_normal());
        if i == 0 {
            dense = dense.input_dim(pair[0]);
        }
        model.add(dense).expect("valid layer");
        let act = if i + 1 == last { Softmax } else { Relu };
        model.add(ActivationLayer::new(act)).expect("valid layer");
    }
    let rmsprop = Optimizer::from_name("rmsprop").expect("known optimizer");
    model
        .compile(rmsprop, Loss::CategoricalCrossentropy, &[Metric::Accuracy])
        .expect("compiles");
    model.build(&mut utils::set_random_seed(0)).expect("builds");
    model
}

/// `n` samples of the seed distribution with one-hot targets.
fn data(n: usize) -> (Array2<f32>, Array2<f32>) {
    let (x, gender) = datasets::seed(n, &mut utils::set_random_seed(1));
    (
        x,
        utils::to_categorical(&gender, 2).expect("labels are 0 or 1"),
    )
}

fn train_on_batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_on_batch");
    for (name, widths, batch) in [
        ("3-4-2/8", &[3, 4, 2][..], 8),
        ("3-64-64-2/256", &[3, 64, 64, 2][..], 256),
    ] {
        let (x, y) = data(batch);
        let mut model = mlp(widths);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(model.train_on_batch(&x, &y).expect("trains")))
        });
    }
    group.finish();
}

fn forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward");
    let (x, _) = data(256);
    let model = mlp(&[3, 64, 64, 2]);
    group.throughput(Throughput::Elements(256));
    group.bench_function("3-64-64-2/256", |b| {
        b.iter(|| black_box(model.predict(&x).expect("predicts")))
    });
    group.finish();
}

fn rmsprop_step(c: &mut Criterion) {
    let optimizer = Optimizer::from_name("rmsprop").expect("known optimizer");
    // 3-64-64-2's kernels and biases, in the order the trainer updates them.
    let sizes = [3 * 64, 64, 64 * 64, 64, 64 * 2, 2];
    let mut weights: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.01; n]).collect();
    let grads: Vec<Vec<f32>> = sizes
        .iter()
        .map(|&n| (0..n).map(|i| (i as f32 * 0.37).sin() * 1e-2).collect())
        .collect();
    c.bench_function("rmsprop_step/3-64-64-2", |b| {
        b.iter_batched_ref(
            || optimizer.state(&sizes),
            |state| {
                state.begin_step(&optimizer);
                for (index, (w, g)) in weights.iter_mut().zip(&grads).enumerate() {
                    state.update(&optimizer, index, w, g);
                }
            },
            BatchSize::SmallInput,
        )
    });
}

fn host_predict(c: &mut Criterion) {
    let model = mlp(&[3, 4, 2]);
    let bytes = model
        .to_model_bytes(&Preprocessing::identity(3))
        .expect("exports");
    let host = HostModel::from_bytes(&bytes, Path::new("<memory>")).expect("valid model");
    let one = [0.3f32, -0.2, 0.1];
    let mut group = c.benchmark_group("host_predict");
    group.bench_function("one/allocating", |b| {
        b.iter(|| black_box(host.predict(black_box(&one)).expect("3 inputs")))
    });
    let mut buffers = host.buffers();
    group.bench_function("one/predict_into", |b| {
        b.iter(|| {
            let out = host.predict_into(black_box(&one), &mut buffers);
            black_box(out.expect("3 inputs")[0])
        })
    });
    let (x, _) = data(100_000);
    let rows = x.as_slice().expect("contiguous");
    let mut out = vec![0.0f32; 200_000];
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(20);
    group.bench_function("batch/100000", |b| {
        b.iter(|| {
            host.predict_batch_into(black_box(rows), &mut out)
                .expect("whole rows")
        })
    });
    group.finish();
}

criterion_group!(benches, train_on_batch, forward, rmsprop_step, host_predict);
criterion_main!(benches);
