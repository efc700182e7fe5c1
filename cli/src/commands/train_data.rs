//! The data side of `dendrite train`: read or generate the samples, split off the test and
//! validation rows, fit the standardization on the training rows only.

use anyhow::{Context, Result};
use dendrite_core::format::Task;
use dendrite_trainer::data::{read_csv, CsvColumns, DataError, Dataset, Standardization};
use dendrite_trainer::spec::{Generator, LayerEntry, LayerKind, ModelSpec, TaskKind};
use dendrite_trainer::{datasets, Preprocessing, SeededRng};
use ndarray::{s, Array2};
use std::path::{Path, PathBuf};

/// The seed generator's columns.
const SEED_FEATURES: [&str; 3] = ["weight", "height", "age"];

/// Standardized samples ready for `fit`, and what the model file must remember of them.
pub struct Prepared {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    pub test: Option<Dataset>,
    pub scaler: Standardization,
    pub is_seed: bool,
    /// With `[quantize]`: the raw (unstandardized) training and test inputs, for calibration
    /// and the float-against-int8 report.
    pub raw_inputs: Option<(Array2<f32>, Option<Array2<f32>>)>,
    source: PathBuf,
    label: String,
    /// Regression and anomaly detection: what the model learns, per part.
    numeric: Option<Numeric>,
}

/// The numeric targets of a regression (standardized when the spec says so) or an autoencoder
/// (its standardized inputs), and what the model file keeps of them.
struct Numeric {
    task: TaskKind,
    names: Vec<String>,
    train: Array2<f32>,
    validation: Option<Array2<f32>>,
    test: Option<Array2<f32>>,
    /// The targets' standardization (regression).
    scaler: Option<Standardization>,
    /// The raw training inputs, for the anomaly threshold.
    raw_train: Array2<f32>,
}

/// Which rows.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    /// The rows `fit` trains on (and its validation split).
    Train,
    /// `--validation-data`.
    Validation,
    /// The held-out test rows.
    Test,
}

/// Loads the data the spec names, splits and standardizes it.
pub fn prepare(spec: &ModelSpec, rng: &mut SeededRng) -> Result<Prepared> {
    let task = spec.task();
    let (all, source, label) = load(spec, rng)?;
    let (mut train, mut test) = all.split_test(spec.fit.test_split, rng)?;
    let mut validation = match &spec.data.validation_data {
        Some(path) if task != TaskKind::Classification => Some(read_numeric(spec, path)?),
        Some(path) => Some(read_with_classes(spec, path, &train.classes)?),
        None => None,
    };
    // Regression: the target columns leave the features; an autoencoder drops its label column
    // (if any) and learns its inputs.
    let taken = numeric_columns(spec);
    let mut targets = Vec::new();
    for (d, path) in [
        (Some(&mut train), &source),
        (
            validation.as_mut(),
            spec.data.validation_data.as_ref().unwrap_or(&source),
        ),
        (test.as_mut(), &source),
    ] {
        targets.push(match d {
            Some(d) if !taken.is_empty() => Some(d.take_columns(&taken, path)?),
            _ => None,
        });
    }
    let raw_train = train.x.clone();
    let raw_inputs = spec
        .quantize
        .as_ref()
        .map(|_| (train.x.clone(), test.as_ref().map(|t| t.x.clone())));
    let scaler = if spec.data.standardize {
        // Keras' validation_split holds out the last rows: fit on the rows `fit` trains on.
        let split = if validation.is_some() {
            0.0
        } else {
            spec.fit.validation_split
        };
        let rows = (train.rows() as f64 * (1.0 - split)).floor() as usize;
        Standardization::fit(train.x.slice(s![..rows.max(1), ..]))
    } else {
        Standardization::identity(train.x.ncols())
    };
    for d in [Some(&mut train), validation.as_mut(), test.as_mut()]
        .into_iter()
        .flatten()
    {
        scaler.apply(&mut d.x);
    }
    let numeric = match task {
        TaskKind::Classification => None,
        TaskKind::Regression => {
            let [Some(mut y_train), mut y_validation, mut y_test] =
                <[Option<Array2<f32>>; 3]>::try_from(targets).unwrap_or([None, None, None])
            else {
                anyhow::bail!("{}: no target columns", source.display());
            };
            let target_scaler = spec
                .data
                .standardize_targets
                .then(|| Standardization::fit(y_train.view()));
            if let Some(t) = &target_scaler {
                for y in [Some(&mut y_train), y_validation.as_mut(), y_test.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    t.apply(y);
                }
            }
            Some(Numeric {
                task,
                names: taken,
                train: y_train,
                validation: y_validation,
                test: y_test,
                scaler: target_scaler,
                raw_train,
            })
        }
        TaskKind::Anomaly => Some(Numeric {
            task,
            names: Vec::new(),
            train: train.x.clone(),
            validation: validation.as_ref().map(|v| v.x.clone()),
            test: test.as_ref().map(|t| t.x.clone()),
            scaler: None,
            raw_train,
        }),
    };
    Ok(Prepared {
        train,
        validation,
        test,
        scaler,
        is_seed: spec.data.generator.is_some(),
        raw_inputs,
        source,
        label,
        numeric,
    })
}

