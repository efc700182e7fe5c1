//! `dendrite predict --data FILE.csv`: every row of a CSV file through a model file, with
//! dendrite-core's forward pass, written as CSV.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use dendrite_trainer::evaluation::{class_names, predicted_class};
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One row's prediction in the JSON form.
#[derive(Debug, Serialize)]
struct RowPrediction<'a> {
    row: usize,
    outputs: Vec<f32>,
    class: usize,
    label: &'a str,
}

/// Writes one line per row of `data`: `row`, one column per output (`p_<class>`; outputs
/// printed with the shortest decimals that round-trip the f32), the predicted `class` name;
/// with `json`, a JSON array of `{row, outputs, class, label}` objects instead.
/// `out`: a file, or standard output when `None`.
pub fn run(
    model_path: &Path,
    data: &Path,
    label: Option<&str>,
    features: Option<&[String]>,
    out: Option<&PathBuf>,
    json: bool,
) -> Result<()> {
    if let Some(path) = out {
        dendrite_trainer::export::check_output(path, &[data, model_path]).context("--out")?;
    }
    let model = HostModel::load(model_path)?;
    let samples = read_for_model(&model, data, label, features)?;
    if json {
        let classes = class_names(&model);
        let mut rows = Vec::with_capacity(samples.rows());
        for (i, row) in samples.x.rows().into_iter().enumerate() {
            let outputs = model
                .predict(&row.to_vec())
                .with_context(|| format!("running {}", model_path.display()))?;
            let class = predicted_class(&outputs);
            let label = classes.get(class).map_or("", String::as_str);
            rows.push(RowPrediction {
                row: i + 1,
                outputs,
                class,
                label,
            });
        }
        let mut text = serde_json::to_vec_pretty(&rows)?;
        text.push(b'\n');
        return emit(out, &text, samples.rows());
    }
    let classes = class_names(&model);
    let units = model.layers().last().map_or(0, |l| l.units);
    let mut text = Vec::with_capacity(samples.rows() * 16 * (units + 2));
    let outputs: Vec<String> = match units {
        1 => vec![format!("p_{}", classes.get(1).map_or("1", String::as_str))],
        _ => classes
            .iter()
            .take(units)
            .map(|c| format!("p_{c}"))
            .collect(),
    };
    writeln!(text, "row,{},class", outputs.join(","))?;
    for (i, row) in samples.x.rows().into_iter().enumerate() {
        let p = model
            .predict(&row.to_vec())
            .with_context(|| format!("running {}", model_path.display()))?;
        let cells: Vec<String> = p.iter().map(f32::to_string).collect();
        let class = predicted_class(&p);
        let name = classes
            .get(class)
            .map_or_else(|| class.to_string(), Clone::clone);
        writeln!(text, "{},{},{}", i + 1, cells.join(","), csv_field(&name))?;
    }
    emit(out, &text, samples.rows())
}

/// Writes `text` to `out` (atomically) or to standard output.
fn emit(out: Option<&PathBuf>, text: &[u8], rows: usize) -> Result<()> {
    match out {
        Some(path) => {
            dendrite_trainer::export::write_atomically(path, text)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} ({rows} predictions)", path.display());
        }
        None => std::io::stdout().write_all(text)?,
    }
    Ok(())
}

/// Quotes a class name that holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
