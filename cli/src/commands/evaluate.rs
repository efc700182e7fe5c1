//! `dendrite evaluate`: a model file against labelled samples, with dendrite-core's forward
//! pass: loss, accuracy, per-class precision, recall and F1, and the confusion matrix.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::evaluation::{evaluate, Evaluation};
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
    /// The column holding the classes (names or integers, as in training).
    #[arg(long)]
    label: String,
    /// Feature columns, comma-separated, in the model's input order (default: the model's
    /// feature names, in any column order; all but the label for a model without names).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Draw the confusion matrix into this PNG file.
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
    let data = read_for_model(
        &model,
        &args.data,
        Some(&args.label),
        args.features.as_deref(),
    )?;
    let report = evaluate(&model, data.x.view(), &data.labels)
        .with_context(|| format!("running {}", args.model.display()))?;
    if let Some(path) = &args.plot {
        plot::confusion_matrix(&report.confusion, &report.classes, path)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
        if let Some(path) = &args.plot {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn print_text(e: &Evaluation) {
    println!("samples:   {}", e.samples);
    println!("loss:      {:.4}", e.loss);
    println!("accuracy:  {:.4}", e.accuracy);
    // Widths are capped: a longer name just pushes its own line out, instead of padding every
    // line (or overflowing the formatter's width).
    let width = e
        .classes
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(5)
        .clamp(9, 40);
    println!();
    println!("{:<width$}  precision  recall      f1  support", "class");
    for c in &e.per_class {
        let s = c.scores;
        println!(
            "{:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
            c.class, s.precision, s.recall, s.f1, c.support
        );
    }
    let m = e.macro_avg;
    println!(
        "{:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
        "macro avg", m.precision, m.recall, m.f1, e.samples
    );
    println!();
    println!("confusion matrix (rows: true class, columns: predicted class)");
    let cell = e
        .classes
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(1)
        .clamp(6, 40);
    let header: Vec<String> = e.classes.iter().map(|c| format!("{c:>cell$}")).collect();
    println!("{:<width$}  {}", "", header.join(" "));
    for (name, row) in e.classes.iter().zip(&e.confusion) {
        let counts: Vec<String> = row.iter().map(|n| format!("{n:>cell$}")).collect();
        println!("{name:<width$}  {}", counts.join(" "));
    }
}
