//! An autoencoder on the device: the firmware computes each input's reconstruction error and
//! verdict itself (protocol version 3), with dendrite-core's `Reconstruction::of`, and they
//! equal the host's bit for bit. The model is the README's anomaly example, trained by
//! `dendrite train --spec examples/anomaly.toml`; the inputs are the rows of its test table,
//! normal and anomalous. Then `dendrite predict --qemu` and `dendrite run --qemu` print the
//! device's verdict.

use dendrite_core::protocol::ModelStatus;
use dendrite_link::{firmware, QEMU_BOARDS};
use dendrite_tests::{build, emulator, models};
use dendrite_trainer::HostModel;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn dendrite(args: &[&str]) -> Command {
    let mut cmd = Command::new(build::dendrite_cli());
    cmd.args(args)
        .current_dir(build::repo())
        .env_remove("DENDRITE_FIRMWARE");
    cmd
}

fn succeeded(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The anomaly example, trained once per test process.
fn trained_model() -> &'static Path {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("anomaly.postcard");
        let out = dendrite(&["train", "--spec", "examples/anomaly.toml", "--verbose", "0"])
            .arg("--out")
            .arg(&path)
            .output()
            .expect("running dendrite train");
        succeeded(out, "dendrite train --spec examples/anomaly.toml");
        (dir, path)
    });
    path
}

/// The example's test table: each row's 8 bands and whether it is anomalous.
fn test_rows() -> Vec<(Vec<f32>, bool)> {
    models::table_rows("examples/data/vibration_test.csv")
        .into_iter()
        .map(|(bands, label)| (bands, label == 1.0))
        .collect()
}

#[test]
fn the_devices_reconstruction_errors_and_verdicts_are_the_hosts_on_every_test_row() {
    let model = trained_model();
    let host = HostModel::load(model).expect("a valid model file");
    let elf = firmware::for_model(&build::firmware_source(), model, QEMU_BOARDS[0], true)
        .expect("a firmware for the autoencoder's architecture");
    let mut qemu = emulator::boot(&elf, Some(model));
    let info = qemu.link().info().expect("the firmware describes itself");
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });

    let rows = test_rows();
    let inputs: Vec<&[f32]> = rows.iter().map(|(x, _)| x.as_slice()).collect();
    let device = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    assert_eq!(device.len(), rows.len());
    // Verdicts by (truly anomalous, flagged), so the test sees both kinds of row flagged both
    // ways where the model does so.
    let mut seen = [[0usize; 2]; 2];
    for ((x, truth), p) in rows.iter().zip(&device) {
        let outputs = host.predict(x).expect("host prediction");
        let want = host
            .reconstruction(x, &outputs)
            .expect("an anomaly model's verdict");
        let got = p.reconstruction.expect("the device's verdict");
        assert_eq!(
            got.error.to_bits(),
            want.error.to_bits(),
            "row {x:?}: device {} host {}",
            got.error,
            want.error
        );
        assert_eq!(got.anomalous, want.anomalous, "row {x:?}");
        assert_eq!(p.class, None, "an autoencoder has no class");
        seen[usize::from(*truth)][usize::from(got.anomalous)] += 1;
    }
    // The example's detector: most anomalous rows flagged, most normal rows not.
    let [[normal_kept, normal_flagged], [anomalous_missed, anomalous_flagged]] = seen;
    assert!(normal_kept > 10 * normal_flagged, "{seen:?}");
    assert!(anomalous_flagged > 10 * anomalous_missed, "{seen:?}");

    // A single request carries the same verdict as the batch.
    let p = qemu.link().predict(inputs[0]).expect("a prediction");
    assert_eq!(p.reconstruction, device[0].reconstruction);
}

#[test]
fn predict_and_run_on_qemu_print_the_devices_error_and_verdict() {
    let model = trained_model();
    let path = model.to_string_lossy();
    let rows = test_rows();
    let normal = rows.iter().find(|(_, a)| !a).expect("a normal row");
    let anomalous = rows.iter().find(|(_, a)| *a).expect("an anomalous row");
    let host = HostModel::load(model).expect("a valid model file");
    for (x, truth) in [normal, anomalous] {
        let values: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
        let mut args = vec!["predict", "--json", "--model", path.as_ref(), "--qemu"];
        args.extend(values.iter().map(String::as_str));
        let stdout = succeeded(
            dendrite(&args).output().expect("running dendrite"),
            "predict --qemu",
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        let want = host
            .reconstruction(x, &host.predict(x).expect("host prediction"))
            .expect("a verdict");
        let device = &report["device"];
        assert_eq!(device["agrees_bit_for_bit"], true, "{report}");
        assert_eq!(device["anomalous"], *truth, "{report}");
        assert_eq!(report["anomalous"], *truth, "{report}");
        let error = device["reconstruction_error"].as_f64().expect("an error");
        assert_eq!(error as f32, want.error, "{report}");

        // The text report names the device's verdict.
        args.remove(1);
        let stdout = succeeded(
            dendrite(&args).output().expect("running dendrite"),
            "predict --qemu",
        );
        let word = if *truth { "anomalous" } else { "normal" };
        let line = format!("reconstruction error {:?} -> {word}", want.error);
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("device:") && l.contains(&line)),
            "{stdout}"
        );
    }

    let mut session = dendrite(&["run", "--model", path.as_ref(), "--qemu"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting dendrite run");
    {
        let mut stdin = session.stdin.take().expect("a pipe");
        for (x, _) in [normal, anomalous] {
            let line: Vec<String> = x.iter().map(f32::to_string).collect();
            writeln!(stdin, "{}", line.join(" ")).expect("writing an input");
        }
    }
    let stdout = succeeded(
        session.wait_with_output().expect("the session ends"),
        "run --qemu",
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].contains("device: reconstruction error") && lines[0].contains("-> normal"));
    assert!(
        lines[1].contains("-> anomalous; device agrees bit for bit"),
        "{stdout}"
    );
}
