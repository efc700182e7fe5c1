//! int8 models on every emulated core (Cortex-M0, M3, M4F, M7, M33), bit for bit the host: a
//! model trained and quantized by Dendrite (the 8×8 digits, 64-32-10), and the TFLite models
//! made by TensorFlow's converter (per-channel and per-tensor softmax, float input and output
//! around int8 layers, logistic, tanh with relu6, linear regression), imported. Each core's
//! firmware is built for the int8 model (`DENDRITE_MODEL`) and reads it in place from the
//! weights region; the device's dequantized outputs equal the host's int8 path
//! (`dendrite_trainer::quantize::QuantizedModel`, dendrite-core's kernels) on 10,000 random
//! inputs, and its int8 outputs equal those TFLite's interpreter recorded.

use dendrite_core::format::DecodeError;
use dendrite_core::protocol::{DeviceError, ModelStatus};
use dendrite_core::quant::{dequantize, quantize, QuantParams};
use dendrite_link::{firmware, qemu_board, LinkError, QemuBoard};
use dendrite_tests::models::{int8, random_inputs, TfliteRecord};
use dendrite_tests::{build, emulator};
use dendrite_trainer::quantize::QuantizedModel;
use std::path::{Path, PathBuf};

/// Random inputs compared with the host per model.
const SAMPLES: usize = 10_000;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn on(name: &str) -> QemuBoard {
    qemu_board(name).unwrap_or_else(|| panic!("no emulated board {name}"))
}

fn host(path: &Path) -> QuantizedModel {
    let bytes = std::fs::read(path).expect("a committed model");
    QuantizedModel::from_model_bytes(&bytes).expect("an int8 model file")
}

/// The firmware built for `model`'s architecture and weight type on `board` (cached).
fn firmware_for(model: &Path, board: QemuBoard) -> PathBuf {
    firmware::for_model(&build::firmware_source(), model, board, true)
        .unwrap_or_else(|e| panic!("{}: {e}", board.name))
}

/// The int8 values `outputs` stand for (the device sends them dequantized: `scale · (q - zp)`
/// maps the 256 values to 256 distinct floats, so quantizing them again is exact).
fn requantized(outputs: &[f32], q: QuantParams) -> Vec<i8> {
    outputs
        .iter()
        .map(|&v| {
            let back = quantize(v, q.scale, q.zero_point);
            assert_eq!(
                dequantize(back, q.scale, q.zero_point).to_bits(),
                v.to_bits()
            );
            back
        })
        .collect()
}

/// Boots `model` on `board` and checks it: described as loaded, healthy, and the host's bits
/// on `SAMPLES` random inputs (batches) and on `extra` inputs (single requests), with the
/// class rule's answer. Returns the emulator for more checks.
fn runs_bit_exactly(board: QemuBoard, model: &Path, extra: &[Vec<f32>]) -> emulator::Emulator {
    let reference = host(model);
    let elf = firmware_for(model, board);
    let mut qemu = emulator::boot_on(board, &elf, Some(model));
    let info = qemu.link().info().expect("the firmware describes itself");
    let crc = dendrite_core::format::ModelView::from_bytes(&std::fs::read(model).unwrap())
        .expect("valid")
        .crc();
    assert_eq!(info.model, ModelStatus::Loaded { crc }, "{}", board.name);
    let check = qemu.link().self_check().expect("a self-check");
    assert_eq!(check.model, ModelStatus::Loaded { crc });

    let inputs = random_inputs(SAMPLES, reference.int8.inputs(), 0x1a2b_3c4d);
    let device = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    assert_eq!(device.len(), inputs.len());
    let last = dendrite_core::format::ModelView::from_bytes(&std::fs::read(model).unwrap())
        .expect("valid")
        .output_activation();
    for (x, p) in inputs.iter().zip(&device) {
        let want = reference.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "{}: input {x:?}", board.name);
        let class = dendrite_core::class_of(&want, last);
        assert_eq!(p.class, Some(class as u16), "{}: input {x:?}", board.name);
    }
    for x in extra {
        let p = qemu.link().predict(x).expect("a prediction");
        let want = reference.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "{}: input {x:?}", board.name);
    }
    let cost = qemu.link().cost(1_000).expect("a cost report");
    assert!(cost.ticks_per_inference() > 0.0, "{}", board.name);
    // Under `-icount shift=0` a tick of the emulated timer is a fixed number of instructions.
    eprintln!(
        "{} ({}): {} int8, {:.0} instructions per inference",
        board.name,
        board.core,
        model.display(),
        cost.ticks_per_inference() * 1e9 / f64::from(cost.tick_hz)
    );
    qemu
}

