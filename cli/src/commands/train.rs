//! `dendrite train`: a model spec (the seed tutorial by default), data, `fit`, a model file.

use super::train_data::{self, Part, Prepared};
use anyhow::{Context, Result};
use clap::Args;
use dendrite_core::format::Task;
use dendrite_trainer::callbacks::{
    EarlyStopping, LearningRateScheduler, ModelCheckpoint, TerminateOnNaN,
};
use dendrite_trainer::metrics::LOGGED;
use dendrite_trainer::spec::{ClassWeightSpec, ModelSpec, OptimizerSpec, QuantizeSpec, TaskKind};
use dendrite_trainer::{limits, plot, utils, Verbosity};
use dendrite_trainer::{Callback, FitOptions, History, HostModel, Preprocessing, Sequential};
use std::path::Path;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The seed tutorial: what `dendrite train` runs without `--spec` or `--data`.
const SEED_SPEC: &str = include_str!("../../../examples/seed.toml");

/// What `--data` without `--spec` trains: two relu layers (`--layers`), one softmax output per
/// class (linear outputs for regression and anomaly detection), Adam, 50 epochs of 32,
/// standardized features.
const CSV_SPEC: &str = r#"
[[layers]]
units = 16
activation = "relu"
[[layers]]
units = 8
activation = "relu"
[[layers]]
activation = "softmax"
[compile]
optimizer = "adam"
[fit]
epochs = 50
batch_size = 32
"#;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Model spec file (TOML): data, layers, compile, fit, callbacks. Flags override it.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// CSV file with a header line: one sample per row.
    #[arg(long)]
    data: Option<PathBuf>,
    /// The column holding the classes (integers or names); for regression the target columns,
    /// comma-separated.
    #[arg(long)]
    label: Option<String>,
    /// What the model learns: classification (default), regression (numbers in the --label
    /// columns; also chosen by a regression loss in the spec) or anomaly (an autoencoder of the
    /// features; a --label column is kept out of them).
    #[arg(long, value_parser = task)]
    task: Option<TaskKind>,
    /// Feature columns, comma-separated (default: every column but the label).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Hidden layers' widths, comma-separated (relu); the output layer follows from the labels.
    #[arg(long, value_delimiter = ',', value_parser = width)]
    layers: Option<Vec<usize>>,
    /// Last fraction of the training rows held out for validation, before shuffling (Keras).
    #[arg(long, value_parser = fraction, allow_negative_numbers = true)]
    validation_split: Option<f64>,
    /// CSV file of validation samples (same columns as --data).
    #[arg(long)]
    validation_data: Option<PathBuf>,
    /// Fraction of the rows held out for a final test, chosen by a shuffle seeded with --seed.
    #[arg(long, value_parser = fraction, allow_negative_numbers = true)]
    test_split: Option<f64>,
    /// Weigh each class's samples in the loss: `balanced` (scikit-learn's n / (k · count)).
    #[arg(long, value_parser = ["balanced"])]
    class_weight: Option<String>,
    /// Passes over the training data.
    #[arg(long, value_parser = epochs, allow_negative_numbers = true)]
    epochs: Option<usize>,
    /// Samples per optimizer step.
    #[arg(long, value_parser = batch_size, allow_negative_numbers = true)]
    batch_size: Option<usize>,
    /// Seed of the one generator behind every random draw (data, splits, weights, shuffles).
    #[arg(long)]
    seed: Option<u64>,
    /// Optimizer, with Keras' defaults: sgd, rmsprop or adam.
    #[arg(long)]
    optimizer: Option<String>,
    /// Step size (default: the spec's, else the optimizer's Keras default).
    #[arg(long, value_parser = learning_rate, allow_negative_numbers = true)]
    learning_rate: Option<f32>,
    /// Start from the weights of this `.keras`, `.h5`, `.weights.h5` or model file (same
    /// architecture) instead of the initializers.
    #[arg(long)]
    initial_weights: Option<PathBuf>,
    /// Where to write the model file.
    #[arg(long, default_value = "model.postcard")]
    out: PathBuf,
    /// Quantize to int8 after training (TFLite's post-training scheme, as `dendrite quantize`),
    /// calibrated on the training rows, and write the int8 model beside the f32 one (`--out`
    /// with `.int8` before its extension). The spec's `[quantize]` table does the same.
    #[arg(long)]
    quantize: bool,
    /// With quantization: calibrate on this CSV file's rows instead of the training rows.
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// With quantization: write the int8 model here.
    #[arg(long, conflicts_with = "int8_only")]
    int8_out: Option<PathBuf>,
    /// With quantization: write only the int8 model, at --out, in place of the f32 one.
    #[arg(long)]
    int8_only: bool,
    /// Draw loss and accuracy per epoch (training and validation) into this PNG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Keras' verbose: 0 silent, 1 progress bar, 2 one line per epoch.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
    verbose: u8,
    /// Print no per-epoch lines (same as --verbose 0).
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: &TrainArgs) -> Result<()> {
    let spec = resolve_spec(args)?;
    check_outputs(args, &spec)?;
    let mut rng = utils::set_random_seed(spec.fit.seed);
    let data = train_data::prepare(&spec, &mut rng)?;
    let mut model = spec
        .build(data.train.x.ncols(), data.outputs_wanted())
        .with_context(|| spec_origin(args))?;
    let params = model.count_params();
    anyhow::ensure!(
        params <= limits::MAX_PARAMS,
        "{}: {params} parameters; a model holds at most {} (a {} MiB model file): use narrower layers",
        spec_origin(args),
        limits::MAX_PARAMS,
        limits::MAX_MODEL_FILE_BYTES >> 20
    );
    spec.compile(&mut model)
        .with_context(|| spec_origin(args))?;
    super::initial_weights::apply(&mut model, &spec)?;
    out!("{}", model.summary());
    let y = data.targets_of(Part::Train, model.output_dim())?;
    let validation = match &data.validation {
        Some(v) => Some((
            v.x.view(),
            data.targets_of(Part::Validation, model.output_dim())?,
        )),
        None => None,
    };
    let mut preprocessing = data.preprocessing(model.output_dim());
    let mut options = FitOptions {
        epochs: spec.fit.epochs,
        batch_size: spec.fit.batch_size,
        shuffle: spec.fit.shuffle,
        validation_split: spec.fit.validation_split,
        verbose: verbosity(args),
        class_weight: match &spec.fit.class_weight {
            Some(_) if spec.task() != TaskKind::Classification => anyhow::bail!(
                "{}: fit.class_weight weighs classes, but this model is not a classifier",
                spec_origin(args)
            ),
            Some(cw) => Some(
                cw.resolve(&data.train.classes)
                    .map_err(|e| anyhow::anyhow!("fit.class_weight: {e}"))
                    .with_context(|| spec_origin(args))?,
            ),
            None => None,
        },
        ..FitOptions::default()
    };
    options.validation_data = validation.as_ref().map(|(x, y)| (*x, y.view()));
    let started = Instant::now();
    let history = fit(
        &spec,
        &mut model,
        (&data, &y),
        &options,
        &mut rng,
        &preprocessing,
        &args.out,
    )?;
    report_fit(started.elapsed(), &options, data.train.rows(), &history)?;
    if let Some(path) = &args.plot {
        plot::training_curves(&history, path)
            .with_context(|| format!("drawing {}", path.display()))?;
        outln!("wrote {}", path.display());
    }
    report_test(&model, &data)?;
    if let Some(raw) = data.raw_train() {
        let percentile = spec.threshold_percentile()?;
        preprocessing.task = Task::Anomaly {
            threshold: anomaly_threshold(&model, &preprocessing, raw, percentile)?,
        };
    }
    save(&model, args, &spec, &preprocessing, &data)
}

