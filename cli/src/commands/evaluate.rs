//! `dendrite evaluate`: a model file against labelled samples, with dendrite-core's forward
//! pass: loss, accuracy, per-class precision, recall and F1, and the confusion matrix; for a
//! two-class model the positive (second) class's precision and recall and the ROC AUC.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use clap::Args;
use dendrite_core::format::Task;
use dendrite_trainer::evaluation::{evaluate, Evaluation};
use dendrite_trainer::regression::{
    evaluate_anomaly, evaluate_regression, predict_values, target_names,
};
use dendrite_trainer::{plot, HostModel};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// CSV file with a header line: raw features and the label column.
    #[arg(long)]
    data: PathBuf,
    /// The column holding the classes (names or integers, as in training); for a regression
    /// model the target columns (default: the model's target names); for an anomaly detector an
    /// optional column marking anomalous rows (1 or true).
    #[arg(long)]
    label: Option<String>,
    /// Feature columns, comma-separated, in the model's input order (default: the model's
    /// feature names, in any column order; all but the label for a model without names).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Draw into this PNG file: a classifier's confusion matrix; for a regression model the
    /// predicted values against the true ones with the diagonal (left) and the residuals,
    /// predicted minus true, against the true values (right).
    #[arg(long)]
    plot: Option<PathBuf>,
}

