//! The same application on every emulated core: the Cortex-M3 without an FPU (mps2-an385, soft
//! float), the Cortex-M7 (mps2-an500), the Cortex-M33 (mps2-an505) and the Cortex-M0 (microbit,
//! ARMv6-M, compiler-builtins' soft float, nRF51 UART) pass the Cortex-M4F's
//! checks (the suite's other files run those on mps2-an386): the seed model's answer, the host's
//! bits over 10,000 inputs, bad models refused with the reason.

use dendrite_core::format::DecodeError;
use dendrite_core::protocol::{DeviceError, ModelStatus};
use dendrite_core::Activation::{Relu, Softmax};
use dendrite_link::{qemu_board, LinkError, QemuBoard};
use dendrite_tests::{build, emulator, models};
use dendrite_trainer::HostModel;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn on(name: &str) -> QemuBoard {
    qemu_board(name).unwrap_or_else(|| panic!("no emulated board {name}"))
}

/// The seed model on `board`: it reports the board and the model, answers female at the
/// origin, and gives the host's bits for 10,000 random inputs (sent in batches).
fn seed_runs_bit_exactly(board: QemuBoard) {
    let seed = build::seed_model();
    let host = HostModel::load(&seed).expect("the seed model");
    let firmware = build::firmware_on(board);
    let mut qemu = emulator::boot_on(board, &firmware, Some(&seed));
    let info = qemu.link().info().expect("the firmware describes itself");
    assert_eq!(info.board.as_str(), board.name);
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });

    let origin = qemu.link().predict(&[0.0, 0.0, 0.0]).expect("a prediction");
    let class = origin.class.expect("a classifier's answer has a class");
    assert_eq!(host.labels()[usize::from(class)], "female");
    assert!(origin.ticks > 0, "the device timed its forward pass");

    let inputs = models::random_inputs(10_000, 3, 0x2545_f491);
    let device = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    assert_eq!(device.len(), inputs.len());
    for (x, p) in inputs.iter().zip(&device) {
        let want = host.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "{}: input {x:?}", board.name);
    }
}

/// Whether a refusal gives the expected reason.
type Reason = fn(DecodeError) -> bool;

/// Bad weights regions on `board`: each is reported by `Info`, and a prediction is refused with
/// the same reason.
fn bad_models_are_refused(board: QemuBoard) {
    let firmware = build::firmware_on(board);
    let seed = std::fs::read(build::seed_model()).expect("the seed model");
    let crc: Reason = |e| matches!(e, DecodeError::CrcMismatch { .. });
    let architecture: Reason = |e| e == DecodeError::ArchitectureMismatch;
    let empty: Reason = |e| e == DecodeError::Empty;
    let other_architecture = models::synthetic(3, &[(8, Relu), (2, Softmax)], 3);
    let cases: [(Option<Vec<u8>>, &str, Reason); 3] = [
        (Some(models::corrupted(&seed)), "a flipped weight byte", crc),
        (
            Some(other_architecture),
            "another architecture",
            architecture,
        ),
        (None, "an erased region", empty),
    ];
    for (bytes, what, reason) in cases {
        let mut qemu = match &bytes {
            Some(bytes) => emulator::boot_on_with_bytes(board, &firmware, bytes),
            None => emulator::boot_on(board, &firmware, None),
        };
        let info = qemu
            .link()
            .info()
            .expect("Info is answered without a model");
        let ModelStatus::Invalid(why) = info.model else {
            panic!("{}: {what} was accepted", board.name)
        };
        assert!(reason(why), "{}: {what} refused for {why:?}", board.name);
        match qemu.link().predict(&[0.0, 0.0, 0.0]) {
            Err(LinkError::Device(DeviceError::NoValidModel(e))) => assert_eq!(e, why),
            other => panic!("{}: expected a refusal, got {other:?}", board.name),
        }
    }
}

#[test]
fn cortex_m3_soft_float_matches_the_host() {
    seed_runs_bit_exactly(on("mps2-an385"));
    bad_models_are_refused(on("mps2-an385"));
}

#[test]
fn cortex_m7_matches_the_host() {
    seed_runs_bit_exactly(on("mps2-an500"));
    bad_models_are_refused(on("mps2-an500"));
}

#[test]
fn cortex_m33_matches_the_host() {
    seed_runs_bit_exactly(on("mps2-an505"));
    bad_models_are_refused(on("mps2-an505"));
}

#[test]
fn cortex_m0_soft_float_matches_the_host() {
    seed_runs_bit_exactly(on("microbit"));
    bad_models_are_refused(on("microbit"));
}
