//! Held-out accuracy with Dropout, an L2 kernel penalty and `class_weight = "balanced"` on Iris
//! and digits, mean over seeds: the Dendrite side of BENCHMARKS.md's "Training features" table
//! (Keras' side: `bench/peers/keras_training_features.py`, same data, models and variants).
//!
//! ```text
//! cargo run --release -p dendrite-trainer --example training_features [-- IRIS_SEEDS DIGITS_SEEDS]
//! ```
//!
//! Seeds 0..n per task (default 10 for Iris, 5 for digits, as the Keras reference).
//!
//! Variants: `base`; `dropout` (Dropout(0.2) after every hidden layer); `l2` (Keras' `"l2"`,
//! 0.01, on every Dense kernel); `imbalanced` (the upper half of the classes, Iris' virginica
//! and digits 5-9, thinned to every 4th training row of each class); `balanced` (those rows with
//! scikit-learn's balanced class weights). The test rows are the full held-out files.

use dendrite_trainer::data::{read_csv, CsvColumns, Dataset, Standardization};
use dendrite_trainer::layers::{Dense, Dropout, Regularizer};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{
    utils, ClassWeight, FitOptions, Loss, Metric, Optimizer, Sequential, Verbosity,
};
use std::path::Path;

const VARIANTS: [&str; 5] = ["base", "dropout", "l2", "imbalanced", "balanced"];

struct Task {
    name: &'static str,
    label: &'static str,
    hidden: &'static [usize],
    epochs: usize,
    batch: usize,
    standardize: bool,
    /// The first class index of the thinned upper half.
    minority_from: fn(usize) -> usize,
}

const TASKS: [Task; 2] = [
    Task {
        name: "iris",
        label: "species",
        hidden: &[16, 8],
        epochs: 100,
        batch: 8,
        standardize: true,
        minority_from: |k| k - 1,
    },
    Task {
        name: "digits",
        label: "digit",
        hidden: &[32],
        epochs: 30,
        batch: 16,
        standardize: false,
        minority_from: |k| k / 2,
    },
];

fn load(task: &Task) -> Result<(Dataset, Dataset), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let columns = CsvColumns {
        label: Some(task.label),
        ..Default::default()
    };
    let mut train = read_csv(&dir.join(format!("{}_train.csv", task.name)), &columns)?;
    let known = CsvColumns {
        classes: Some(&train.classes),
        ..columns
    };
    let mut test = read_csv(&dir.join(format!("{}_test.csv", task.name)), &known)?;
    if task.standardize {
        let scaler = Standardization::fit(train.x.view());
        scaler.apply(&mut train.x);
        scaler.apply(&mut test.x);
    }
    Ok((train, test))
}

/// Every row of the lower classes, every 4th row (within its class) of the upper ones.
fn thin(data: &Dataset, minority_from: usize) -> Dataset {
    let mut seen = vec![0usize; data.classes.len()];
    let keep: Vec<usize> = (0..data.rows())
        .filter(|&i| {
            let c = data.labels[i] as usize;
            seen[c] += 1;
            c < minority_from || (seen[c] - 1).is_multiple_of(4)
        })
        .collect();
    data.select(&keep)
}

fn run(
    task: &Task,
    variant: &str,
    (train, test): (&Dataset, &Dataset),
    seed: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let k = train.classes.len();
    let thinned;
    let train = match variant {
        "imbalanced" | "balanced" => {
            thinned = thin(train, (task.minority_from)(k));
            &thinned
        }
        _ => train,
    };
    let l2 = |d: Dense| match variant {
        "l2" => d.kernel_regularizer(Regularizer::l2(Regularizer::DEFAULT_FACTOR)),
        _ => d,
    };
    let mut model = Sequential::new();
    let mut inputs = train.x.ncols();
    for &units in task.hidden {
        model.add(l2(Dense::new(units).input_dim(inputs).activation(Relu)))?;
        if variant == "dropout" {
            model.add(Dropout::new(0.2)?)?;
        }
        inputs = units;
    }
    model.add(l2(Dense::new(k).activation(Softmax)))?;
    let adam = Optimizer::from_name("adam")?.with_learning_rate(0.001);
    model.compile(adam, Loss::CategoricalCrossentropy, &[Metric::Accuracy])?;
    let options = FitOptions {
        epochs: task.epochs,
        batch_size: task.batch,
        verbose: Verbosity::Silent,
        class_weight: (variant == "balanced").then_some(ClassWeight::Balanced),
        ..FitOptions::default()
    };
    let y = train.targets(k)?;
    model.fit(&train.x, &y, &options, &mut utils::set_random_seed(seed))?;
    let p = model.predict(&test.x)?;
    let correct = p
        .rows()
        .into_iter()
        .zip(&test.labels)
        .filter(|(row, &label)| {
            let best = row
                .iter()
                .enumerate()
                .fold(0, |b, (i, &v)| if v > row[b] { i } else { b });
            best == label as usize
        })
        .count();
    Ok(correct as f64 / test.rows() as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut seeds = [10u64, 5];
    for s in &mut seeds {
        if let Some(arg) = args.next() {
            *s = arg.parse()?;
        }
    }
    for (task, seeds) in TASKS.iter().zip(seeds) {
        let (train, test) = load(task)?;
        for variant in VARIANTS {
            let acc = (0..seeds)
                .map(|s| run(task, variant, (&train, &test), s))
                .collect::<Result<Vec<_>, _>>()?;
            let mean = acc.iter().sum::<f64>() / acc.len() as f64;
            let var =
                acc.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (acc.len().max(2) - 1) as f64;
            println!(
                "{} {variant}: {:.2} ± {:.2}",
                task.name,
                100.0 * mean,
                100.0 * var.sqrt()
            );
        }
    }
    Ok(())
}
