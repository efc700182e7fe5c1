//! `cargo xtask bench [--peers] [--reps N] [--w2-samples N] [--only W1,W2,W3]`: Dendrite's
//! host workloads (W1–W3) in fresh processes, with `--peers` alternated with Keras 3 and
//! PyTorch (`bench/peers/run.py`, in a virtual environment it creates when missing); medians
//! and ratios go into the host section of `BENCHMARKS.md`. Never part of CI: the figures need an
//! idle machine.

use crate::shell::{cargo, root, run};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The host section of BENCHMARKS.md lies between these lines; the rest of the file is kept.
const BEGIN: &str = "<!-- host benchmarks: written by `cargo xtask bench --peers` -->";
const END: &str = "<!-- end of host benchmarks -->";

/// One figure: (workload label as run.py names it, metric key, higher is better).
const FIGURES: &[(&str, &str, &str, bool)] = &[
    ("W1 tutorial fit", "fit_s", "W1 `fit`, 10 epochs (s)", false),
    (
        "W1 tutorial fit",
        "process_wall_s",
        "W1 whole process (s)",
        false,
    ),
    (
        "W2 3-64-64-2 batch 256",
        "samples_per_s",
        "W2 3-64-64-2, batch 256 (samples/s)",
        true,
    ),
    (
        "W2 3-4-2 batch 256",
        "samples_per_s",
        "W2 3-4-2, batch 256 (samples/s)",
        true,
    ),
    (
        "W2 3-4-2 batch 8",
        "samples_per_s",
        "W2 3-4-2, batch 8 (samples/s)",
        true,
    ),
    (
        "W3 inference",
        "one_best_median_s",
        "W3 one-sample predict (s)",
        false,
    ),
    (
        "W3 inference",
        "batch_best_samples_per_s",
        "W3 batch of 100,000 (samples/s)",
        true,
    ),
];

/// Dendrite's jobs: (label, arguments of the `bench_workloads` example).
const OURS: &[(&str, &str, &[&str])] = &[
    ("W1 tutorial fit", "W1", &["w1"]),
    (
        "W2 3-64-64-2 batch 256",
        "W2",
        &["w2", "--net", "3-64-64-2", "--batch", "256"],
    ),
    (
        "W2 3-4-2 batch 256",
        "W2",
        &["w2", "--net", "3-4-2", "--batch", "256"],
    ),
    (
        "W2 3-4-2 batch 8",
        "W2",
        &["w2", "--net", "3-4-2", "--batch", "8"],
    ),
    ("W3 inference", "W3", &["w3"]),
];

struct Options {
    peers: bool,
    reps: usize,
    w2_samples: usize,
    only: Vec<String>,
}

/// Every run of every (label, framework): the flattened numeric results.
type Runs = BTreeMap<(String, String), Vec<BTreeMap<String, f64>>>;

/// The `bench` verb.
pub fn run_verb(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--device") {
        return device();
    }
    let options = parse(args)?;
    let root = root();
    cargo(
        &root,
        &[
            "build",
            "--release",
            "-p",
            "dendrite-cli",
            "--bin",
            "dendrite",
        ],
    )?;
    cargo(
        &root,
        &[
            "build",
            "--release",
            "-p",
            "dendrite-trainer",
            "--example",
            "bench_workloads",
        ],
    )?;
    let python = if options.peers {
        Some(venv(&root)?)
    } else {
        None
    };
    let load_start = loadavg();
    let mut runs = Runs::new();
    for rep in 0..options.reps {
        eprintln!(
            "== repetition {}/{} (load {:.2})",
            rep + 1,
            options.reps,
            loadavg()
        );
        // Alternate who goes first, so neither side always runs on a warmer machine.
        let peers_first = rep % 2 == 1;
        if let (true, Some(py)) = (peers_first, &python) {
            peers(&root, py, &options, &mut runs)?;
        }
        ours(&root, &options, &mut runs)?;
        if let (false, Some(py)) = (peers_first, &python) {
            peers(&root, py, &options, &mut runs)?;
        }
    }
    let report = Report {
        runs,
        versions: versions(&root, python.as_deref())?,
        load: (load_start, loadavg()),
        options,
    };
    let table = report.markdown();
    println!("{table}");
    if report.options.peers {
        write_section(&root.join("BENCHMARKS.md"), &table)?;
        eprintln!("wrote the host section of BENCHMARKS.md");
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        peers: false,
        reps: 3,
        w2_samples: 1_000_000,
        only: vec!["W1".into(), "W2".into(), "W3".into()],
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--peers" => options.peers = true,
            "--reps" => options.reps = value()?.parse().context("--reps")?,
            "--w2-samples" => options.w2_samples = value()?.parse().context("--w2-samples")?,
            "--only" => options.only = value()?.split(',').map(|w| w.trim().to_uppercase()).collect(),
            other => bail!("bench: unknown option `{other}` (--peers, --reps N, --w2-samples N, --only W1,W2,W3)"),
        }
    }
    if options.reps == 0 {
        bail!("--reps: at least 1");
    }
    Ok(options)
}

