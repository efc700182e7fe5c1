//! A bad model in the weights region is reported, and every prediction is refused with the
//! reason; the firmware keeps serving.

use dendrite_core::format::DecodeError;
use dendrite_core::protocol::{DeviceError, ModelStatus};
use dendrite_core::Activation::{Relu, Softmax};
use dendrite_link::LinkError;
use dendrite_tests::emulator::{self, Emulator};
use dendrite_tests::{build, models};

fn seed_bytes() -> Vec<u8> {
    std::fs::read(build::seed_model()).expect("the seed model")
}

/// Boots with `bytes` in the weights region; checks that `Info`, `SelfCheck` and two
/// predictions all report the model as refused for `reason`.
fn assert_refused(mut qemu: Emulator, reason: impl Fn(DecodeError) -> bool) {
    let info = qemu
        .link()
        .info()
        .expect("Info is answered without a model");
    let ModelStatus::Invalid(why) = info.model else {
        panic!("the firmware accepted the model: {:?}", info.model)
    };
    assert!(reason(why), "refused for the wrong reason: {why:?}");
    for _ in 0..2 {
        match qemu.link().predict(&[0.0, 0.0, 0.0]) {
            Err(LinkError::Device(DeviceError::NoValidModel(e))) => assert_eq!(e, why),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let check = qemu.link().self_check().expect("SelfCheck is answered");
    assert_eq!(check.model, ModelStatus::Invalid(why));
}

#[test]
fn rejects_model_with_wrong_crc() {
    let bytes = models::corrupted(&seed_bytes());
    assert_refused(emulator::boot_with_bytes(build::firmware(), &bytes), |e| {
        matches!(e, DecodeError::CrcMismatch { .. })
    });
}

#[test]
fn rejects_truncated_model() {
    // The weights region after a cut file reads as erased flash (zeros under QEMU), so the
    // checksum the decoder finds where the file stops is wrong.
    let bytes = seed_bytes();
    let cut = &bytes[..bytes.len() - 20];
    assert_refused(emulator::boot_with_bytes(build::firmware(), cut), |e| {
        matches!(e, DecodeError::CrcMismatch { .. })
    });
}

#[test]
fn rejects_model_of_another_architecture() {
    let bytes = models::synthetic(3, &[(8, Relu), (2, Softmax)], 3);
    assert_refused(emulator::boot_with_bytes(build::firmware(), &bytes), |e| {
        e == DecodeError::ArchitectureMismatch
    });
}

#[test]
fn rejects_model_of_another_format_version() {
    // A version 1 file (the format before aligned weights) and one from a future version.
    for version in [1, 4] {
        let bytes = models::with_version(&seed_bytes(), version);
        assert_refused(emulator::boot_with_bytes(build::firmware(), &bytes), |e| {
            e == DecodeError::UnsupportedVersion {
                found: version.into(),
            }
        });
    }
}

#[test]
fn erased_weights_region_refuses_predictions_and_keeps_serving() {
    assert_refused(emulator::boot(build::firmware(), None), |e| {
        e == DecodeError::Empty
    });
}
