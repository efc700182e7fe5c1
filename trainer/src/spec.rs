//! Model spec files: the Keras script as TOML. `[data]` says where the samples come from,
//! `[[layers]]` lists the layers as `model.add` would, `[compile]` and `[fit]` take Keras'
//! arguments, `[callbacks.*]` switches on early stopping, checkpoints and schedules.
//!
//! Every table refuses keys it does not know, and every bad value is reported with its key, so a
//! typo never silently falls back to a default. `examples/seed.toml` and `examples/iris.toml` in
//! the repository are complete, commented examples.
//!
//! ```
//! use dendrite_trainer::spec::ModelSpec;
//! let spec = ModelSpec::from_toml(r#"
//!     [[layers]]
//!     units = 16
//!     activation = "relu"
//!     [[layers]]
//!     activation = "softmax"    # units: one per class, from the labels
//!     [compile]
//!     optimizer = { name = "adam", learning_rate = 0.01 }
//!     [fit]
//!     epochs = 100
//! "#, "inline")?;
//! let model = spec.build(4, 3)?;
//! assert_eq!(model.count_params(), (4 + 1) * 16 + (16 + 1) * 3);
//! # Ok::<(), dendrite_trainer::spec::SpecError>(())
//! ```

mod callbacks;
mod optimizer;

pub use callbacks::{CallbacksSpec, CheckpointSpec, EarlyStoppingSpec};
pub use optimizer::OptimizerSpec;

use crate::layers::{ActivationLayer, Dense, Dropout, Regularizer};
use crate::ClassWeight;
use crate::{activations, Activation, Initializer, Loss, Metric, Optimizer, Sequential};
use serde::Deserialize;
use std::path::PathBuf;

/// A spec file that cannot be used, naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, a value of the wrong type or out of range.
    #[error("{origin}: {message}")]
    Toml {
        /// The file (or another origin).
        origin: String,
        /// The TOML parser's message, with the key, line and column.
        message: String,
    },
    /// A value of the right type that cannot be used.
    #[error("{key}: {reason}")]
    Invalid {
        /// The key, as `layers[1].activation`.
        key: String,
        /// What is wrong and what is accepted.
        reason: String,
    },
}

/// A whole spec file. Every table is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// What the model learns: `classification`, `regression` or `anomaly` (default: regression
    /// when the loss is a regression loss, else classification).
    pub task: Option<TaskKind>,
    /// For `task = "anomaly"`: the percentile of the training rows' reconstruction errors that
    /// becomes the anomaly threshold (default 99).
    pub threshold_percentile: Option<f64>,
    /// Where the samples come from.
    #[serde(default)]
    pub data: DataSpec,
    /// The layers, input side first, as `model.add` calls.
    #[serde(default)]
    pub layers: Vec<LayerEntry>,
    /// `model.compile(...)`.
    #[serde(default)]
    pub compile: CompileSpec,
    /// `model.fit(...)`.
    #[serde(default)]
    pub fit: FitSpec,
    /// Callbacks passed to `fit`.
    #[serde(default)]
    pub callbacks: CallbacksSpec,
    /// A `.keras`, `.h5`, `.weights.h5` or model file of the same architecture whose weights
    /// training starts from, instead of the initializers (relative to the spec file).
    #[serde(default)]
    pub initial_weights: Option<PathBuf>,
    /// `[quantize]`: quantize to int8 right after training (TFLite's post-training scheme, as
    /// `dendrite quantize`); absent: no int8 model.
    #[serde(default)]
    pub quantize: Option<QuantizeSpec>,
}

/// `[quantize]`: post-training int8 quantization after `fit`, as TFLite's converter with a
/// representative dataset. Every key is optional; an empty `[quantize]` table calibrates on the
/// training rows and writes the int8 model beside the f32 one.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuantizeSpec {
    /// CSV file whose rows set the activation ranges (TFLite's `representative_dataset`;
    /// relative to the spec file). Default: the training rows.
    pub calibration: Option<PathBuf>,
    /// Where to write the int8 model file (relative to the spec file).
    /// Default: the f32 model's path with `.int8` before its extension.
    pub out: Option<PathBuf>,
    /// `true`: the int8 model is written at `--out` in place of the f32 one, and no f32 file is
    /// written. Default `false`.
    #[serde(default)]
    pub replace_float: bool,
}