/// The peers' interpreter, creating `bench/.venv` from `bench/requirements.txt` if needed.
fn venv(root: &Path) -> Result<PathBuf> {
    let python = root.join("bench/.venv/bin/python");
    if !python.exists() {
        let venv = root.join("bench/.venv");
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        let pip = root.join("bench/.venv/bin/pip");
        run(Command::new(pip)
            .args(["install", "-r"])
            .arg(root.join("bench/requirements.txt")))?;
    }
    Ok(python)
}

/// Dendrite's workloads, each in a fresh process, and W1's whole process timed from outside.
fn ours(root: &Path, options: &Options, runs: &mut Runs) -> Result<()> {
    let example = root.join("target/release/examples/bench_workloads");
    for (label, workload, args) in OURS {
        if !options.only.iter().any(|w| w == workload) {
            continue;
        }
        let mut cmd = Command::new(&example);
        cmd.args(*args);
        if *workload == "W2" {
            cmd.args(["--samples", &options.w2_samples.to_string()]);
        }
        let mut result = json_of(&mut cmd)?;
        if *workload == "W1" {
            result.insert("process_wall_s".into(), whole_process(root)?);
        }
        eprintln!("   dendrite {label}: {}", headline(label, &result));
        runs.entry((label.to_string(), "dendrite".into()))
            .or_default()
            .push(result);
    }
    Ok(())
}

/// Wall time of `dendrite train` with its defaults, from spawn to exit, in a scratch directory.
fn whole_process(root: &Path) -> Result<f64> {
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir).context("creating target/bench")?;
    let started = Instant::now();
    let output = Command::new(root.join("target/release/dendrite"))
        .arg("train")
        .current_dir(&dir)
        .output()
        .context("running dendrite train")?;
    let wall = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "dendrite train failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(wall)
}

/// One repetition of the peers through `bench/peers/run.py --reps 1`.
fn peers(root: &Path, python: &Path, options: &Options, runs: &mut Runs) -> Result<()> {
    let only: Vec<&str> = options
        .only
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "W4")
        .collect();
    let mut cmd = Command::new(python);
    cmd.arg(root.join("bench/peers/run.py"))
        .args(["--json", "--reps", "1", "--only", &only.join(",")])
        .args(["--w2-samples", &options.w2_samples.to_string()]);
    let doc: Value = serde_json::from_str(&stdout_of(&mut cmd)?).context("run.py --json")?;
    let peers = doc["peers"].as_object().context("run.py: no `peers`")?;
    for (label, by_framework) in peers {
        for (framework, figures) in by_framework.as_object().into_iter().flatten() {
            let median = flatten(&figures["median"]);
            eprintln!("   {framework} {label}: {}", headline(label, &median));
            runs.entry((label.clone(), framework.clone()))
                .or_default()
                .push(median);
        }
    }
    let path = root.join("target/bench/peers-versions.json");
    std::fs::create_dir_all(root.join("target/bench"))?;
    std::fs::write(&path, serde_json::to_string(&doc["versions"])?)?;
    Ok(())
}

fn stdout_of(cmd: &mut Command) -> Result<String> {
    let output = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
    if !output.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn json_of(cmd: &mut Command) -> Result<BTreeMap<String, f64>> {
    let text = stdout_of(cmd)?;
    let last = text.lines().last().unwrap_or_default();
    Ok(flatten(
        &serde_json::from_str(last).with_context(|| format!("JSON from {cmd:?}"))?,
    ))
}

/// The numeric leaves of a JSON object, keyed by dotted path.
fn flatten(value: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    fn walk(value: &Value, prefix: &str, out: &mut BTreeMap<String, f64>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(v, &key, out);
                }
            }
            Value::Number(n) => {
                out.insert(prefix.to_owned(), n.as_f64().unwrap_or(f64::NAN));
            }
            _ => {}
        }
    }
    walk(value, "", &mut out);
    out
}

