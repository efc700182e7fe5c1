//! One class rule, dendrite-core's `class_of`, on the device as on the host: a binary model
//! with one sigmoid output gets class 1 above 0.5 on both sides, and a regression model's
//! answers carry its outputs only, no class. Each model gets a firmware built for its
//! architecture, under qemu-system-arm.

use dendrite_core::format::Task;
use dendrite_core::protocol::ModelStatus;
use dendrite_core::Activation::{Linear, Relu, Sigmoid};
use dendrite_link::{firmware, QEMU_BOARDS};
use dendrite_tests::{build, emulator, models};
use dendrite_trainer::HostModel;
use std::path::Path;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Boots the firmware built for `model`'s architecture, with `model` in its weights region.
fn boot(model: &Path) -> (HostModel, emulator::Emulator) {
    let host = HostModel::load(model).expect("a valid model file");
    let elf = firmware::for_model(&build::firmware_source(), model, QEMU_BOARDS[0], true)
        .expect("a firmware for the model");
    let mut qemu = emulator::boot(&elf, Some(model));
    let info = qemu.link().info().expect("the firmware describes itself");
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });
    (host, qemu)
}

#[test]
fn a_single_sigmoid_output_gets_the_hosts_class_on_both_sides_of_one_half() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("binary.postcard");
    std::fs::write(
        &path,
        models::synthetic(3, &[(4, Relu), (1, Sigmoid)], 0xB1),
    )
    .expect("writing the model");
    let (host, mut qemu) = boot(&path);
    let inputs = models::random_inputs(500, 3, 0x51);
    let device = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    let mut seen = [0usize; 2];
    for (x, p) in inputs.iter().zip(&device) {
        let want = host.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "input {x:?}");
        let class = host.class_of(&want).expect("a classifier");
        assert_eq!(class, usize::from(want[0] > 0.5), "the rule: p > 0.5");
        assert_eq!(p.class, Some(class as u16), "input {x:?}, output {want:?}");
        seen[class] += 1;
    }
    assert!(seen[0] > 0 && seen[1] > 0, "both sides of 0.5: {seen:?}");
    // A single request answers as a batch does.
    let x = &inputs[0];
    let p = qemu.link().predict(x).expect("a prediction");
    assert_eq!(p.class, device[0].class);
}

#[test]
fn a_regression_model_answers_outputs_only_which_the_host_destandardizes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("regression.postcard");
    let (mean, std) = ([20.0f32, -3.0], [5.0f32, 0.25]);
    let task = Task::Regression {
        mean: &mean[..],
        std: &std[..],
    };
    std::fs::write(
        &path,
        models::synthetic_for(3, &[(4, Relu), (2, Linear)], 0x5E, task),
    )
    .expect("writing the model");
    let (host, mut qemu) = boot(&path);
    let inputs = models::random_inputs(300, 3, 0x77);
    let device = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    for (x, p) in inputs.iter().zip(&device) {
        let want = host.predict(x).expect("host prediction");
        assert_eq!(bits(&p.outputs), bits(&want), "input {x:?}");
        assert_eq!(p.class, None, "a regression answer has no class");
        assert_eq!(host.class_of(&want), None);
        // The targets' units: y = z · std + mean, the same bits from either side's outputs.
        let values = host.values(&p.outputs);
        assert_eq!(bits(&values), bits(&host.values(&want)));
        assert_eq!(values[0].to_bits(), (want[0] * 5.0 + 20.0).to_bits());
    }
    let p = qemu.link().predict(&inputs[0]).expect("a prediction");
    assert_eq!(
        (p.class, bits(&p.outputs)),
        (None, bits(&device[0].outputs))
    );
}