pub fn run(args: &EvaluateArgs) -> Result<()> {
    if let Some(plot) = &args.plot {
        super::train::check_png(plot, "--plot")?;
        dendrite_trainer::export::check_output(plot, &[&args.data, &args.model])
            .context("--plot")?;
    }
    let model = HostModel::load(&args.model)?;
    match model.task() {
        Task::Regression { .. } => return regression(args, &model),
        Task::Anomaly { .. } => {
            anyhow::ensure!(
                args.plot.is_none(),
                "--plot draws a classifier's or a regression model's results; {} detects \
                 anomalies, which have no plot",
                args.model.display()
            );
            return anomaly(args, &model);
        }
        Task::Classification => {}
    }
    let label = args.label.as_deref().with_context(|| {
        format!(
            "{}: which column holds the classes? give --label COLUMN",
            args.data.display()
        )
    })?;
    let data = read_for_model(&model, &args.data, Some(label), args.features.as_deref())?;
    let report = evaluate(&model, data.x.view(), &data.labels)
        .with_context(|| format!("running {}", args.model.display()))?;
    if let Some(path) = &args.plot {
        plot::confusion_matrix(&report.confusion, &report.classes, path)?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report)?;
        if let Some(path) = &args.plot {
            outln!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn print_text(e: &Evaluation) -> anyhow::Result<()> {
    outln!("samples:   {}", e.samples);
    outln!("loss:      {:.4}", e.loss);
    outln!("accuracy:  {:.4}", e.accuracy);
    // Widths are capped: a longer name just pushes its own line out, instead of padding every
    // line (or overflowing the formatter's width).
    let width = e
        .classes
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(5)
        .clamp(9, 40);
    outln!();
    outln!("{:<width$}  precision  recall      f1  support", "class");
    for c in &e.per_class {
        let s = c.scores;
        outln!(
            "{:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
            c.class,
            s.precision,
            s.recall,
            s.f1,
            c.support
        );
    }
    let m = e.macro_avg;
    outln!(
        "{:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
        "macro avg",
        m.precision,
        m.recall,
        m.f1,
        e.samples
    );
    if let Some(b) = &e.binary {
        outln!();
        outln!("positive class: {} (the second class)", b.positive);
        outln!("precision:  {:.4}", b.precision);
        outln!("recall:     {:.4}", b.recall);
        match b.roc_auc {
            Some(auc) => outln!("roc auc:    {auc:.4}"),
            None => outln!("roc auc:    undefined (the samples hold one class only)"),
        }
    }
    outln!();
    outln!("confusion matrix (rows: true class, columns: predicted class)");
    let cell = e
        .classes
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(1)
        .clamp(6, 40);
    let header: Vec<String> = e.classes.iter().map(|c| format!("{c:>cell$}")).collect();
    outln!("{:<width$}  {}", "", header.join(" "));
    for (name, row) in e.classes.iter().zip(&e.confusion) {
        let counts: Vec<String> = row.iter().map(|n| format!("{n:>cell$}")).collect();
        outln!("{name:<width$}  {}", counts.join(" "));
    }
    Ok(())
}

/// A regression model against the target columns: MAE, RMSE and R² per target, in its units.
fn regression(args: &EvaluateArgs, model: &HostModel) -> Result<()> {
    let targets: Vec<String> = match &args.label {
        Some(label) => label.split(',').map(|c| c.trim().to_owned()).collect(),
        None => target_names(model),
    };
    let mut data = read_numeric_for_model(model, args, &targets)?;
    let y = data.take_columns(&targets, &args.data)?;
    check_width(model, args, &data)?;
    let report = evaluate_regression(model, data.x.view(), y.view())
        .with_context(|| format!("running {}", args.model.display()))?;
    if let Some(path) = &args.plot {
        let predicted = predict_values(model, data.x.view())
            .with_context(|| format!("running {}", args.model.display()))?;
        let names: Vec<String> = report.targets.iter().map(|t| t.target.clone()).collect();
        plot::regression(y.view(), predicted.view(), &names, path)?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("samples:   {}", report.samples);
    outln!("mse:       {:.6}", report.mse);
    outln!();
    outln!("{:<12} {:>12} {:>12} {:>9}", "target", "mae", "rmse", "r2");
    for t in &report.targets {
        let name: String = t.target.chars().take(40).collect();
        outln!("{name:<12} {:>12.6} {:>12.6} {:>9.4}", t.mae, t.rmse, t.r2);
    }
    if let Some(path) = &args.plot {
        outln!("wrote {}", path.display());
    }
    Ok(())
}

/// An anomaly detector: its reconstruction errors against the stored threshold, and with a
/// --label column marking anomalous rows, the flag's precision and recall.
fn anomaly(args: &EvaluateArgs, model: &HostModel) -> Result<()> {
    let label: Vec<String> = args.label.iter().cloned().collect();
    let mut data = read_numeric_for_model(model, args, &label)?;
    let truth = match label.is_empty() {
        true => None,
        false => {
            let y = data.take_columns(&label, &args.data)?;
            Some(y.column(0).iter().map(|&v| v != 0.0).collect::<Vec<bool>>())
        }
    };
    check_width(model, args, &data)?;
    let report = evaluate_anomaly(model, data.x.view(), truth.as_deref())
        .with_context(|| format!("running {}", args.model.display()))?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("samples:    {}", report.samples);
    outln!(
        "threshold:  {:.6} (reconstruction error above it is an anomaly)",
        report.threshold
    );
    outln!("mean error: {:.6}", report.mean_error);
    outln!("flagged:    {} of {}", report.flagged, report.samples);
    if let (Some(p), Some(r)) = (report.precision, report.recall) {
        outln!("precision:  {p:.4}");
        outln!("recall:     {r:.4}");
    }
    Ok(())
}

/// Reads every column as numbers: the model's features (by name when it has them) and `extra`.
fn read_numeric_for_model(
    model: &HostModel,
    args: &EvaluateArgs,
    extra: &[String],
) -> Result<dendrite_trainer::data::Dataset> {
    super::model_data::read_numeric(model, &args.data, args.features.as_deref(), extra)
}

fn check_width(
    model: &HostModel,
    args: &EvaluateArgs,
    data: &dendrite_trainer::data::Dataset,
) -> Result<()> {
    anyhow::ensure!(
        data.x.ncols() == model.input(),
        "{}: {} feature columns ({}), but the model takes {} inputs: pick them with --features",
        args.data.display(),
        data.x.ncols(),
        data.features.join(", "),
        model.input()
    );
    Ok(())
}
