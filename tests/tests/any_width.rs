//! Models wider than any fixed bound run on the device, bit for bit the host's: the frame
//! buffer and the batch size of each firmware follow from the architecture it is built for
//! (`protocol::Limits`). A 64-input 10-class model (the 8×8 digits' shape) and a 256-input
//! model, over single and batch requests, under qemu-system-arm; and a model with every
//! activation past Keras' first five (a version 3 model file), whose libm functions (`expm1f`,
//! `log1pf`, `erfcf`, …) the Cortex-M4F computes as the host does.

use dendrite_core::protocol::{Limits, ModelStatus};
use dendrite_core::Activation::{
    Elu, Exponential, Gelu, HardSigmoid, HardSilu, LeakyRelu, Relu, Relu6, Selu, Silu, Softmax,
    Softplus, Softsign, Tanh,
};
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

/// Every new activation in one chain, after a softsign that takes the inputs (far out on both
/// sides) to [-1, 1]: each unit's argument is then a sum of a few products of order 1, so the
/// functions see both sides of 0 and of their kinks, the exponential never overflows, and the
/// softmax does not saturate (the answers tell the inputs apart).
#[test]
fn every_new_activation_matches_the_host() {
    let layers = [
        (12, Softsign),
        (11, Elu),
        (10, Selu),
        (10, Relu6),
        (9, LeakyRelu),
        (9, Softplus),
        (8, Silu),
        (8, Gelu),
        (8, Softsign),
        (8, HardSilu),
        (7, HardSigmoid),
        (6, Exponential),
        (4, Softmax),
    ];
    let bytes = models::synthetic(6, &layers, 0x64);
    assert_eq!(bytes[4], 3, "a version 3 model file");
    // The answers are finite and tell the inputs apart: no layer saturates them all.
    let host = HostModel::from_bytes(&bytes, std::path::Path::new("synthetic")).expect("valid");
    let outputs: std::collections::BTreeSet<Vec<u32>> = models::random_inputs(400, 6, 0x2545)
        .iter()
        .map(|x| bits(&host.predict(x).expect("host prediction")))
        .collect();
    assert!(outputs
        .iter()
        .flatten()
        .all(|&b| f32::from_bits(b).is_finite()));
    assert!(outputs.len() > 300, "{} distinct answers", outputs.len());
    device_matches_host(6, &layers, 400);
}

/// Builds for two architectures in turn share the firmware's one target directory: each image
/// is kept apart, a later build of the other architecture leaves it as it was, and asking again
/// for the first architecture gives its image back, bit for bit.
#[test]
fn images_of_architectures_built_in_turn_stay_their_own() {
    let source = build::firmware_source();
    let models = build::repo().join("tests/models");
    let (a, b) = (
        models.join("16-32-32-4.postcard"),
        models.join("5-12-7-3.postcard"),
    );
    let board = QEMU_BOARDS[0];
    let image_a = firmware::for_model(&source, &a, board, true).expect("a firmware for A");
    let bytes_a = std::fs::read(&image_a).expect("A's image");
    let image_b = firmware::for_model(&source, &b, board, true).expect("a firmware for B");
    assert_ne!(image_a, image_b);
    let seed = build::firmware();
    for (image, model) in [
        (&image_a, &a),
        (&image_b, &b),
        (&seed.to_path_buf(), &build::seed_model()),
    ] {
        let built_for = dendrite_link::image_architecture(image).expect("an image");
        let architecture = firmware::architecture(model).expect("a model");
        assert_eq!(built_for, architecture.to_string(), "{}", image.display());
    }
    assert_eq!(std::fs::read(&image_a).expect("A's image"), bytes_a);
    let again = firmware::for_model(&source, &a, board, true).expect("A again");
    assert_eq!(again, image_a);
    assert_eq!(std::fs::read(&again).expect("A's image"), bytes_a);
}
