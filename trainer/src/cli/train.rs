//! `dendrite train`: the seed tutorial, from data to model file.

use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::activations::Activation::{Relu, Softmax};
use dendrite_trainer::layers::{Activation, Dense};
use dendrite_trainer::{datasets, utils, FitOptions, HostModel, Initializer, Loss, Metric};
use dendrite_trainer::{History, Optimizer, Preprocessing, Sequential, Verbosity};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The seed tutorial's class names: gender 0 is female, 1 is male.
const CLASSES: [&str; 2] = ["female", "male"];

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Passes over the training data.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Samples per optimizer step.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// Seed of the one generator behind every random draw (data, weights, shuffles).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to write the model file.
    #[arg(long, default_value = "model.postcard")]
    out: PathBuf,
    /// Optimizer, with Keras' defaults: sgd, rmsprop or adam.
    #[arg(long, default_value = "rmsprop")]
    optimizer: String,
    /// Step size (default: the optimizer's Keras default).
    #[arg(long)]
    learning_rate: Option<f32>,
    /// Keras' verbose: 0 silent, 1 progress bar, 2 one line per epoch.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
    verbose: u8,
    /// Print no per-epoch lines (same as --verbose 0).
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: &TrainArgs) -> Result<()> {
    let optimizer = optimizer(args)?;
    let mut rng = utils::set_random_seed(args.seed);
    let (data, gender) = datasets::seed(1000, &mut rng);
    let gender_one_hot = utils::to_categorical(&gender, 2)?;

    let mut model = seed_model()?;
    model.compile(
        optimizer,
        Loss::CategoricalCrossentropy,
        &[Metric::Accuracy],
    )?;
    print!("{}", model.summary());

    let options = FitOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        verbose: verbosity(args),
        ..FitOptions::default()
    };
    let started = Instant::now();
    let history = model.fit(&data, &gender_one_hot, &options, &mut rng)?;
    report_fit(started.elapsed(), args, &history);
    save_and_predict(&model, args)
}

/// The optimizer named by `--optimizer`, with `--learning-rate` if given.
fn optimizer(args: &TrainArgs) -> Result<Optimizer> {
    let mut optimizer = Optimizer::from_name(&args.optimizer).context("--optimizer")?;
    if let Some(lr) = args.learning_rate {
        anyhow::ensure!(
            lr > 0.0 && lr.is_finite(),
            "--learning-rate {lr}: give a positive step size"
        );
        optimizer.set_learning_rate(lr);
    }
    Ok(optimizer)
}

/// Prints the time spent in `fit` and the last epoch's results.
fn report_fit(fit_time: Duration, args: &TrainArgs, history: &History) {
    let steps = args.epochs * 1000usize.div_ceil(args.batch_size.clamp(1, 1000));
    println!(
        "fit: {:.2} ms ({steps} steps, {:.2} µs/step)",
        fit_time.as_secs_f64() * 1e3,
        fit_time.as_secs_f64() * 1e6 / steps.max(1) as f64
    );
    if let (Some(loss), Some(accuracy)) = (history.last("loss"), history.last("accuracy")) {
        println!("final epoch: loss {loss:.4}, accuracy {accuracy:.4}");
    }
}

/// The tutorial's network: 3 inputs, 4 relu units, 2 softmax outputs, N(0, 0.05) weights.
fn seed_model() -> Result<Sequential> {
    let mut model = Sequential::new();
    model.add(
        Dense::new(4)
            .input_dim(3)
            .kernel_initializer(Initializer::random_normal())
            .name("Dense1"),
    )?;
    model.add(Activation::new(Relu).name("hidden"))?;
    model.add(
        Dense::new(2)
            .input_dim(4)
            .kernel_initializer(Initializer::random_normal())
            .name("Dense2"),
    )?;
    model.add(Activation::new(Softmax).name("output"))?;
    Ok(model)
}

fn verbosity(args: &TrainArgs) -> Verbosity {
    match (args.quiet, args.verbose) {
        (true, _) | (_, 0) => Verbosity::Silent,
        (_, 1) => Verbosity::ProgressBar,
        _ => Verbosity::OneLinePerEpoch,
    }
}

/// Writes the model file, reads it back, and predicts [0, 0, 0] with dendrite-core's forward
/// pass: the very numbers the firmware will print.
fn save_and_predict(model: &Sequential, args: &TrainArgs) -> Result<()> {
    let preprocessing = Preprocessing {
        labels: CLASSES.map(str::to_owned).to_vec(),
        ..Preprocessing::identity(3)
    };
    model
        .save(&args.out, &preprocessing)
        .with_context(|| format!("writing the model to {}", args.out.display()))?;
    let exported = HostModel::load(&args.out)?;
    println!(
        "wrote {} ({} bytes, CRC-32 {:#010x})",
        args.out.display(),
        exported.file_len(),
        exported.crc()
    );
    let p = exported.predict(&[0.0, 0.0, 0.0])?;
    let class = if p[0] > 0.5 { CLASSES[0] } else { CLASSES[1] };
    println!(
        "prediction for [0, 0, 0]: female {:.4}, male {:.4} -> {class}",
        p[0], p[1]
    );
    Ok(())
}
