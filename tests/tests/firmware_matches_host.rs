//! The firmware under qemu-system-arm computes what the host computes from the same model
//! file, bit for bit; any model of the firmware's architecture runs without rebuilding it.

use dendrite_core::protocol::ModelStatus;
use dendrite_core::Activation::{Relu, Softmax};
use dendrite_tests::{build, emulator, models};
use dendrite_trainer::HostModel;
use std::path::Path;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Runs `inputs` through the firmware in batches and through the host, and compares the bits.
fn assert_device_matches_host(model: &Path, inputs: &[Vec<f32>]) {
    let host = HostModel::load(model).expect("a valid model file");
    let mut qemu = emulator::boot(build::firmware(), Some(model));
    let info = qemu.link().info().expect("the firmware describes itself");
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });
    let device = qemu
        .link()
        .predict_batch(inputs)
        .expect("batch predictions");
    assert_eq!(device.len(), inputs.len());
    for (x, p) in inputs.iter().zip(&device) {
        let want = host.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "input {x:?}");
    }
}

#[test]
fn seed_model_answers_female_at_the_origin() {
    let mut qemu = emulator::boot(build::firmware(), Some(&build::seed_model()));
    let p = qemu.link().predict(&[0.0, 0.0, 0.0]).expect("a prediction");
    let host = HostModel::load(build::seed_model()).expect("the seed model");
    assert_eq!(
        host.labels()[usize::from(p.class.expect("a class"))],
        "female"
    );
    assert!(p.outputs[0] > 0.5, "{:?}", p.outputs);
    assert!(p.ticks > 0, "the device timed its forward pass");
}

#[test]
fn firmware_matches_host_bit_for_bit_on_10_000_random_inputs() {
    let inputs = models::random_inputs(10_000, 3, 0x2545_f491);
    assert_device_matches_host(&build::seed_model(), &inputs);
}

#[test]
fn another_model_of_the_same_architecture_runs_without_rebuilding() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let other = dir.path().join("other.postcard");
    std::fs::write(&other, models::synthetic(3, &[(4, Relu), (2, Softmax)], 7))
        .expect("writing the model");
    let inputs = models::random_inputs(200, 3, 11);
    // Its own weights: the host gives different answers for the two models…
    let seed = HostModel::load(build::seed_model()).expect("the seed model");
    let mine = HostModel::load(&other).expect("the other model");
    let x = [1.0, -2.0, 0.5];
    assert_ne!(
        bits(&seed.predict(&x).expect("seed")),
        bits(&mine.predict(&x).expect("other"))
    );
    // …and the same firmware image gives the other model's answers, bit for bit.
    assert_device_matches_host(&other, &inputs);
}
