//! The network's RAM as the device measures it (`Cost`: the network value's own bytes and the
//! stack one forward pass uses below its caller's frame, painted just before the pass, the
//! outputs written into an array of the caller's; the memory the inference needs beyond its
//! caller's input and outputs), under qemu-system-arm: small against the model's widths,
//! within the bounds the weights read in place from flash allow (seed model 192 B, 256 B on the
//! Cortex-M0; 16-32-32-4 512 B in f32, 1.5 KB in int8; 256-128-64-10 2 KB; the MLPerf Tiny
//! anomaly-detection autoencoder in int8 4 KB), the same on every request, and without losing
//! the firmware's stack high-water mark.

use dendrite_core::format::{Architecture, DType};
use dendrite_core::protocol::CostReport;
use dendrite_core::Activation::{Linear, Relu, Softmax};
use dendrite_link::{firmware, qemu_board, QemuBoard, QEMU_BOARDS};
use dendrite_tests::models::{self, int8};
use dendrite_tests::{build, emulator};
use std::path::Path;

fn on(name: &str) -> QemuBoard {
    qemu_board(name).unwrap_or_else(|| panic!("no emulated board {name}"))
}

/// Boots `elf` with `model` on `board`, asks for the network's RAM twice around 200
/// predictions, and checks it: at least one layer's widest output in the model's activation
/// type (the pass cannot hold less), at most `bound` bytes, the network value without weights,
/// the same figure each time, and the firmware's stack high-water mark kept. Returns the
/// figure.
fn network_ram(board: QemuBoard, elf: &Path, model: &Path, bound: u32) -> u32 {
    let architecture: Architecture = firmware::architecture(model).expect("a valid model");
    let per_value = match firmware::weight_type(model).expect("a valid model") {
        DType::I8 => 1,
        _ => 4,
    };
    let widest = architecture
        .layers
        .iter()
        .map(|&(width, _)| u32::from(width))
        .max()
        .expect("a model has layers");

    let mut qemu = emulator::boot_on(board, elf, Some(model));
    let first: CostReport = qemu.link().cost(1).expect("a cost report");
    let name = format!("{} on {}", architecture, board.name);
    assert!(
        first.stack_bytes >= widest * per_value,
        "{name}: {} bytes of stack cannot hold a {widest}-wide layer's output",
        first.stack_bytes
    );
    // Pointers into the weights region, an int8 layer's quantization parameters and the
    // model's CRC: no weights.
    let value = 32 + 64 * architecture.layers.len() as u32;
    assert!(
        first.network_bytes > 0 && first.network_bytes <= value,
        "{name}: the network value takes {} bytes",
        first.network_bytes
    );
    let ram = first.network_ram_bytes();
    assert!(
        ram <= bound,
        "{name}: {ram} bytes of RAM, more than {bound}"
    );

    // Deeper use in between (a batch) neither changes the figure nor is forgotten by the
    // high-water mark, which must cover the deepest of both.
    let inputs = models::random_inputs(200, usize::from(architecture.input), 11);
    qemu.link().predict_batch(&inputs).expect("predictions");
    let before = qemu.link().self_check().expect("a self-check").stack_used;
    let again = qemu.link().cost(1).expect("a cost report");
    assert_eq!(
        again.network_ram_bytes(),
        ram,
        "{name}: a second measurement"
    );
    let after = qemu.link().self_check().expect("a self-check").stack_used;
    assert_eq!(
        after, before,
        "{name}: the measurement moved the high-water mark"
    );
    assert!(
        after >= first.stack_bytes,
        "{name}: high-water mark {after}"
    );
    eprintln!("{name}: network RAM {ram} bytes");
    ram
}

/// The firmware built for `model`'s architecture and weight type on `board` (cached).
fn firmware_for(model: &Path, board: QemuBoard) -> std::path::PathBuf {
    firmware::for_model(&build::firmware_source(), model, board, true)
        .unwrap_or_else(|e| panic!("{}: {e}", board.name))
}

#[test]
fn the_seed_model_takes_at_most_192_bytes_on_every_core_but_the_m0() {
    let seed = build::seed_model();
    for &board in QEMU_BOARDS {
        // The Cortex-M0's soft-float routines (Thumb-1, few registers) keep more on the stack.
        let bound = if board.name == "microbit" { 256 } else { 192 };
        network_ram(board, &build::firmware_on(board), &seed, bound);
    }
}

#[test]
fn a_16_32_32_4_model_takes_at_most_512_bytes_in_f32_and_1_5_kb_in_int8() {
    let float = int8::dir().join("16-32-32-4.postcard");
    let quantized = int8::dir().join("16-32-32-4.int8.postcard");
    for board in [on("mps2-an386"), on("microbit")] {
        network_ram(board, &firmware_for(&float, board), &float, 512);
        // dendrite-core's int8 pass (`Int8NetworkRef::predict_into`) runs in two int8 buffers
        // of the widest activation; the network value is one reference per layer
        // (`Int8WordsRef`): 308 B on the M4F, 404 B on the M0.
        network_ram(board, &firmware_for(&quantized, board), &quantized, 1536);
    }
}

#[test]
fn a_256_128_64_10_model_runs_from_flash_in_2_kb_on_the_m4f() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("256-128-64-10.postcard");
    let bytes = models::synthetic(256, &[(128, Relu), (64, Relu), (10, Softmax)], 1);
    // 167 KB of weights: twenty times the board's RAM for the network.
    assert!(bytes.len() > 160_000);
    std::fs::write(&path, bytes).expect("writing the model");
    let board = on("mps2-an386");
    // 1,896 B: the standardized copy of the input (1 KB) is the first layer's input only
    // (`LayersRef::forward_prepared`), so the later layers' activations reuse its stack; it
    // was 2,224 B while the copy lived through the whole pass (and 1,960 B while the pass
    // returned its outputs into the measured frames).
    network_ram(board, &firmware_for(&path, board), &path, 2048);
}

#[test]
fn the_int8_anomaly_detection_autoencoder_takes_at_most_4_kb_on_the_m4f() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The MLPerf Tiny autoencoder's shape with random weights from a fixed seed (as `cargo
    // xtask size` builds it): the RAM of the network, not its accuracy.
    let mut layers = vec![(128, Relu); 4];
    layers.push((8, Relu));
    layers.extend([(128, Relu); 4]);
    layers.push((640, Linear));
    let float_path = dir.path().join("autoencoder-640-8-640.postcard");
    std::fs::write(&float_path, models::synthetic(640, &layers, 1)).expect("writing the model");
    let float = dendrite_trainer::HostModel::load(&float_path).expect("a valid model");
    let calibration = models::random_inputs(200, 640, 0x1A78).concat();
    let quantized =
        dendrite_trainer::quantize::quantize(&float, &calibration).expect("quantizing the model");
    let bytes = quantized
        .to_model_bytes(float.labels())
        .expect("encoding the int8 model");
    // 264,192 int8 weights: 65 times the 4 KB the network may take.
    assert!(bytes.len() > 264_000);
    let path = dir.path().join("autoencoder-640-8-640.int8.postcard");
    std::fs::write(&path, bytes).expect("writing the int8 model");
    let board = on("mps2-an386");
    // 1,504 B: the two 640-byte int8 activations, the frames and the network value (one
    // reference per layer); the 640 f32 outputs (2,560 B) are the caller's array, which a
    // caller keeping them adds (4,064 B). It was 7,232 B while the pass built its outputs in
    // its own frame and returned them by value, and kept 60 bytes per layer in the value.
    network_ram(board, &firmware_for(&path, board), &path, 4096);
}
