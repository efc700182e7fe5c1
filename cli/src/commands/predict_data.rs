//! `dendrite predict --data FILE.csv`: every row of a CSV file through a model file, with
//! dendrite-core's forward pass, written as CSV.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use dendrite_trainer::evaluation::class_names;
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One row's prediction in the JSON form.
#[derive(Debug, Serialize)]
struct RowPrediction<'a> {
    row: usize,
    outputs: Vec<f32>,
    /// For a regression model, the outputs in the targets' units.
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Vec<f32>>,
    /// The class, for a classifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    class: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    /// An int8 model's raw int8 outputs (`outputs` dequantized).
    #[serde(skip_serializing_if = "Option::is_none")]
    quantized_outputs: Option<Vec<i8>>,
}

/// Writes one line per row of `data`: `row`, one column per output (`p_<class>`; outputs
/// printed with the shortest decimals that round-trip the f32), the predicted `class` name;
/// with `json`, a JSON array of `{row, outputs, class, label}` objects instead (and an int8
/// model's `quantized_outputs`).
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
            let row = row.to_vec();
            let outputs = model
                .predict(&row)
                .with_context(|| format!("running {}", model_path.display()))?;
            let quantized_outputs = model.predict_quantized(&row)?;
            let class = model.class_of(&outputs);
            let label = class.and_then(|c| classes.get(c)).map(String::as_str);
            let values = (model.class_of(&outputs).is_none()).then(|| model.values(&outputs));
            rows.push(RowPrediction {
                row: i + 1,
                outputs,
                values,
                class,
                label,
                quantized_outputs,
            });
        }
        let mut text = serde_json::to_vec_pretty(&rows)?;
        text.push(b'\n');
        return emit(out, &text, samples.rows());
    }
    let classes = class_names(&model);
    let units = model.layers().last().map_or(0, |l| l.units);
    let mut text = Vec::with_capacity(samples.rows() * 16 * (units + 2));
    let classifies = model.class_of(&[]).is_some();
    let outputs: Vec<String> = match units {
        _ if !classifies => (0..units)
            .map(|i| {
                model
                    .labels()
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("y_{i}"))
            })
            .collect(),
        1 => vec![format!("p_{}", classes.get(1).map_or("1", String::as_str))],
        _ => classes
            .iter()
            .take(units)
            .map(|c| format!("p_{c}"))
            .collect(),
    };
    if classifies {
        writeln!(text, "row,{},class", outputs.join(","))?;
    } else {
        writeln!(text, "row,{}", outputs.join(","))?;
    }
    for (i, row) in samples.x.rows().into_iter().enumerate() {
        let p = model
            .predict(&row.to_vec())
            .with_context(|| format!("running {}", model_path.display()))?;
        let cells: Vec<String> = model.values(&p).iter().map(f32::to_string).collect();
        match model.class_of(&p) {
            Some(class) => {
                let name = classes
                    .get(class)
                    .map_or_else(|| class.to_string(), Clone::clone);
                writeln!(text, "{},{},{}", i + 1, cells.join(","), csv_field(&name))?;
            }
            None => writeln!(text, "{},{}", i + 1, cells.join(","))?,
        }
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
        None => std::io::stdout()
            .write_all(text)
            .map_err(super::stdout_error)?,
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
