//! `dendrite predict --qemu` and `dendrite run --qemu`: the command line drives the firmware
//! under QEMU and reports the device's answer next to the host's.

use dendrite_core::Activation::{Relu, Softmax};
use dendrite_tests::{build, models};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn dendrite(args: &[&str]) -> Command {
    let mut cmd = Command::new(build::dendrite_cli());
    cmd.args(args).env_remove("DENDRITE_FIRMWARE");
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn predict_on_qemu(model: &str, inputs: &[&str]) -> Output {
    let mut args = vec!["predict", "--model", model, "--qemu"];
    args.extend(inputs);
    dendrite(&args).output().expect("running dendrite predict")
}

#[test]
fn predict_on_qemu_prints_the_hosts_answer_the_cost_and_the_agreement() {
    let seed = build::seed_model();
    let out = predict_on_qemu(&seed.to_string_lossy(), &["0", "0", "0"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("class:   0 (female)"), "{stdout}");
    assert!(stdout.contains("instructions"), "{stdout}");
    assert!(
        stdout.contains("outputs equal the host's bit for bit"),
        "{stdout}"
    );
}

#[test]
fn predict_on_qemu_builds_the_firmware_for_another_architecture() {
    // The architecture `cargo xtask cost` measures, so both share the cached build.
    let layers = [(32, Relu), (32, Relu), (4, Softmax)];
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("wide.postcard");
    std::fs::write(&model, models::synthetic(16, &layers, 1)).expect("writing the model");
    let inputs: Vec<String> = (0..16)
        .map(|i| format!("{}", i as f32 * 0.25 - 2.0))
        .collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let mut args = vec!["predict", "--json", "--model"];
    let path = model.to_string_lossy();
    args.extend([path.as_ref(), "--qemu"]);
    args.extend(&inputs);
    let out = dendrite(&args).output().expect("running dendrite predict");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("\"agrees_bit_for_bit\":true"), "{stdout}");
}

#[test]
fn run_on_qemu_answers_each_line_and_names_bad_ones() {
    let seed = build::seed_model();
    let mut child = dendrite(&["run", "--model", &seed.to_string_lossy(), "--qemu"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting dendrite run");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(b"0 0 0\n1, 2\n\n200,-100,5\n")
        .expect("writing inputs");
    drop(stdin);
    let out = child.wait_with_output().expect("dendrite run ends");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let answers: Vec<&str> = stdout.lines().collect();
    assert_eq!(answers.len(), 2, "{stdout}");
    assert!(answers[0].contains("class 0 female"), "{stdout}");
    assert!(answers[1].contains("class 1 male"), "{stdout}");
    assert!(answers
        .iter()
        .all(|a| a.contains("device agrees bit for bit")));
    assert!(stderr.contains("line 2: "), "{stderr}");
    assert!(
        !out.status.success(),
        "a bad line makes the exit status non-zero"
    );
}

#[test]
fn dendrite_firmware_names_the_image_to_run() {
    let seed = build::seed_model();
    let out = dendrite(&[
        "predict",
        "--model",
        &seed.to_string_lossy(),
        "--qemu",
        "0",
        "0",
        "0",
    ])
    .env("DENDRITE_FIRMWARE", "/nonexistent/firmware.elf")
    .output()
    .expect("running dendrite predict");
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("firmware image /nonexistent/firmware.elf not found"),
        "{stderr}"
    );
}

#[test]
fn board_picks_the_emulated_core_and_an_unknown_board_is_named() {
    let seed = build::seed_model();
    let seed = seed.to_string_lossy();
    let out = dendrite(&[
        "predict",
        "--model",
        &seed,
        "--qemu",
        "--board",
        "mps2-an505",
        "0",
        "0",
        "0",
    ])
    .output()
    .expect("running dendrite predict");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("mps2-an505 (Cortex-M33) under qemu-system-arm: class 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("outputs equal the host's bit for bit"),
        "{stdout}"
    );
    let out = dendrite(&[
        "predict", "--model", &seed, "--qemu", "--board", "an999", "0", "0", "0",
    ])
    .output()
    .expect("running dendrite predict");
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--board an999: unknown board (supported: mps2-an386, mps2-an385, mps2-an500, mps2-an505, microbit)"),
        "{stderr}"
    );
}

#[test]
fn a_model_larger_than_the_boards_weights_region_is_refused_before_any_build() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("large.postcard");
    // 2560-64-2: about 656 KB of weights, more than the MPS2 boards' 512 KiB WEIGHTS region.
    let model = models::synthetic(2560, &[(64, Relu), (2, Softmax)], 5);
    let len = model.len();
    std::fs::write(&path, model).expect("writing the model");
    let inputs: Vec<String> = (0..2560).map(|i| (i % 7).to_string()).collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    build::dendrite_cli(); // built first: only the command itself is timed
    let started = std::time::Instant::now();
    let out = predict_on_qemu(&path.to_string_lossy(), &inputs);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the model does not fit mps2-an386: its file is {len} bytes, the board's weights \
             region holds 524288"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling"), "nothing is built: {stderr}");
    assert!(started.elapsed().as_secs() < 60, "refused at once");
}

/// An int8 model file through `predict --qemu --json`: TensorFlow's converter made it, Dendrite
/// imported it; for the interpreter's recorded int8 inputs (given as raw values on the input's
/// int8 grid), the host's `quantized_outputs` are the interpreter's int8 outputs and the
/// firmware's outputs equal the host's bit for bit.
#[test]
fn predict_on_qemu_runs_an_imported_tflite_int8_model() {
    use dendrite_tests::models::TfliteRecord;
    let name = "dense_softmax.int8";
    let model = models::int8::dir().join(format!("tflite/{name}.postcard"));
    let record = TfliteRecord::load(name);
    assert!(record.int8_io);
    let bytes = std::fs::read(&model).expect("the committed int8 model");
    let host = dendrite_trainer::HostModel::from_bytes(&bytes, &model).expect("an int8 model");
    let input = host.int8_layers().and_then(|m| m.input()).expect("int8");
    for (q, want) in record.inputs.iter().zip(&record.outputs).take(2) {
        let raw: Vec<String> = q
            .iter()
            .map(|&q| (input.scale * (q - input.zero_point as f32)).to_string())
            .collect();
        let mut args = vec!["predict", "--json", "--model"];
        let path = model.to_string_lossy();
        args.extend([path.as_ref(), "--qemu"]);
        args.extend(raw.iter().map(String::as_str));
        let out = dendrite(&args).output().expect("running dendrite predict");
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        let got: Vec<f32> = report["quantized_outputs"]
            .as_array()
            .expect("quantized_outputs")
            .iter()
            .map(|v| v.as_i64().expect("an int8") as f32)
            .collect();
        assert_eq!(&got, want);
        assert_eq!(report["device"]["agrees_bit_for_bit"], true, "{stdout}");
    }
}