/// The spec file (or the built-in default), with the flags laid over it.
fn resolve_spec(args: &TrainArgs) -> Result<ModelSpec> {
    let mut spec = match (&args.spec, &args.data) {
        (Some(path), _) => ModelSpec::load(path)?,
        (None, Some(_)) => ModelSpec::from_toml(CSV_SPEC, "the built-in CSV spec")?,
        (None, None) => ModelSpec::from_toml(SEED_SPEC, "examples/seed.toml")?,
    };
    if let Some(path) = &args.data {
        spec.data.path = Some(path.clone());
        spec.data.generator = None;
    } else if spec.data.generator.is_some() {
        // The flags only make sense for a CSV file: refused, not silently ignored.
        for (flag, given) in [
            ("--label", args.label.is_some()),
            ("--features", args.features.is_some()),
            ("--validation-data", args.validation_data.is_some()),
        ] {
            anyhow::ensure!(
                !given,
                "{flag} needs --data FILE.csv (the samples come from the seed generator here)"
            );
        }
    }
    override_opt(&mut spec.data.label, &args.label);
    override_opt(&mut spec.task, &args.task);
    override_opt(&mut spec.data.features, &args.features);
    override_opt(&mut spec.data.validation_data, &args.validation_data);
    override_opt(&mut spec.initial_weights, &args.initial_weights);
    override_val(&mut spec.fit.validation_split, args.validation_split);
    override_val(&mut spec.fit.test_split, args.test_split);
    override_val(&mut spec.fit.epochs, args.epochs);
    override_val(&mut spec.fit.batch_size, args.batch_size);
    override_val(&mut spec.fit.seed, args.seed);
    if let Some(name) = &args.class_weight {
        spec.fit.class_weight = Some(ClassWeightSpec::Name(name.clone()));
    }
    if let Some(name) = &args.optimizer {
        spec.compile.optimizer = OptimizerSpec::named(name);
    }
    if let Some(lr) = args.learning_rate {
        spec.compile.optimizer.0.learning_rate = Some(lr);
    }
    if args.quantize || args.calibration.is_some() || args.int8_out.is_some() || args.int8_only {
        let q = spec.quantize.get_or_insert_with(QuantizeSpec::default);
        override_opt(&mut q.calibration, &args.calibration);
        if args.int8_out.is_some() {
            override_opt(&mut q.out, &args.int8_out);
            q.replace_float = false;
        }
        if args.int8_only {
            q.replace_float = true;
            q.out = None;
        }
    }
    match &args.layers {
        Some(widths) => train_data::replace_hidden_layers(&mut spec, widths)?,
        // The built-in CSV spec's output follows the task: linear for regression and anomaly.
        None if args.spec.is_none() && args.data.is_some() => {
            train_data::replace_hidden_layers(&mut spec, &[16, 8])?
        }
        None => {}
    }
    spec.compile
        .optimizer
        .build()
        .context("--optimizer / --learning-rate")?;
    spec.check().with_context(|| spec_origin(args))?;
    Ok(spec)
}

