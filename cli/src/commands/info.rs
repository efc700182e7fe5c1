//! `dendrite info`: what a model file holds.

use anyhow::Result;
use clap::Args;
use dendrite_core::format::Task;
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The model file.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Info {
    file: PathBuf,
    architecture: String,
    input: usize,
    layers: Vec<LayerInfo>,
    params: usize,
    /// `classification`, `regression` or `anomaly`.
    task: &'static str,
    features: Vec<String>,
    labels: Vec<String>,
    /// The anomaly threshold, for an autoencoder.
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f32>,
    mean: Vec<f32>,
    std: Vec<f32>,
    file_size: usize,
    crc32: String,
}

#[derive(Debug, Serialize)]
struct LayerInfo {
    name: String,
    units: usize,
    activation: &'static str,
    params: usize,
}

pub fn run(args: &InfoArgs) -> Result<()> {
    let model = HostModel::load(&args.file)?;
    let info = describe(&model, args.file.clone());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print_text(&info);
    }
    Ok(())
}

fn describe(model: &HostModel, file: PathBuf) -> Info {
    let mut fan_in = model.input();
    let layers = model
        .layers()
        .iter()
        .map(|l| {
            let params = (fan_in + 1) * l.units;
            fan_in = l.units;
            LayerInfo {
                name: l.name.clone(),
                units: l.units,
                activation: l.activation.name(),
                params,
            }
        })
        .collect();
    let (mean, std) = model.standardization();
    Info {
        file,
        architecture: model.architecture().to_string(),
        input: model.input(),
        layers,
        params: model.param_count(),
        task: model.task().name(),
        features: model.features().to_vec(),
        labels: model.labels().to_vec(),
        threshold: match model.task() {
            Task::Anomaly { threshold } => Some(*threshold),
            _ => None,
        },
        mean: mean.to_vec(),
        std: std.to_vec(),
        file_size: model.file_len(),
        crc32: format!("{:#010x}", model.crc()),
    }
}

fn print_text(info: &Info) {
    println!("file:          {}", info.file.display());
    println!("architecture:  {}", info.architecture);
    for l in &info.layers {
        println!(
            "  {:<12} {:>5} units  {:<8} {:>6} params",
            l.name, l.units, l.activation, l.params
        );
    }
    println!("parameters:    {}", info.params);
    println!("task:          {}", info.task);
    if !info.features.is_empty() {
        println!("features:      {}", info.features.join(", "));
    }
    if !info.labels.is_empty() {
        let what = if info.task == "regression" {
            "targets:  "
        } else {
            "classes:  "
        };
        println!("{what}     {}", info.labels.join(", "));
    }
    if let Some(threshold) = info.threshold {
        println!("threshold:     {threshold} (reconstruction error above it is an anomaly)");
    }
    println!("standardize:   mean {:?}, std {:?}", info.mean, info.std);
    println!("file size:     {} bytes", info.file_size);
    println!("CRC-32:        {}", info.crc32);
}