/// `[data]`: a CSV file, or the seed tutorial's generator.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// CSV file with a header line (relative to the spec file).
    pub path: Option<PathBuf>,
    /// The label column; for regression the target column, or several
    /// (`label = ["x", "y"]`, stored comma-separated).
    #[serde(default, deserialize_with = "one_or_many")]
    pub label: Option<String>,
    /// Feature columns (default: every column but the label).
    pub features: Option<Vec<String>>,
    /// Validation CSV file (relative to the spec file), as Keras' `validation_data`.
    pub validation_data: Option<PathBuf>,
    /// `"seed"`: draw the seed tutorial's people instead of reading a file.
    pub generator: Option<Generator>,
    /// How many samples the generator draws (default 1000).
    pub samples: Option<usize>,
    /// Class names for generated data (a CSV file names its own).
    pub classes: Option<Vec<String>>,
    /// Standardize the features with the training rows' mean and std (default true).
    #[serde(default = "yes")]
    pub standardize: bool,
    /// Standardize regression targets with the training rows' mean and std (default true); the
    /// model file keeps them, so predictions come back in the targets' units.
    #[serde(default = "yes")]
    pub standardize_targets: bool,
}

/// What a model learns.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Classes from a label column.
    #[default]
    Classification,
    /// Numbers from one or more target columns.
    Regression,
    /// An autoencoder that reproduces its inputs; a large reconstruction error flags an anomaly.
    Anomaly,
}

/// A string, or a list of strings joined by commas.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(Some(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s,
        OneOrMany::Many(v) => v.join(","),
    }))
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec {
            path: None,
            label: None,
            features: None,
            validation_data: None,
            generator: None,
            samples: None,
            classes: None,
            standardize: true,
            standardize_targets: true,
        }
    }
}

/// Built-in data generators.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Generator {
    /// The seed tutorial's people: weight, height, age → gender.
    Seed,
}

/// The kind of a `[[layers]]` entry.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// `keras.layers.Dense`.
    #[default]
    Dense,
    /// `keras.layers.Activation`.
    Activation,
    /// `keras.layers.Dropout` (needs `rate`).
    Dropout,
}

/// `kernel_regularizer` / `bias_regularizer`: `"l1"`, `"l2"`, `"l1_l2"` (Keras' default factor
/// 0.01 each) or a table `{ l1 = 0.001, l2 = 0.01 }` (a missing factor is 0).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RegularizerSpec {
    /// A Keras name.
    Name(String),
    /// Explicit factors.
    Factors {
        /// The L1 factor.
        l1: Option<f64>,
        /// The L2 factor.
        l2: Option<f64>,
    },
}

impl RegularizerSpec {
    /// The regularizer, or the reason it cannot be used.
    ///
    /// # Errors
    /// An unknown name, or a factor that is negative, not finite, or missing from both.
    pub fn build(&self) -> Result<Regularizer, String> {
        let d = Regularizer::DEFAULT_FACTOR;
        match self {
            RegularizerSpec::Name(name) => match name.as_str() {
                "l1" => Ok(Regularizer::l1(d)),
                "l2" => Ok(Regularizer::l2(d)),
                "l1_l2" | "l1l2" => Ok(Regularizer::l1_l2(d, d)),
                other => Err(format!(
                    "unknown regularizer `{other}`: expected l1, l2, l1_l2 or {{ l1 = …, l2 = … }}"
                )),
            },
            RegularizerSpec::Factors { l1, l2 } => {
                if l1.is_none() && l2.is_none() {
                    return Err("give `l1`, `l2` or both, e.g. { l2 = 0.001 }".to_owned());
                }
                for (name, v) in [("l1", l1), ("l2", l2)] {
                    if let Some(v) = v {
                        if !v.is_finite() || *v < 0.0 {
                            return Err(format!("{name} = {v}: give a non-negative factor"));
                        }
                    }
                }
                Ok(Regularizer::l1_l2(
                    l1.unwrap_or(0.0) as f32,
                    l2.unwrap_or(0.0) as f32,
                ))
            }
        }
    }
}

