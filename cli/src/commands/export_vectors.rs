//! `dendrite export-vectors`: inputs and the host's expected outputs, bit for bit, for replay
//! on a device.
//!
//! # Format (version 1, stable)
//!
//! Every number is an IEEE 754 binary32 bit pattern, so nothing is lost to decimal printing.
//!
//! CSV (any `--out` not ending in `.json`): a header line
//! `input_0,…,input_{n-1},output_0,…,output_{m-1},class`, then one line per sample: the raw
//! (unstandardized) inputs and the outputs of dendrite-core's forward pass as `0x` followed by
//! 8 lowercase hex digits (`f32::to_bits`), and the predicted class index in decimal.
//!
//! JSON (`--out` ending in `.json`): `{"format": "dendrite-test-vectors", "version": 1,
//! "model": FILE, "model_crc32": "0x…", "inputs": n, "outputs": m, "classes": [names],
//! "vectors": [{"input": [u32 bits…], "output": [u32 bits…], "class": k}, …]}`.
//!
//! A device replays a vector by sending `f32::from_bits` of the inputs to the model and
//! comparing the bits of what comes back with `output`: equality, not tolerance.

use super::model_data::read_for_model;
use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::evaluation::class_names;
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ExportVectorsArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// CSV file with a header line: raw features (and optionally a label column, left out).
    #[arg(long)]
    data: PathBuf,
    /// A column to leave out of the inputs (the label), if the file has one.
    #[arg(long)]
    label: Option<String>,
    /// Feature columns, comma-separated, in the model's input order (default: the model's
    /// feature names, in any column order; all but the label for a model without names).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Where to write: `.json` for JSON, anything else for CSV.
    #[arg(long, default_value = "vectors.csv")]
    out: PathBuf,
}

/// The JSON form of the vectors.
#[derive(Debug, Serialize)]
struct Vectors<'a> {
    format: &'static str,
    version: u32,
    model: &'a Path,
    model_crc32: String,
    inputs: usize,
    outputs: usize,
    classes: Vec<String>,
    vectors: Vec<Vector>,
}

#[derive(Debug, Serialize)]
struct Vector {
    input: Vec<u32>,
    output: Vec<u32>,
    /// The class by dendrite-core's rule; none for a regression or anomaly model.
    class: Option<usize>,
}

pub fn run(args: &ExportVectorsArgs) -> Result<()> {
    dendrite_trainer::export::check_output(&args.out, &[&args.data, &args.model])
        .context("--out")?;
    let model = HostModel::load(&args.model)?;
    let data = read_for_model(
        &model,
        &args.data,
        args.label.as_deref(),
        args.features.as_deref(),
    )?;
    let mut vectors = Vec::with_capacity(data.rows());
    for row in data.x.rows() {
        let input: Vec<f32> = row.to_vec();
        let output = model.predict(&input)?;
        vectors.push(Vector {
            input: input.iter().map(|v| v.to_bits()).collect(),
            class: model.class_of(&output),
            output: output.iter().map(|v| v.to_bits()).collect(),
        });
    }
    let outputs = vectors.first().map_or(0, |v| v.output.len());
    let is_json = args.out.extension().is_some_and(|e| e == "json");
    let bytes = if is_json {
        let doc = Vectors {
            format: "dendrite-test-vectors",
            version: 1,
            model: &args.model,
            model_crc32: format!("{:#010x}", model.crc()),
            inputs: model.input(),
            outputs,
            classes: class_names(&model),
            vectors,
        };
        let mut text = serde_json::to_vec_pretty(&doc)?;
        text.push(b'\n');
        text
    } else {
        to_csv(&vectors, model.input(), outputs)?
    };
    dendrite_trainer::export::write_atomically(&args.out, &bytes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    outln!("wrote {} ({} vectors)", args.out.display(), data.rows());
    Ok(())
}

fn to_csv(vectors: &[Vector], inputs: usize, outputs: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let names: Vec<String> = (0..inputs)
        .map(|i| format!("input_{i}"))
        .chain((0..outputs).map(|i| format!("output_{i}")))
        .chain(["class".to_owned()])
        .collect();
    writeln!(out, "{}", names.join(","))?;
    for v in vectors {
        let cells: Vec<String> = v
            .input
            .iter()
            .chain(&v.output)
            .map(|b| format!("{b:#010x}"))
            .collect();
        let class = v.class.map_or_else(String::new, |c| c.to_string());
        writeln!(out, "{},{class}", cells.join(","))?;
    }
    Ok(out)
}
