//! The firmware under QEMU, through the host link. Needs a built firmware and qemu-system-arm:
//!
//! ```text
//! (cd firmware && cargo build --release)
//! cargo test -p dendrite-trainer device::qemu_tests -- --ignored --nocapture
//! ```
//!
//! The full end-to-end suite lives in `tests/`; these pin what the link itself promises.

use super::{LinkError, Qemu, QemuOptions};
use crate::HostModel;
use dendrite_core::format::DecodeError;
use dendrite_core::protocol::{DeviceError, Fault, ModelStatus};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn firmware() -> PathBuf {
    std::env::var_os("DENDRITE_FIRMWARE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            repo().join("firmware/target/thumbv7em-none-eabihf/release/dendrite-firmware")
        })
}

/// The model the firmware was built for: the seed, or `DENDRITE_MEASURE_MODEL`.
fn seed() -> PathBuf {
    std::env::var_os("DENDRITE_MEASURE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("firmware/models/seed.postcard"))
}

#[test]
#[ignore = "needs qemu-system-arm and a firmware build"]
fn firmware_matches_host_bit_for_bit() -> Result<(), Box<dyn std::error::Error>> {
    let host = HostModel::load(seed())?;
    let mut qemu = Qemu::spawn(&QemuOptions::new(firmware()).model(seed()).icount(true))?;
    let info = qemu.link().info()?;
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });
    assert_eq!(&info.architecture, host.architecture());
    let mut state = 0x2545_f491_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 100_000) as f32 / 100.0 - 200.0
    };
    let xs: Vec<Vec<f32>> = (0..2000)
        .map(|_| (0..host.input()).map(|_| next()).collect())
        .collect();
    let device = qemu.link().predict_batch(&xs)?;
    for (x, p) in xs.iter().zip(&device) {
        let want: Vec<u32> = host.predict(x)?.iter().map(|v| v.to_bits()).collect();
        let got: Vec<u32> = p.probabilities.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "input {x:?}");
    }
    let cost = qemu.link().cost(10_000)?;
    let check = qemu.link().self_check()?;
    println!(
        "instructions/inference {:.1}; stack high-water mark {} of {} bytes",
        cost.ticks_per_inference() * 40.0,
        check.stack_used,
        check.stack_size
    );
    Ok(())
}

#[test]
#[ignore = "needs qemu-system-arm and a firmware build"]
fn erased_weights_region_refuses_predictions_and_keeps_serving() -> Result<(), LinkError> {
    let mut qemu = Qemu::spawn(&QemuOptions::new(firmware()))?;
    let refused = DeviceError::NoValidModel(DecodeError::Empty);
    for _ in 0..3 {
        assert!(
            matches!(qemu.link().predict(&[0.0; 3]), Err(LinkError::Device(e)) if e == refused)
        );
    }
    assert_eq!(
        qemu.link().info()?.model,
        ModelStatus::Invalid(DecodeError::Empty)
    );
    Ok(())
}

#[test]
#[ignore = "needs qemu-system-arm and a firmware build with --features fault-injection"]
fn forced_fault_ends_qemu_non_zero() -> Result<(), LinkError> {
    let mut qemu = Qemu::spawn(&QemuOptions::new(firmware()).model(seed()))?;
    qemu.link().info()?;
    match qemu
        .link()
        .request(&dendrite_core::protocol::Request::ForceFault(
            Fault::HardFault,
        )) {
        Err(LinkError::Closed) => {}
        other => panic!("expected the run to end, got {other:?}"),
    }
    let status = qemu.wait(Duration::from_secs(5))?;
    assert_eq!(status.code(), Some(102), "{status:?}");
    Ok(())
}
