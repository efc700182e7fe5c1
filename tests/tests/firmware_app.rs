//! The example firmware application (`examples/firmware-app`) under QEMU: `cargo run --release`
//! in its directory prints one JSON line per window of its trace, and every line equals the
//! host's prediction bit for bit (`HostModel`). Rebuilt for another model file and trace through
//! `DENDRITE_MODEL` and `DENDRITE_TRACE` alone, without editing any Rust. With the `measure`
//! feature it also reports the RAM of one forward pass, which stays within its bounds.

use dendrite_core::class_of;
use dendrite_trainer::HostModel;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .to_owned()
}

/// The program's output for `model` and `trace` (the example's own when `None`).
fn run_app(model: Option<&Path>, trace: Option<&Path>) -> String {
    let mut cargo = Command::new("cargo");
    cargo
        .args(["run", "--release", "--quiet", "--features", "measure"])
        .current_dir(root().join("examples/firmware-app"))
        .env_remove("DENDRITE_MODEL")
        .env_remove("DENDRITE_TRACE");
    if let Some(model) = model {
        cargo.env("DENDRITE_MODEL", model);
    }
    if let Some(trace) = trace {
        cargo.env("DENDRITE_TRACE", trace);
    }
    let out = cargo.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "the example failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The numbers of a JSON array of `line` after `key` (`"inputs":[…]`), parsed straight into
/// f32, so that a printed value must read back to the very bits.
fn array(line: &str, key: &str) -> Vec<f32> {
    let start = line.find(&format!("\"{key}\":[")).expect("the key") + key.len() + 4;
    let end = start + line[start..].find(']').expect("the end of the array");
    line[start..end]
        .split(',')
        .map(|v| v.parse().unwrap_or_else(|_| panic!("a float: {v}")))
        .collect()
}

/// The value of `"key":N` in `line`.
fn number(line: &str, key: &str) -> usize {
    let start = line.find(&format!("\"{key}\":")).expect("the key") + key.len() + 3;
    line[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

/// Checks the program's lines against the host on `model`, for the windows of `trace`; returns
/// the RAM the program measured for one forward pass.
fn check(output: &str, model: &Path, trace: &Path) -> usize {
    let host = HostModel::load(model).expect("a valid model");
    let last = host.layers().last().expect("layers").activation;
    let text = std::fs::read_to_string(trace).expect("the trace");
    // The windows: the first INPUT leading numbers of each line, as the example's build.rs reads them.
    let windows: Vec<Vec<f32>> = text
        .lines()
        .map(|l| {
            l.split(',')
                .map_while(|f| f.trim().parse::<f32>().ok().filter(|v| v.is_finite()))
                .collect::<Vec<_>>()
        })
        .filter(|row| row.len() >= host.input())
        .map(|row| row[..host.input()].to_vec())
        .collect();
    let mut lines = output.lines();
    let ram = number(lines.next().expect("the measurement"), "network_ram_bytes");
    let lines: Vec<&str> = lines.collect();
    assert_eq!(lines.len(), windows.len(), "one line per window:\n{output}");
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    for (line, x) in lines.iter().zip(&windows) {
        assert_eq!(bits(&array(line, "inputs")), bits(x), "{line}");
        let expected = host.predict(x).expect("host prediction");
        assert_eq!(bits(&array(line, "outputs")), bits(&expected), "{line}");
        assert_eq!(number(line, "class"), class_of(&expected, last), "{line}");
    }
    ram
}

#[test]
fn the_example_application_prints_the_hosts_predictions() {
    let app = root().join("examples/firmware-app");
    // The example as shipped: the seed model on its own trace.
    let output = run_app(None, None);
    let ram = check(
        &output,
        &app.join("models/seed.postcard"),
        &app.join("traces/seed.csv"),
    );
    assert!(ram <= 192, "seed forward pass: {ram} B of RAM");

    // Another architecture and trace, through the environment only.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let trace = dir.path().join("trace.csv");
    let rows: Vec<String> = dendrite_tests::models::random_inputs(20, 17, 9)
        .iter()
        .map(|row| {
            let fields: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
            fields.join(",")
        })
        .collect();
    std::fs::write(&trace, format!("a header line\n{}\n", rows.join("\n"))).expect("a trace");
    let model = root().join("tests/models/16-32-32-4.postcard");
    let output = run_app(Some(&model), Some(&trace));
    let ram = check(&output, &model, &trace);
    assert!(ram <= 512, "16-32-32-4 forward pass: {ram} B of RAM");
}

/// The embassy variant (`examples/firmware-app-embassy`, for the nRF52840-DK, built by
/// `cargo xtask test` but not run: no board here) ships the same model and trace as this
/// example, so that its lines are the ones checked above; its code for both is shared
/// (`dendrite-app-common`).
#[test]
fn the_embassy_variant_ships_the_same_model_and_trace() {
    let qemu = root().join("examples/firmware-app");
    let embassy = root().join("examples/firmware-app-embassy");
    for file in ["models/seed.postcard", "traces/seed.csv"] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).expect("the example's file");
        assert!(
            read(&qemu) == read(&embassy),
            "examples/firmware-app-embassy/{file} differs from examples/firmware-app/{file}"
        );
    }
    let main = std::fs::read_to_string(embassy.join("src/main.rs")).expect("the program");
    assert!(
        main.contains(
            r#"dendrite_core::model!(Model, "models/seed.postcard", env = "DENDRITE_MODEL");"#
        ),
        "the embassy variant's model! line is the QEMU example's"
    );
}