/// Before any work: `--out`, `--plot` and the checkpoint can be written (their directories
/// exist, they are regular files or absent, `--plot` ends in `.png`), none of them is an input
/// file, and the checkpoint is not `--out` (the final weights would overwrite the best ones).
fn check_outputs(args: &TrainArgs, spec: &ModelSpec) -> Result<()> {
    let mut inputs: Vec<&Path> = Vec::new();
    inputs.extend(spec.data.path.as_deref());
    inputs.extend(spec.data.validation_data.as_deref());
    inputs.extend(args.spec.as_deref());
    let calibration = spec
        .quantize
        .as_ref()
        .and_then(|q| q.calibration.as_deref());
    inputs.extend(calibration);
    let out = dendrite_trainer::export::check_output(&args.out, &inputs).context("--out")?;
    inputs.push(&args.out);
    if let Some(int8) = int8_path(args, spec) {
        if !spec.quantize.as_ref().is_some_and(|q| q.replace_float) {
            anyhow::ensure!(
                normal(&int8) != normal(&out),
                "{}: the int8 model would overwrite the f32 one at --out; give --int8-only to \
                 write only the int8 model there, or another --int8-out",
                int8.display()
            );
            dendrite_trainer::export::check_output(&int8, &inputs).context("the int8 model")?;
        }
    }
    if let Some(plot) = &args.plot {
        check_png(plot, "--plot")?;
        dendrite_trainer::export::check_output(plot, &inputs).context("--plot")?;
    }
    if let Some(c) = &spec.callbacks.model_checkpoint {
        anyhow::ensure!(
            normal(&c.path) != normal(&out),
            "callbacks.model_checkpoint.path: {} is also --out: the final weights would overwrite \
             the best epoch's; give the checkpoint another path",
            c.path.display()
        );
        dendrite_trainer::export::check_output(&c.path, &inputs[..inputs.len() - 1])
            .context("callbacks.model_checkpoint.path")?;
    }
    Ok(())
}