/// The digits model trained by Dendrite, quantized by `dendrite quantize`: the host's bits on
/// random inputs and on the held-out rows; its float sibling in the weights region is refused
/// by the int8 firmware with the reason.
fn dendrite_model_runs(board: QemuBoard) {
    let model = int8::dir().join("digits.int8.postcard");
    let test_rows = int8::digits_test_rows();
    drop(runs_bit_exactly(board, &model, &test_rows[..50]));

    // The same architecture in f32: the int8 firmware says why it cannot run it.
    let elf = firmware_for(&model, board);
    let float = std::fs::read(int8::dir().join("digits.postcard")).expect("the float model");
    let mut qemu = emulator::boot_on_with_bytes(board, &elf, &float);
    let info = qemu
        .link()
        .info()
        .expect("Info is answered without a model");
    let refused = DecodeError::UnsupportedLayer { dtype: 0 };
    assert_eq!(info.model, ModelStatus::Invalid(refused), "{}", board.name);
    match qemu.link().predict(&test_rows[0]) {
        Err(LinkError::Device(DeviceError::NoValidModel(e))) => assert_eq!(e, refused),
        other => panic!("{}: expected a refusal, got {other:?}", board.name),
    }
}

/// The TFLite fixtures: the host's bits on random inputs, and the interpreter's recorded
/// outputs (int8, or floats for the float-output model) on its recorded inputs.
fn tflite_models_run(board: QemuBoard, names: &[&str]) {
    for &name in names {
        let model = int8::dir().join(format!("tflite/{name}.postcard"));
        let reference = host(&model);
        let record = TfliteRecord::load(name);
        let input_q = reference.int8.input().expect("layers");
        let output_q = reference.int8.output().expect("layers");
        // int8 inputs as the floats that quantize to them (the imported models standardize
        // with mean 0 and std 1, which the device skips bit-exactly).
        let inputs: Vec<Vec<f32>> = if record.int8_io {
            record
                .inputs
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|&q| {
                            let x = dequantize(q as i8, input_q.scale, input_q.zero_point);
                            assert_eq!(quantize(x, input_q.scale, input_q.zero_point), q as i8);
                            x
                        })
                        .collect()
                })
                .collect()
        } else {
            record.inputs.clone()
        };
        let mut qemu = runs_bit_exactly(board, &model, &[]);
        let device = qemu
            .link()
            .predict_batch(&inputs)
            .expect("batch predictions");
        for (i, (p, want)) in device.iter().zip(&record.outputs).enumerate() {
            if record.int8_io {
                let want: Vec<i8> = want.iter().map(|&v| v as i8).collect();
                assert_eq!(
                    requantized(&p.outputs, output_q),
                    want,
                    "{}: {name}, row {i}",
                    board.name
                );
            } else {
                assert_eq!(
                    bits(&p.outputs),
                    bits(want),
                    "{}: {name}, row {i}",
                    board.name
                );
            }
        }
    }
}

/// The fixtures of the softmax model TensorFlow's converter made three ways (one firmware).
const SOFTMAX: [&str; 3] = [
    "dense_softmax.int8",
    "dense_softmax.int8_per_tensor",
    "dense_softmax.int8_float_io",
];
/// The fixtures with a logistic or tanh table, or a linear output (a firmware each). They run on
/// the Cortex-M4F (the DSP kernel) and the Cortex-M0 (the Thumb-1 kernel): the tables and the
/// linear output are the same integer code on every core, and the kernels, the one part that
/// differs by core, are checked on all five by the softmax fixtures and the digits model.
const TABLES_AND_LINEAR: [&str; 3] = ["dense_sigmoid.int8", "dense_tanh.int8", "regression.int8"];

#[test]
fn cortex_m4f_runs_int8_models_bit_exactly() {
    dendrite_model_runs(on("mps2-an386"));
    tflite_models_run(on("mps2-an386"), &SOFTMAX);
}

#[test]
fn cortex_m4f_runs_tflite_tables_and_linear_outputs_bit_exactly() {
    tflite_models_run(on("mps2-an386"), &TABLES_AND_LINEAR);
}

#[test]
fn cortex_m3_runs_int8_models_bit_exactly() {
    dendrite_model_runs(on("mps2-an385"));
    tflite_models_run(on("mps2-an385"), &SOFTMAX);
}

#[test]
fn cortex_m7_runs_int8_models_bit_exactly() {
    dendrite_model_runs(on("mps2-an500"));
    tflite_models_run(on("mps2-an500"), &SOFTMAX);
}

#[test]
fn cortex_m33_runs_int8_models_bit_exactly() {
    dendrite_model_runs(on("mps2-an505"));
    tflite_models_run(on("mps2-an505"), &SOFTMAX);
}

#[test]
fn cortex_m0_runs_int8_models_bit_exactly() {
    dendrite_model_runs(on("microbit"));
    tflite_models_run(on("microbit"), &SOFTMAX);
}

#[test]
fn cortex_m0_runs_tflite_tables_and_linear_outputs_bit_exactly() {
    tflite_models_run(on("microbit"), &TABLES_AND_LINEAR);
}
