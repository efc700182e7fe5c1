//! Dendrite's side of the peer benchmarks (W1–W3), one JSON object on stdout.
//!
//! The same workloads, shapes and data distribution as `bench/peers/*_bench.py`:
//!
//! - `w1`: the tutorial (1,000 samples, 3-4-2 relu/softmax, random_normal, RMSprop, 10 epochs
//!   of batch 8), time in `fit`;
//! - `w2 --net 3-64-64-2 --batch 256 [--samples N]`: one epoch over N samples (default
//!   1,000,000), samples per second inside `fit`;
//! - `w3`: inference through an exported model file (dendrite-core's forward pass): one sample
//!   at a time (median latency) and a batch of 100,000 (throughput).
//!
//! `cargo xtask bench` runs this in fresh processes, alternating with the peers. Alone:
//!
//! ```text
//! cargo run --release -p dendrite-trainer --example bench_workloads -- w2 --net 3-4-2 --batch 8
//! ```

use dendrite_trainer::layers::{ActivationLayer, Dense};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{datasets, utils, FitOptions, HostModel, Initializer, Loss, Metric};
use dendrite_trainer::{Optimizer, Preprocessing, Sequential, Verbosity};
use serde_json::json;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Command-line options: the workload and its knobs.
struct Args {
    workload: String,
    net: Vec<usize>,
    batch: usize,
    samples: usize,
    seed: u64,
}

fn parse_args() -> AnyResult<Args> {
    let mut args = Args {
        workload: String::new(),
        net: vec![3, 64, 64, 2],
        batch: 256,
        samples: 1_000_000,
        seed: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--net" => {
                let v = value()?;
                args.net = v.split('-').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--batch" => args.batch = value()?.parse()?,
            "--samples" => args.samples = value()?.parse()?,
            "--seed" => args.seed = value()?.parse()?,
            w @ ("w1" | "w2" | "w3") => args.workload = w.to_owned(),
            other => {
                return Err(format!(
                    "unknown argument `{other}` (w1, w2, w3, --net, --batch, --samples, --seed)"
                )
                .into())
            }
        }
    }
    if args.workload.is_empty() {
        return Err("name a workload: w1, w2 or w3".into());
    }
    if args.net.len() < 2 || args.net.contains(&0) {
        return Err("--net: widths like 3-64-64-2".into());
    }
    Ok(args)
}

/// relu hidden layers, softmax output, random_normal kernels, compiled as the tutorial.
fn mlp(widths: &[usize]) -> AnyResult<Sequential> {
    let mut model = Sequential::new();
    let last = widths.len() - 1;
    for (i, pair) in widths.windows(2).enumerate() {
        let mut dense = Dense::new(pair[1]).kernel_initializer(Initializer::random_normal());
        if i == 0 {
            dense = dense.input_dim(pair[0]);
        }
        model.add(dense)?;
        model.add(ActivationLayer::new(if i + 1 == last {
            Softmax
        } else {
            Relu
        }))?;
    }
    let rmsprop = Optimizer::from_name("rmsprop")?;
    model.compile(rmsprop, Loss::CategoricalCrossentropy, &[Metric::Accuracy])?;
    Ok(model)
}

/// Trains `widths` on `samples` seed-distribution rows; returns (seconds in fit, last logs).
fn timed_fit(
    widths: &[usize],
    samples: usize,
    epochs: usize,
    batch: usize,
    seed: u64,
) -> AnyResult<(f64, f64, f64, Sequential)> {
    let mut rng = utils::set_random_seed(seed);
    let (data, gender) = datasets::seed(samples, &mut rng);
    let one_hot = utils::to_categorical(&gender, 2)?;
    let mut model = mlp(widths)?;
    let options = FitOptions {
        epochs,
        batch_size: batch,
        verbose: Verbosity::Silent,
        ..FitOptions::default()
    };
    let started = Instant::now();
    let history = model.fit(&data, &one_hot, &options, &mut rng)?;
    let fit_s = started.elapsed().as_secs_f64();
    let loss = history.last("loss").unwrap_or(f64::NAN);
    let accuracy = history.last("accuracy").unwrap_or(f64::NAN);
    Ok((fit_s, loss, accuracy, model))
}

fn w1(args: &Args) -> AnyResult<serde_json::Value> {
    let (fit_s, loss, accuracy, _) = timed_fit(&[3, 4, 2], 1000, 10, 8, args.seed)?;
    Ok(json!({"workload": "W1", "fit_s": fit_s, "steps": 1250, "loss": loss, "accuracy": accuracy}))
}

fn w2(args: &Args) -> AnyResult<serde_json::Value> {
    let (fit_s, loss, accuracy, _) = timed_fit(&args.net, args.samples, 1, args.batch, args.seed)?;
    let net: Vec<String> = args.net.iter().map(usize::to_string).collect();
    Ok(json!({
        "workload": "W2", "net": net.join("-"), "batch": args.batch, "samples": args.samples,
        "fit_s": fit_s, "samples_per_s": args.samples as f64 / fit_s,
        "loss": loss, "accuracy": accuracy,
    }))
}

/// Median per-call time of `f` over at least `min_total` (and at least 5 calls), after warm-up.
fn median_call(mut f: impl FnMut(), min_total: Duration, max_calls: usize) -> (f64, usize) {
    for _ in 0..3 {
        f();
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < max_calls && (start.elapsed() < min_total || samples.len() < 5) {
        let t0 = Instant::now();
        f();
        samples.push(t0.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples.len())
}

/// Median time of one call of `f`, measured over batches of `inner` calls so the clock's own
/// cost (tens of nanoseconds) does not swamp a sub-microsecond call.
fn median_fast_call(mut f: impl FnMut(), inner: usize) -> f64 {
    let (batch_s, _) = median_call(
        || {
            for _ in 0..inner {
                f();
            }
        },
        Duration::from_secs(1),
        10_000,
    );
    batch_s / inner as f64
}

fn w3(args: &Args) -> AnyResult<serde_json::Value> {
    let (_, _, _, model) = timed_fit(&[3, 4, 2], 1000, 10, 8, args.seed)?;
    let bytes = model.to_model_bytes(&Preprocessing::identity(3))?;
    let host = HostModel::from_bytes(&bytes, Path::new("<memory>"))?;
    let one = [0.3f32, -0.2, 0.1];
    let one_s = median_fast_call(
        || {
            black_box(host.predict(black_box(&one)).ok());
        },
        1000,
    );
    let mut rng = utils::set_random_seed(args.seed + 1);
    let (big, _) = datasets::seed(100_000, &mut rng);
    let rows = big.as_slice().ok_or("seed data is contiguous")?;
    let mut out = vec![0.0f32; 100_000 * 2];
    let (batch_s, calls) = median_call(
        || {
            host.predict_batch_into(black_box(rows), &mut out).ok();
            black_box(&out);
        },
        Duration::from_secs(2),
        500,
    );
    Ok(json!({
        "workload": "W3",
        "one_call": {"median_s": one_s},
        "batch_call": {"median_s": batch_s, "calls": calls, "samples_per_s": 100_000.0 / batch_s},
        "one_best_median_s": one_s,
        "batch_best_samples_per_s": 100_000.0 / batch_s,
    }))
}

fn main() -> AnyResult<()> {
    let args = parse_args()?;
    let mut result = match args.workload.as_str() {
        "w1" => w1(&args)?,
        "w2" => w2(&args)?,
        _ => w3(&args)?,
    };
    result["framework"] = json!("dendrite");
    result["threads"] = json!(1);
    println!("{result}");
    Ok(())
}