/// `[fit] class_weight`: `"balanced"` or a table of weights by class name or index
/// (`{ setosa = 2.0, versicolor = 1.0 }`, `{ 0 = 2.0, 1 = 1.0 }`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ClassWeightSpec {
    /// `"balanced"`.
    Name(String),
    /// Weights by class name or index; classes left out weigh 1.
    Table(std::collections::BTreeMap<String, f64>),
}

impl ClassWeightSpec {
    /// The class weights for the labels' `classes`, in their order.
    ///
    /// # Errors
    /// An unknown name, a class that is not in the labels, a negative or non-finite weight.
    pub fn resolve(&self, classes: &[String]) -> Result<ClassWeight, String> {
        match self {
            ClassWeightSpec::Name(n) if n == "balanced" => Ok(ClassWeight::Balanced),
            ClassWeightSpec::Name(n) => Err(format!(
                "unknown class_weight `{n}`: expected \"balanced\" or a table of weights per class"
            )),
            ClassWeightSpec::Table(table) => {
                let mut weights = vec![1.0f32; classes.len()];
                for (key, &w) in table {
                    let index = classes
                        .iter()
                        .position(|c| c == key)
                        .or_else(|| key.parse::<usize>().ok().filter(|&i| i < classes.len()))
                        .ok_or_else(|| {
                            format!(
                                "`{key}` is not a class of the labels ({})",
                                classes.join(", ")
                            )
                        })?;
                    if !w.is_finite() || w < 0.0 {
                        return Err(format!("{key} = {w}: give a non-negative weight"));
                    }
                    weights[index] = w as f32;
                }
                Ok(ClassWeight::PerClass(weights))
            }
        }
    }
}

/// One `[[layers]]` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LayerEntry {
    /// `dense` (default) or `activation`.
    #[serde(rename = "type", default)]
    pub kind: LayerKind,
    /// Outputs of a Dense layer; on the last one, default: one per class.
    pub units: Option<usize>,
    /// Activation name (Dense default: linear).
    pub activation: Option<String>,
    /// Kernel initializer name (default glorot_uniform).
    pub kernel_initializer: Option<String>,
    /// Bias initializer name (default zeros).
    pub bias_initializer: Option<String>,
    /// Layer name (default: Keras' `dense`, `dense_1`, …).
    pub name: Option<String>,
    /// Inputs of the first layer (default: the number of features).
    pub input_dim: Option<usize>,
    /// A Dropout layer's fraction of inputs dropped while training, in `[0, 1)`.
    pub rate: Option<f64>,
    /// A Dense layer's kernel penalty (Keras' `kernel_regularizer`).
    pub kernel_regularizer: Option<RegularizerSpec>,
    /// A Dense layer's bias penalty (Keras' `bias_regularizer`).
    pub bias_regularizer: Option<RegularizerSpec>,
}

/// `[compile]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CompileSpec {
    /// `optimizer = "adam"` or `optimizer = { name = "adam", learning_rate = 0.01 }`.
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// Loss name (default: from the output activation, softmax → categorical cross-entropy,
    /// sigmoid → binary cross-entropy).
    pub loss: Option<String>,
    /// Metric names (default `["accuracy"]` for a classifier, `["mae"]` otherwise).
    pub metrics: Option<Vec<String>>,
}

/// `[fit]`, with Keras' defaults where Keras has one.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FitSpec {
    /// Passes over the training data (default 1).
    pub epochs: usize,
    /// Samples per optimizer step (default 32).
    pub batch_size: usize,
    /// Reshuffle before every epoch (default true).
    pub shuffle: bool,
    /// Last fraction of the training rows held out for validation, before shuffling (default 0).
    pub validation_split: f64,
    /// Fraction of the rows held out for the final test, chosen by a seeded shuffle (default 0).
    pub test_split: f64,
    /// Seed of the one generator behind every random draw (default 42).
    pub seed: u64,
    /// Keras' `class_weight`: `"balanced"` or `{ class = weight, … }` (default none).
    pub class_weight: Option<ClassWeightSpec>,
}