fn headline(label: &str, result: &BTreeMap<String, f64>) -> String {
    FIGURES
        .iter()
        .filter(|(l, ..)| *l == label)
        .filter_map(|(_, key, ..)| result.get(*key).map(|v| format!("{key}={v:.4e}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Machine and tool versions for the report's header.
fn versions(root: &Path, python: Option<&Path>) -> Result<Vec<(String, String)>> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let rustc = stdout_of(Command::new("rustc").arg("--version").current_dir(root))?;
    let mut out = vec![
        ("CPU".into(), format!("{cpu}, {cores} logical CPUs")),
        ("rustc".into(), rustc.trim().to_owned()),
    ];
    if python.is_some() {
        let text = std::fs::read_to_string(root.join("target/bench/peers-versions.json"))?;
        let doc: Value = serde_json::from_str(&text)?;
        for key in ["keras", "tensorflow", "torch", "numpy", "python"] {
            let found = ["keras", "torch"]
                .iter()
                .find_map(|fw| doc[fw][key].as_str());
            if let Some(v) = found {
                out.push((key.into(), v.to_owned()));
            }
        }
    }
    Ok(out)
}

struct Report {
    runs: Runs,
    versions: Vec<(String, String)>,
    load: (f64, f64),
    options: Options,
}

impl Report {
    fn median(&self, label: &str, framework: &str, key: &str) -> Option<f64> {
        let runs = self.runs.get(&(label.to_owned(), framework.to_owned()))?;
        let mut values: Vec<f64> = runs.iter().filter_map(|r| r.get(key).copied()).collect();
        values.sort_by(f64::total_cmp);
        (!values.is_empty()).then(|| values[values.len() / 2])
    }

    /// The host section: header, then one row per figure with medians and our speed-up.
    fn markdown(&self) -> String {
        let mut s = format!("{BEGIN}\n## Host (W1–W3)\n\n");
        let date = stdout_of(Command::new("date").arg("-u").arg("+%Y-%m-%d")).unwrap_or_default();
        s += &format!("Measured {} with `cargo xtask bench --peers --reps {} --w2-samples {}`: every figure is the median of {} fresh processes, ours and the peers' alternating, one thread each (PyTorch `set_num_threads(1)`, TensorFlow's pools at 1). 1-minute load average {:.2} at the start, {:.2} at the end (2 cores: other load slows everyone, the peers most).\n\n", date.trim(), self.options.reps, self.options.w2_samples, self.options.reps, self.load.0, self.load.1);
        for (k, v) in &self.versions {
            s += &format!("- {k}: {v}\n");
        }
        s += "\n| workload | Dendrite | Keras 3 | PyTorch | vs Keras | vs PyTorch |\n|---|---:|---:|---:|---:|---:|\n";
        for (label, key, title, higher) in FIGURES {
            let ours = self.median(label, "dendrite", key);
            let keras = self.median(label, "keras", key);
            let torch = self.median(label, "torch", key);
            let ratio = |peer: Option<f64>| match (ours, peer) {
                (Some(o), Some(p)) if *higher => format!("{:.1}×", o / p),
                (Some(o), Some(p)) => format!("{:.1}×", p / o),
                _ => "–".into(),
            };
            s += &format!(
                "| {title} | {} | {} | {} | {} | {} |\n",
                fmt(ours, *higher),
                fmt(keras, *higher),
                fmt(torch, *higher),
                ratio(keras),
                ratio(torch)
            );
        }
        s += "\nRatios are speed-ups (how many times faster Dendrite is). W1's whole process is `dendrite train` with its defaults (spawn to exit, writing the model file) against the Keras and PyTorch scripts (interpreter start, imports, data, model, fit, predict). W3 for Keras is its fastest one-sample call (`model(x)`, `predict`) and its fastest batch path; Dendrite's W3 goes through the exported model file and dendrite-core's forward pass (`HostModel::predict` / `predict_batch_into`), the code the firmware runs.\n";
        s + END
    }
}

fn fmt(value: Option<f64>, rate: bool) -> String {
    match value {
        None => "–".into(),
        Some(v) if rate && v >= 1e6 => format!("{:.2} M/s", v / 1e6),
        Some(v) if rate => format!("{:.1} k/s", v / 1e3),
        Some(v) if v >= 1.0 => format!("{v:.2} s"),
        Some(v) if v >= 1e-3 => format!("{:.2} ms", v * 1e3),
        Some(v) if v >= 1e-6 => format!("{:.2} µs", v * 1e6),
        Some(v) => format!("{:.0} ns", v * 1e9),
    }
}

/// W4: the firmware against the C peers (f32) and TensorFlow Lite Micro's reference kernels
/// and embedded-nn (int8) on the emulated Cortex-M4F, in one run (`bench/device/compare.py`),
/// written between the device markers of BENCHMARKS.md.
fn device() -> Result<()> {
    let root = root();
    let python = venv(&root)?;
    let table = stdout_of(
        Command::new(&python)
            .arg(root.join("bench/device/compare.py"))
            .args(["--out", "bench/results/device-compare.json"])
            .current_dir(&root),
    )?;
    println!("{table}");
    let section = format!("{DEVICE_BEGIN}\n{}\n{DEVICE_END}", table.trim_end());
    replace_between(
        &root.join("BENCHMARKS.md"),
        DEVICE_BEGIN,
        DEVICE_END,
        &section,
    )?;
    eprintln!("wrote the device section of BENCHMARKS.md");
    Ok(())
}

const DEVICE_BEGIN: &str = "<!-- device benchmarks: written by `cargo xtask bench --device` -->";
const DEVICE_END: &str = "<!-- end of device benchmarks -->";

/// Replaces the text from `begin` to `end` (markers included) in `path` with `section`, or
/// appends it.
fn replace_between(path: &Path, begin: &str, end: &str, section: &str) -> Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (old.find(begin), old.find(end)) {
        (Some(a), Some(b)) if a < b => format!("{}{section}{}", &old[..a], &old[b + end.len()..]),
        _ => format!("{}\n\n{section}\n", old.trim_end()),
    };
    std::fs::write(path, new).with_context(|| format!("writing {}", path.display()))
}

/// Replaces the host section of `path` (or appends it), keeping everything else.
fn write_section(path: &Path, table: &str) -> Result<()> {
    replace_between(path, BEGIN, END, table)
}