/// The columns read as numbers and taken out of the features: a regression's targets, an
/// autoencoder's label column (its ground truth, not an input).
fn numeric_columns(spec: &ModelSpec) -> Vec<String> {
    match spec.task() {
        TaskKind::Classification => Vec::new(),
        TaskKind::Regression => spec.target_columns(),
        TaskKind::Anomaly => spec.data.label.iter().cloned().collect(),
    }
}

/// A CSV file for a regression or an autoencoder: every column (or the named features and the
/// target columns) as numbers.
fn read_numeric(spec: &ModelSpec, path: &Path) -> Result<Dataset> {
    let features = spec.data.features.as_ref().map(|f| {
        let mut all = f.clone();
        all.extend(numeric_columns(spec));
        all
    });
    let columns = CsvColumns {
        label: None,
        features: features.as_deref(),
        classes: None,
    };
    Ok(read_csv(path, &columns)?)
}

/// The samples: from the seed generator, or from the CSV file.
fn load(spec: &ModelSpec, rng: &mut SeededRng) -> Result<(Dataset, PathBuf, String)> {
    if spec.data.generator == Some(Generator::Seed) {
        let (x, gender) = datasets::seed(
            spec.data
                .samples
                .unwrap_or(dendrite_trainer::spec::DEFAULT_SAMPLES),
            rng,
        );
        let classes = spec
            .data
            .classes
            .clone()
            .unwrap_or_else(|| vec!["0".to_owned(), "1".to_owned()]);
        anyhow::ensure!(
            classes.len() == 2,
            "data.classes: the seed generator draws 2 classes, got {}",
            classes.len()
        );
        let data = Dataset {
            x,
            labels: gender.iter().map(|&g| g as u32).collect(),
            classes,
            features: SEED_FEATURES.map(str::to_owned).to_vec(),
        };
        return Ok((
            data,
            PathBuf::from("the seed generator"),
            "gender".to_owned(),
        ));
    }
    let path = spec.data.path.clone().context(
        "no data: give --data FILE.csv --label COLUMN (or `path` and `label` in [data])",
    )?;
    match spec.task() {
        TaskKind::Regression => {
            anyhow::ensure!(
                spec.data.label.is_some(),
                "{}: which columns are the targets? give --label COLUMN[,COLUMN…]",
                path.display()
            );
            let label = spec.target_columns().join(",");
            return Ok((read_numeric(spec, &path)?, path, label));
        }
        TaskKind::Anomaly => {
            let label = spec.data.label.clone().unwrap_or_default();
            return Ok((read_numeric(spec, &path)?, path, label));
        }
        TaskKind::Classification => {}
    }
    let label = spec.data.label.clone().with_context(|| {
        format!(
            "{}: which column holds the classes? give --label COLUMN",
            path.display()
        )
    })?;
    let columns = CsvColumns {
        label: Some(&label),
        features: spec.data.features.as_deref(),
        classes: spec.data.classes.as_deref(),
    };
    Ok((read_csv(&path, &columns)?, path, label))
}

fn read_with_classes(spec: &ModelSpec, path: &Path, classes: &[String]) -> Result<Dataset> {
    let columns = CsvColumns {
        label: spec.data.label.as_deref(),
        features: spec.data.features.as_deref(),
        classes: Some(classes),
    };
    Ok(read_csv(path, &columns)?)
}

impl Prepared {
    /// The number of outputs the data calls for: classes, target columns, or (an autoencoder)
    /// inputs.
    pub fn outputs_wanted(&self) -> usize {
        match &self.numeric {
            Some(n) => n.train.ncols(),
            None => self.train.classes.len(),
        }
    }

