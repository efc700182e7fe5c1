//! The data side of `dendrite train`: read or generate the samples, split off the test and
//! validation rows, fit the standardization on the training rows only.

use anyhow::{Context, Result};
use dendrite_trainer::data::{read_csv, CsvColumns, DataError, Dataset, Standardization};
use dendrite_trainer::spec::{Generator, LayerEntry, LayerKind, ModelSpec};
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
    source: PathBuf,
    label: String,
}

/// Loads the data the spec names, splits and standardizes it.
pub fn prepare(spec: &ModelSpec, rng: &mut SeededRng) -> Result<Prepared> {
    let (all, source, label) = load(spec, rng)?;
    let (mut train, mut test) = all.split_test(spec.fit.test_split, rng)?;
    let mut validation = match &spec.data.validation_data {
        Some(path) => Some(read_with_classes(spec, path, &train.classes)?),
        None => None,
    };
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
    Ok(Prepared {
        train,
        validation,
        test,
        scaler,
        is_seed: spec.data.generator.is_some(),
        source,
        label,
    })
}

/// The samples: from the seed generator, or from the CSV file.
fn load(spec: &ModelSpec, rng: &mut SeededRng) -> Result<(Dataset, PathBuf, String)> {
    if spec.data.generator == Some(Generator::Seed) {
        let (x, gender) = datasets::seed(spec.data.samples.unwrap_or(1000), rng);
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
    let output = if spec.compile.loss.as_deref() == Some("binary_crossentropy") {
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
