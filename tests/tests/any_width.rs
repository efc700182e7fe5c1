//! Models wider than any fixed bound run on the device, bit for bit the host's: the frame
//! buffer and the batch size of each firmware follow from the architecture it is built for
//! (`protocol::Limits`). A 64-input 10-class model (the 8×8 digits' shape) and a 256-input
//! model, over single and batch requests, under qemu-system-arm.

use dendrite_core::protocol::{Limits, ModelStatus};
use dendrite_core::Activation::{Relu, Softmax, Tanh};
use dendrite_link::{firmware, QEMU_BOARDS};
use dendrite_tests::{build, emulator, models};
use dendrite_trainer::HostModel;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Writes a synthetic model of `layers`, builds the firmware for it, and checks `n` random
/// inputs single and in batches against the host.
fn device_matches_host(input: u16, layers: &[(u16, dendrite_core::Activation)], n: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("wide.postcard");
    std::fs::write(&path, models::synthetic(input, layers, 0x64)).expect("writing the model");
    let host = HostModel::load(&path).expect("a valid model file");
    let elf = firmware::for_model(&build::firmware_source(), &path, QEMU_BOARDS[0], true)
        .expect("a firmware for the model");
    let mut qemu = emulator::boot(&elf, Some(&path));
    let info = qemu.link().info().expect("the firmware describes itself");
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });
    let limits = Limits::for_architecture(&info.architecture);
    assert_eq!(limits.inputs, usize::from(input));

    let inputs = models::random_inputs(n, usize::from(input), 0x2545);
    let batched = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    assert_eq!(batched.len(), n);
    for (i, (x, p)) in inputs.iter().zip(&batched).enumerate() {
        let want = host.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "batched input {i}");
        assert_eq!(p.class, host.class_of(&want).map(|c| c as u16));
        if i < 20 {
            let single = qemu.link().predict(x).expect("a single prediction");
            assert_eq!(bits(&single.outputs), bits(&want), "single input {i}");
            assert_eq!(single.class, p.class);
        }
    }
    // A wrong width is refused with the widths, and the device serves on.
    let err = qemu
        .link()
        .predict(&vec![0.0; usize::from(input) - 1])
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("takes {input} values")),
        "{err}"
    );
    assert!(qemu.link().predict(&inputs[0]).is_ok());
}

#[test]
fn a_64_input_10_class_model_matches_the_host() {
    device_matches_host(64, &[(32, Relu), (10, Softmax)], 300);
}

#[test]
fn a_256_input_model_matches_the_host() {
    device_matches_host(256, &[(8, Tanh), (4, Softmax)], 120);
}