impl Default for FitSpec {
    fn default() -> Self {
        FitSpec {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            validation_split: 0.0,
            test_split: 0.0,
            seed: 42,
            class_weight: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Checks a held-out fraction (`validation_split`, `test_split`): a number in [0, 1).
///
/// # Errors
/// The message, with the value and the range.
pub fn check_fraction(v: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{v}: give a fraction in [0, 1), e.g. 0.2"))
    }
}

fn invalid(key: impl Into<String>, reason: impl ToString) -> SpecError {
    SpecError::Invalid {
        key: key.into(),
        reason: reason.to_string(),
    }
}

impl ModelSpec {
    /// Parses a spec; `origin` names it in errors.
    ///
    /// # Errors
    /// [`SpecError::Toml`] for bad TOML, unknown keys, mistyped values and values out of range
    /// (see [`check`](Self::check)), naming `origin` and the key.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, SpecError> {
        let spec: Self = Self::parse(text, origin)?;
        spec.check().map_err(|e| SpecError::Toml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        Ok(spec)
    }

    fn parse(text: &str, origin: &str) -> Result<Self, SpecError> {
        toml::from_str(text).map_err(|e| {
            // One line, `file:line:column: message`, instead of toml's multi-line snippet.
            let at = e.span().map_or(0, |s| s.start).min(text.len());
            let before = text.get(..at).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            SpecError::Toml {
                origin: format!("{origin}:{line}:{column}"),
                message: match text.lines().nth(line - 1).map(str::trim) {
                    Some(source) if !source.is_empty() => {
                        // A long line is quoted by its start only: one readable line.
                        let mut quoted: String = source.chars().take(80).collect();
                        if quoted.len() < source.len() {
                            quoted.push('…');
                        }
                        let message = e.message().trim_end().replace('\n', " ");
                        let message: String = message.chars().take(300).collect();
                        format!("`{quoted}`: {message}")
                    }
                    _ => e.message().trim_end().replace('\n', " "),
                },
            }
        })
    }

    /// Checks every value against its range and the limits of [`crate::limits`], naming the key:
    /// a data source given twice (`path` and `generator`), sample counts, name lengths, layer
    /// widths, epochs, batch size, the split fractions, the optimizer and the callbacks.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming the first key at fault.
    pub fn check(&self) -> Result<(), SpecError> {
        use crate::limits::{check_name, MAX_EPOCHS, MAX_GENERATED_SAMPLES, MAX_WIDTH};
        let d = &self.data;
        if d.path.is_some() && d.generator.is_some() {
            return Err(invalid(
                "data",
                "both `path` and `generator`: give one source of samples",
            ));
        }
        if let Some(q) = &self.quantize {
            if q.replace_float && q.out.is_some() {
                return Err(invalid(
                    "quantize.out",
                    "with `replace_float = true` the int8 model goes to --out: drop one of them",
                ));
            }
        }
        if let Some(n) = d.samples {
            if !(2..=MAX_GENERATED_SAMPLES).contains(&n) {
                return Err(invalid(
                    "data.samples",
                    format!("{n}: give 2 to {MAX_GENERATED_SAMPLES}"),
                ));
            }
        }
        if let Some(label) = &d.label {
            check_name("column", label).map_err(|e| invalid("data.label", e))?;
        }
        for (key, names) in [("data.features", &d.features), ("data.classes", &d.classes)] {
            for (i, name) in names.iter().flatten().enumerate() {
                check_name("the", name).map_err(|e| invalid(format!("{key}[{i}]"), e))?;
            }
        }
        for (i, layer) in self.layers.iter().enumerate() {
            for (field, value) in [("units", layer.units), ("input_dim", layer.input_dim)] {
                if let Some(n) = value {
                    if !(1..=MAX_WIDTH).contains(&n) {
                        return Err(invalid(
                            format!("layers[{i}].{field}"),
                            format!("{n}: give 1 to {MAX_WIDTH}"),
                        ));
                    }
                }
            }
            if let Some(name) = &layer.name {
                check_name("layer", name).map_err(|e| invalid(format!("layers[{i}].name"), e))?;
            }
            for (field, r) in [
                ("kernel_regularizer", &layer.kernel_regularizer),
                ("bias_regularizer", &layer.bias_regularizer),
            ] {
                if let Some(r) = r {
                    r.build()
                        .map_err(|e| invalid(format!("layers[{i}].{field}"), e))?;
                }
            }
        }
        if let Some(ClassWeightSpec::Name(n)) = &self.fit.class_weight {
            if n != "balanced" {
                return Err(invalid(
                    "fit.class_weight",
                    format!("unknown `{n}`: expected \"balanced\" or a table of weights per class"),
                ));
            }
        }
        let f = &self.fit;
        if !(1..=MAX_EPOCHS).contains(&f.epochs) {
            return Err(invalid(
                "fit.epochs",
                format!("{}: give 1 to {MAX_EPOCHS}", f.epochs),
            ));
        }
        if f.batch_size == 0 {
            return Err(invalid("fit.batch_size", "0: give at least 1"));
        }
        for (key, v) in [
            ("fit.validation_split", f.validation_split),
            ("fit.test_split", f.test_split),
        ] {
            check_fraction(v).map_err(|e| invalid(key, e))?;
        }
        self.compile.optimizer.build()?;
        self.callbacks.check()
    }

    /// Reads and parses a spec file; relative data paths become relative to its directory.
    ///
    /// # Errors
    /// [`SpecError::Io`], and as [`from_toml`](Self::from_toml).
    pub fn load(path: &std::path::Path) -> Result<Self, SpecError> {
        let io = |source| SpecError::Io {
            path: path.to_owned(),
            source,
        };
        let bytes = crate::limits::read_limited(path, crate::limits::MAX_SPEC_BYTES).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })?;
        let mut spec = Self::from_toml(&text, &path.display().to_string())?;
        let dir = path.parent().unwrap_or(std::path::Path::new(""));
        let (calibration, int8_out) = match spec.quantize.as_mut() {
            Some(q) => (q.calibration.as_mut(), q.out.as_mut()),
            None => (None, None),
        };
        for p in [
            spec.data.path.as_mut(),
            spec.data.validation_data.as_mut(),
            spec.initial_weights.as_mut(),
            calibration,
            int8_out,
        ]
        .into_iter()
        .flatten()
        {
            *p = dir.join(&*p);
        }
        Ok(spec)
    }