/// Where the int8 model goes, when the spec quantizes: `--out` itself (`replace_float`), the
/// spec's `quantize.out`, or `--out` with `.int8` before its extension.
fn int8_path(args: &TrainArgs, spec: &ModelSpec) -> Option<PathBuf> {
    let q = spec.quantize.as_ref()?;
    if q.replace_float {
        return Some(args.out.clone());
    }
    if let Some(out) = &q.out {
        return Some(out.clone());
    }
    let stem = args.out.file_stem().unwrap_or_default().to_string_lossy();
    let name = match args.out.extension() {
        Some(ext) => format!("{stem}.int8.{}", ext.to_string_lossy()),
        None => format!("{stem}.int8"),
    };
    Some(args.out.with_file_name(name))
}

/// `path` with its directory made absolute and links resolved, the file name kept: two
/// spellings of one output path compare equal even before the file exists.
fn normal(path: &Path) -> std::path::PathBuf {
    let resolved = std::fs::canonicalize(path).ok();
    resolved.unwrap_or_else(|| {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        dir.join(path.file_name().unwrap_or_default())
    })
}

/// Plots are PNG files: any other extension is refused before training.
pub(super) fn check_png(path: &Path, flag: &str) -> Result<()> {
    let png = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    anyhow::ensure!(
        png,
        "{flag} {}: plots are PNG images: give a file name ending in .png",
        path.display()
    );
    Ok(())
}

fn task(s: &str) -> Result<TaskKind, String> {
    match s {
        "classification" => Ok(TaskKind::Classification),
        "regression" => Ok(TaskKind::Regression),
        "anomaly" => Ok(TaskKind::Anomaly),
        _ => Err(format!("`{s}`: give classification, regression or anomaly")),
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    dendrite_trainer::spec::check_fraction(v)?;
    Ok(v)
}

fn epochs(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if (1..=limits::MAX_EPOCHS).contains(&n) {
        Ok(n)
    } else {
        Err(format!("give 1 to {} epochs", limits::MAX_EPOCHS))
    }
}

fn batch_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: give a whole number of at least 1")),
    }
}