    /// What the model learns from `part` with `outputs` units: one-hot classes, or the numeric
    /// targets.
    pub fn targets_of(&self, part: Part, outputs: usize) -> Result<Array2<f32>> {
        if let Some(n) = &self.numeric {
            let y = match part {
                Part::Train => Some(&n.train),
                Part::Validation => n.validation.as_ref(),
                Part::Test => n.test.as_ref(),
            };
            return y.cloned().context("no such rows");
        }
        let data = match part {
            Part::Train => Some(&self.train),
            Part::Validation => self.validation.as_ref(),
            Part::Test => self.test.as_ref(),
        };
        self.targets(data.context("no such rows")?, outputs)
    }

    /// A regression's targets of `part` in their own units (the targets' standardization
    /// undone as the model file's outputs are: `z · std + mean`, dendrite-core's
    /// `destandardize`), row-major; `None` for the other tasks or a part without rows.
    pub fn regression_targets(&self, part: Part) -> Option<Vec<f32>> {
        let n = self
            .numeric
            .as_ref()
            .filter(|n| n.task == TaskKind::Regression)?;
        let y = match part {
            Part::Train => Some(&n.train),
            Part::Validation => n.validation.as_ref(),
            Part::Test => n.test.as_ref(),
        }?;
        let mut values: Vec<f32> = y.iter().copied().collect();
        if let Some(t) = &n.scaler {
            for row in values.chunks_mut(t.mean.len().max(1)) {
                dendrite_core::destandardize(row, t.mean.iter().copied(), t.std.iter().copied());
            }
        }
        Some(values)
    }

    /// Whether the model learns numbers (regression, autoencoder) rather than classes.
    pub fn is_numeric(&self) -> bool {
        self.numeric.is_some()
    }

    /// The raw (unstandardized) training inputs of an autoencoder, for its threshold.
    pub fn raw_train(&self) -> Option<&Array2<f32>> {
        self.numeric
            .as_ref()
            .filter(|n| n.task == TaskKind::Anomaly)
            .map(|n| &n.raw_train)
    }

    /// Targets for `outputs` units, naming the file and the column when they do not fit.
    pub fn targets(&self, data: &Dataset, outputs: usize) -> Result<Array2<f32>> {
        data.targets(outputs).map_err(|e| match e {
            DataError::TooManyClasses { found, outputs, .. } => DataError::TooManyClasses {
                path: self.source.clone(),
                column: self.label.clone(),
                found,
                outputs,
            }
            .into(),
            other => other.into(),
        })
    }

    /// What the model file keeps: the standardization and one class name per output (two for
    /// a single sigmoid output; outputs beyond the labels' classes are named `unused_N`, N the
    /// output's index, never the name of a real class).
    pub fn preprocessing(&self, outputs: usize) -> Preprocessing {
        if let Some(n) = &self.numeric {
            let task = match (&n.scaler, n.task) {
                (_, TaskKind::Anomaly) => Task::Anomaly { threshold: 0.0 },
                (Some(t), _) => Task::Regression {
                    mean: t.mean.clone(),
                    std: t.std.clone(),
                },
                (None, _) => Task::Regression {
                    mean: vec![0.0; outputs],
                    std: vec![1.0; outputs],
                },
            };
            return Preprocessing {
                mean: self.scaler.mean.clone(),
                std: self.scaler.std.clone(),
                features: self.train.features.clone(),
                labels: n.names.clone(),
                task,
            };
        }
        let mut labels = self.train.classes.clone();
        let wanted = outputs.max(2);
        while labels.len() < wanted {
            let mut name = format!("unused_{}", labels.len());
            while labels.contains(&name) {
                name.push('_');
            }
            labels.push(name);
        }
        Preprocessing {
            mean: self.scaler.mean.clone(),
            std: self.scaler.std.clone(),
            features: self.train.features.clone(),
            labels,
            ..Preprocessing::default()
        }
    }
}

/// `--layers 16,8`: relu hidden layers of these widths, then the output layer the labels call
/// for (one sigmoid unit with binary cross-entropy, else one softmax unit per class).
pub fn replace_hidden_layers(spec: &mut ModelSpec, widths: &[usize]) -> Result<()> {
    anyhow::ensure!(
        widths.iter().all(|&w| w > 0),
        "--layers: every width must be at least 1"
    );
    let output = if spec.task() != TaskKind::Classification {
        "linear"
    } else if spec.compile.loss.as_deref() == Some("binary_crossentropy") {
        "sigmoid"
    } else {
        "softmax"
    };
    let dense = |units: Option<usize>, activation: &str| LayerEntry {
        kind: LayerKind::Dense,
        units,
        activation: Some(activation.to_owned()),
        ..LayerEntry::default()
    };
    spec.layers = widths.iter().map(|&w| dense(Some(w), "relu")).collect();
    spec.layers.push(dense(None, output));
    Ok(())
}