    /// What the model learns: the `task` key, else regression for a regression loss, else
    /// classification.
    pub fn task(&self) -> TaskKind {
        self.task.unwrap_or_else(|| {
            let regression = self
                .compile
                .loss
                .as_deref()
                .and_then(|l| Loss::from_name(l).ok())
                .is_some_and(|l| l.is_regression());
            if regression {
                TaskKind::Regression
            } else {
                TaskKind::Classification
            }
        })
    }

    /// The target columns of a regression (`label`, split at commas); empty for other tasks.
    pub fn target_columns(&self) -> Vec<String> {
        match (self.task(), &self.data.label) {
            (TaskKind::Regression, Some(label)) => {
                label.split(',').map(|c| c.trim().to_owned()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The anomaly threshold's percentile (default 99).
    ///
    /// # Errors
    /// [`SpecError::Invalid`] outside `[0, 100]` or for a task other than anomaly.
    pub fn threshold_percentile(&self) -> Result<f64, SpecError> {
        match self.threshold_percentile {
            None => Ok(99.0),
            Some(_) if self.task() != TaskKind::Anomaly => Err(invalid(
                "threshold_percentile",
                "only an anomaly model (task = \"anomaly\") has a threshold",
            )),
            Some(p) if (0.0..=100.0).contains(&p) => Ok(p),
            Some(p) => Err(invalid(
                "threshold_percentile",
                format!("{p} is not a percentile: give a number from 0 to 100"),
            )),
        }
    }

    /// The layers as a model for `inputs` features and `classes` outputs wanted (classes for a
    /// classifier, target columns for a regression, inputs for an autoencoder): the first
    /// layer's `input_dim` defaults to `inputs`, the last Dense layer's `units` to one per
    /// class (one for binary cross-entropy) or per target.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming the layer key: unknown names, missing units, an
    /// `input_dim` that disagrees with the data, an output too narrow for the classes.
    pub fn build(&self, inputs: usize, classes: usize) -> Result<Sequential, SpecError> {
        if self.layers.is_empty() {
            return Err(invalid(
                "layers",
                "no layers: add at least one [[layers]] table",
            ));
        }
        let last_dense = self.layers.iter().rposition(|l| l.kind == LayerKind::Dense);
        let mut model = Sequential::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let key = format!("layers[{i}]");
            let default_units = (Some(i) == last_dense).then(|| self.output_units(classes));
            let dim = (i == 0).then_some(inputs);
            match layer.kind {
                LayerKind::Dense => model.add(dense(layer, &key, default_units, dim)?),
                LayerKind::Activation => model.add(activation(layer, &key)?),
                LayerKind::Dropout => model.add(dropout(layer, &key)?),
            }
            .map_err(|e| invalid(key, e))?;
        }
        self.check_output(&model, classes)?;
        Ok(model)
    }

    /// The output width the labels call for.
    fn output_units(&self, classes: usize) -> usize {
        match self.compile.loss.as_deref() {
            Some("binary_crossentropy") if classes <= 2 && self.is_classifier() => 1,
            _ => classes,
        }
    }

    fn is_classifier(&self) -> bool {
        self.task() == TaskKind::Classification
    }

    fn check_output(&self, model: &Sequential, classes: usize) -> Result<(), SpecError> {
        let outputs = model.output_dim();
        if !self.is_classifier() {
            if outputs != classes {
                let key = format!("layers[{}].units", self.layers.len() - 1);
                let what = match self.task() {
                    TaskKind::Anomaly => "an autoencoder reproduces its",
                    _ => "one output per target: the data has",
                };
                return Err(invalid(key, format!("{outputs} outputs, but {what} {classes} columns: leave `units` out of the output layer to get the right number")));
            }
            return Ok(());
        }
        let fits = if outputs == 1 {
            classes <= 2
        } else {
            classes <= outputs
        };
        if !fits {
            let key = format!("layers[{}].units", self.layers.len() - 1);
            return Err(invalid(key, format!("{outputs} outputs cannot tell {classes} classes apart: leave `units` out of the output layer to get one per class")));
        }
        Ok(())
    }

    /// Compiles `model` as `[compile]` says.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming the `compile.*` key at fault.
    pub fn compile(&self, model: &mut Sequential) -> Result<(), SpecError> {
        let optimizer: Optimizer = self.compile.optimizer.build()?;
        let loss = match &self.compile.loss {
            Some(name) => Loss::from_name(name).map_err(|e| invalid("compile.loss", e))?,
            None => match model.output_activation() {
                _ if !self.is_classifier() => Loss::MeanSquaredError,
                Activation::Sigmoid => Loss::BinaryCrossentropy,
                Activation::Softmax => Loss::CategoricalCrossentropy,
                other => {
                    return Err(invalid(
                        "compile.loss",
                        format!("no default loss for a `{}` output: name one", other.name()),
                    ))
                }
            },
        };
        let default = if self.is_classifier() {
            "accuracy"
        } else {
            "mae"
        };
        let metrics = self
            .compile
            .metrics
            .clone()
            .unwrap_or_else(|| vec![default.to_owned()]);
        let metrics = metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Metric::from_name(m).map_err(|e| invalid(format!("compile.metrics[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        model
            .compile(optimizer, loss, &metrics)
            .map_err(|e| invalid("compile.loss", e))
    }
}

fn dense(
    layer: &LayerEntry,
    key: &str,
    default_units: Option<usize>,
    inputs: Option<usize>,
) -> Result<Dense, SpecError> {
    let units = layer
        .units
        .or(default_units)
        .ok_or_else(|| invalid(format!("{key}.units"), "a hidden Dense layer needs `units`"))?;
    if units == 0 {
        return Err(invalid(format!("{key}.units"), "give at least one unit"));
    }
    let mut d = Dense::new(units);
    if let Some(name) = &layer.activation {
        d = d.activation(
            activations::parse(name).map_err(|e| invalid(format!("{key}.activation"), e))?,
        );
    }
    let init = |name: &Option<String>, field: &str| {
        name.as_deref()
            .map(Initializer::from_name)
            .transpose()
            .map_err(|e| invalid(format!("{key}.{field}"), e))
    };
    if let Some(i) = init(&layer.kernel_initializer, "kernel_initializer")? {
        d = d.kernel_initializer(i);
    }
    if let Some(i) = init(&layer.bias_initializer, "bias_initializer")? {
        d = d.bias_initializer(i);
    }
    if let Some(name) = &layer.name {
        d = d.name(name.clone());
    }
    if layer.rate.is_some() {
        return Err(invalid(
            format!("{key}.rate"),
            "a Dense layer has no rate: add a [[layers]] table with type = \"dropout\"",
        ));
    }
    let regularizer = |r: &Option<RegularizerSpec>, field: &str| {
        r.as_ref()
            .map(RegularizerSpec::build)
            .transpose()
            .map_err(|e| invalid(format!("{key}.{field}"), e))
    };
    if let Some(r) = regularizer(&layer.kernel_regularizer, "kernel_regularizer")? {
        d = d.kernel_regularizer(r);
    }
    if let Some(r) = regularizer(&layer.bias_regularizer, "bias_regularizer")? {
        d = d.bias_regularizer(r);
    }
    match (layer.input_dim, inputs) {
        (Some(declared), Some(found)) if declared != found => Err(invalid(
            format!("{key}.input_dim"),
            format!("{declared}, but the data has {found} features"),
        )),
        (declared, found) => Ok(match declared.or(found) {
            Some(n) => d.input_dim(n),
            None => d,
        }),
    }
}

fn activation(layer: &LayerEntry, key: &str) -> Result<ActivationLayer, SpecError> {
    for (field, set) in [
        ("units", layer.units.is_some()),
        ("kernel_initializer", layer.kernel_initializer.is_some()),
        ("bias_initializer", layer.bias_initializer.is_some()),
        ("input_dim", layer.input_dim.is_some()),
        ("rate", layer.rate.is_some()),
        ("kernel_regularizer", layer.kernel_regularizer.is_some()),
        ("bias_regularizer", layer.bias_regularizer.is_some()),
    ] {
        if set {
            return Err(invalid(
                format!("{key}.{field}"),
                "an Activation layer has no such setting",
            ));
        }
    }
    let name = layer.activation.as_deref().ok_or_else(|| {
        invalid(
            format!("{key}.activation"),
            "an Activation layer needs `activation`",
        )
    })?;
    let mut a = ActivationLayer::new(
        activations::parse(name).map_err(|e| invalid(format!("{key}.activation"), e))?,
    );
    if let Some(name) = &layer.name {
        a = a.name(name.clone());
    }
    Ok(a)
}

fn dropout(layer: &LayerEntry, key: &str) -> Result<Dropout, SpecError> {
    for (field, set) in [
        ("units", layer.units.is_some()),
        ("activation", layer.activation.is_some()),
        ("kernel_initializer", layer.kernel_initializer.is_some()),
        ("bias_initializer", layer.bias_initializer.is_some()),
        ("input_dim", layer.input_dim.is_some()),
        ("kernel_regularizer", layer.kernel_regularizer.is_some()),
        ("bias_regularizer", layer.bias_regularizer.is_some()),
    ] {
        if set {
            return Err(invalid(
                format!("{key}.{field}"),
                "a Dropout layer has no such setting",
            ));
        }
    }
    let rate = layer.rate.ok_or_else(|| {
        invalid(
            format!("{key}.rate"),
            "a Dropout layer needs `rate`, e.g. rate = 0.2",
        )
    })?;
    if !(0.0..1.0).contains(&rate) {
        return Err(invalid(
            format!("{key}.rate"),
            format!("{rate}: give a fraction in [0, 1)"),
        ));
    }
    let mut d = Dropout::new(rate as f32).map_err(|e| invalid(format!("{key}.rate"), e))?;
    if let Some(name) = &layer.name {
        d = d.name(name.clone());
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