fn width(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=limits::MAX_WIDTH).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}`: every width is a whole number from 1 to {}",
            limits::MAX_WIDTH
        )),
    }
}

fn learning_rate(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("`{s}`: give a positive number, e.g. 0.001")),
    }
}

fn override_opt<T: Clone>(target: &mut Option<T>, flag: &Option<T>) {
    if flag.is_some() {
        target.clone_from(flag);
    }
}

fn override_val<T>(target: &mut T, flag: Option<T>) {
    if let Some(v) = flag {
        *target = v;
    }
}

fn spec_origin(args: &TrainArgs) -> String {
    match &args.spec {
        Some(p) => format!("model spec {}", p.display()),
        None => "the model".to_owned(),
    }
}

/// `fit` with the spec's callbacks, then their verdicts.
fn fit(
    spec: &ModelSpec,
    model: &mut Sequential,
    (data, y): (&Prepared, &ndarray::Array2<f32>),
    options: &FitOptions<'_>,
    rng: &mut dendrite_trainer::SeededRng,
    preprocessing: &Preprocessing,
    out: &std::path::Path,
) -> Result<History> {
    let cb = &spec.callbacks;
    let mut history = History::default();
    let mut early = cb.early_stopping.as_ref().map(|e| e.build()).transpose()?;
    let mut checkpoint = cb
        .model_checkpoint
        .as_ref()
        .map(|c| ModelCheckpoint::new(&c.path, &c.monitor, c.mode, preprocessing.clone()));
    let mut schedule = cb.learning_rate_schedule.map(LearningRateScheduler::new);
    let mut nan = TerminateOnNaN::default();
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut history, &mut nan];
    if let Some(s) = &mut schedule {
        callbacks.push(s);
    }
    if let Some(c) = &mut checkpoint {
        callbacks.push(c);
    }
    if let Some(e) = &mut early {
        callbacks.push(e);
    }
    model.fit_with_callbacks(data.train.x.view(), y.view(), options, rng, &mut callbacks)?;
    if let Some((epoch, step)) = nan.diverged {
        // The weights are not numbers any more: nothing is written, the model file on disk (if
        // any) stays as it was.
        anyhow::bail!(
            "training diverged: the loss became {} at epoch {}, batch {step}; lower the learning \
             rate (or standardize the data); {} was not written",
            nan.loss.unwrap_or(f64::NAN),
            epoch + 1,
            out.display()
        );
    }
    report_early_stopping(early.as_ref())?;
    if let Some(c) = checkpoint {
        anyhow::ensure!(!c.missing, "callbacks.model_checkpoint.monitor: not logged by fit (val_* needs validation_split or validation_data)");
        if let Some(e) = c.error {
            return Err(e).context("callbacks.model_checkpoint");
        }
        if let (Some(epoch), Some(best)) = (c.saved_epoch, c.best()) {
            outln!(
                "checkpoint: best model from epoch {} ({best:.4})",
                epoch + 1
            );
        }
    }
    Ok(history)
}

fn report_early_stopping(early: Option<&EarlyStopping>) -> Result<()> {
    let Some(e) = early else { return Ok(()) };
    anyhow::ensure!(!e.missing, "callbacks.early_stopping.monitor: not logged by fit (val_* needs validation_split or validation_data)");
    if let Some(epoch) = e.stopped_epoch {
        outln!("early stopping: stopped after epoch {}", epoch + 1);
    }
    if let Some(best) = e.best_epoch() {
        outln!("early stopping: best epoch {}", best + 1);
    }
    Ok(())
}

/// Prints the time spent in `fit` and the last epoch's results.
fn report_fit(
    fit_time: Duration,
    options: &FitOptions<'_>,
    rows: usize,
    history: &History,
) -> anyhow::Result<()> {
    let train_rows = match options.validation_data {
        Some(_) => rows,
        None => (rows as f64 * (1.0 - options.validation_split)).floor() as usize,
    };
    let epochs = history.epoch.len();
    let steps = epochs * train_rows.div_ceil(options.batch_size.clamp(1, train_rows.max(1)));
    outln!(
        "fit: {:.2} ms ({steps} steps, {:.2} µs/step)",
        fit_time.as_secs_f64() * 1e3,
        fit_time.as_secs_f64() * 1e6 / steps.max(1) as f64
    );
    let mut last: Vec<String> = Vec::new();
    for name in LOGGED {
        if let Some(v) = history.last(name) {
            last.push(format!("{} {v:.4}", name.replace('_', " ")));
        }
    }
    if !last.is_empty() {
        outln!("final epoch: {}", last.join(", "));
    }
    Ok(())
}

/// Evaluates on the held-out test rows, if any.
fn report_test(model: &Sequential, data: &Prepared) -> Result<()> {
    if let Some(test) = &data.test {
        let y = data.targets_of(Part::Test, model.output_dim())?;
        let logs = model.evaluate(test.x.view(), y.view(), 32)?;
        let scores: Vec<String> = LOGGED
            .iter()
            .filter(|n| !n.starts_with("val_"))
            .filter_map(|&n| logs.get(n).map(|v| format!("{n} {v:.4}")))
            .collect();
        outln!(
            "test ({} rows held out): {}",
            test.rows(),
            scores.join(", ")
        );
        if data.is_numeric() {
            outln!(
                "  (on the standardized targets; `dendrite evaluate` reports them in their units)"
            );
        }
    }
    Ok(())
}

/// The anomaly threshold: the `percentile`-th of the training rows' reconstruction errors, as
/// the exported model (dendrite-core's forward pass, the device's) computes them.
fn anomaly_threshold(
    model: &Sequential,
    preprocessing: &Preprocessing,
    raw_train: &ndarray::Array2<f32>,
    percentile: f64,
) -> Result<f32> {
    let bytes = model.to_model_bytes(preprocessing)?;
    let exported = HostModel::from_bytes(&bytes, Path::new("the trained model"))?;
    let errors = exported.reconstruction_errors(raw_train.view())?;
    let threshold = dendrite_trainer::regression::percentile(&errors, percentile);
    outln!(
        "anomaly threshold: {threshold:.6} (percentile {percentile} of {} training rows' reconstruction errors)",
        errors.len()
    );
    Ok(threshold)
}

fn verbosity(args: &TrainArgs) -> Verbosity {
    match (args.quiet, args.verbose) {
        (true, _) | (_, 0) => Verbosity::Silent,
        (_, 1) => Verbosity::ProgressBar,
        _ => Verbosity::OneLinePerEpoch,
    }
}

/// Writes the model file and reads it back; for the seed tutorial, predicts [0, 0, 0] with
/// dendrite-core's forward pass: the very numbers the firmware will print. With `[quantize]`,
/// quantizes the model as written and writes the int8 model file too (or instead).
fn save(
    model: &Sequential,
    args: &TrainArgs,
    spec: &ModelSpec,
    preprocessing: &Preprocessing,
    data: &Prepared,
) -> Result<()> {
    let int8_out = int8_path(args, spec);
    let replace = spec.quantize.as_ref().is_some_and(|q| q.replace_float);
    let exported = if replace {
        let bytes = model.to_model_bytes(preprocessing)?;
        HostModel::from_bytes(&bytes, &args.out)?
    } else {
        model
            .save(&args.out, preprocessing)
            .with_context(|| format!("writing the model to {}", args.out.display()))?;
        let exported = HostModel::load(&args.out)?;
        outln!(
            "wrote {} ({} bytes, CRC-32 {:#010x})",
            args.out.display(),
            exported.file_len(),
            exported.crc()
        );
        exported
    };
    if data.is_seed && exported.input() == 3 && exported.labels().len() == 2 {
        let p = exported.predict(&[0.0, 0.0, 0.0])?;
        let labels = exported.labels();
        let class = exported
            .class_of(&p)
            .and_then(|c| labels.get(c))
            .map_or("?", String::as_str);
        outln!(
            "prediction for [0, 0, 0]: {} {:.4}, {} {:.4} -> {class}",
            labels[0],
            p[0],
            labels[1],
            p[1]
        );
    }
    if let (Some(q), Some(out)) = (&spec.quantize, int8_out) {
        quantize_trained(&exported, args, spec, q, data, &out)?;
    }
    Ok(())
}

/// `[quantize]`: the trained model quantized with TFLite's scheme, the report `dendrite
/// quantize` prints (float against int8 on the calibration rows and the held-out test rows),
/// and the int8 model file.
fn quantize_trained(
    float: &HostModel,
    args: &TrainArgs,
    spec: &ModelSpec,
    q: &QuantizeSpec,
    data: &Prepared,
    out: &Path,
) -> Result<()> {
    let Some((raw_train, raw_test)) = &data.raw_inputs else {
        anyhow::bail!("the training rows were not kept for quantization");
    };
    let classifies = spec.task() == TaskKind::Classification;
    // What the report scores against: the classes, or a regression's targets in their units.
    let labels = |d: &dendrite_trainer::data::Dataset, part: Part| {
        if classifies {
            return Some(super::int8::Known::Classes(
                d.labels.iter().map(|&l| l as usize).collect(),
            ));
        }
        data.regression_targets(part)
            .map(super::int8::Known::Targets)
    };
    // A separate calibration file is scored like the training rows: by class, or by a
    // regression's target columns.
    let label = spec
        .data
        .label
        .as_deref()
        .filter(|_| classifies || spec.task() == TaskKind::Regression);
    let calibration = match &q.calibration {
        Some(path) => super::int8::Rows::read(float, path, label)?,
        None => super::int8::Rows {
            x: raw_train.iter().copied().collect(),
            known: labels(&data.train, Part::Train),
        },
    };
    let test = match (raw_test, &data.test) {
        (Some(x), Some(t)) => Some(super::int8::Rows {
            x: x.iter().copied().collect(),
            known: labels(t, Part::Test),
        }),
        _ => None,
    };
    let (int8, report) =
        super::int8::quantize_and_compare(float, &args.out, &calibration, test.as_ref())?;
    outln!(
        "int8 quantization ({}):",
        match &q.calibration {
            Some(path) => format!("calibrated on {}", path.display()),
            None => "calibrated on the training rows".to_owned(),
        }
    );
    report.print(false)?;
    let mut bytes = int8.to_model_file(float)?;
    if let Some(raw) = data.raw_train() {
        // An anomaly detector's threshold: the same percentile of the training rows'
        // reconstruction errors, as the int8 model computes them.
        let percentile = spec.threshold_percentile()?;
        let errors = HostModel::from_bytes(&bytes, out)?.reconstruction_errors(raw.view())?;
        let threshold = dendrite_trainer::regression::percentile(&errors, percentile);
        outln!(
            "int8 anomaly threshold: {threshold:.6} (percentile {percentile} of the int8 model's \
             reconstruction errors)"
        );
        bytes = int8.to_model_file_with_threshold(float, Some(threshold))?;
    }
    dendrite_trainer::export::write_atomically(out, &bytes)
        .with_context(|| format!("writing the int8 model to {}", out.display()))?;
    let written = HostModel::load(out)?;
    outln!(
        "wrote {} (int8, {} bytes, CRC-32 {:#010x})",
        out.display(),
        written.file_len(),
        written.crc()
    );
    Ok(())
}
