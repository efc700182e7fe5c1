//! A panic or HardFault ends the QEMU run with a non-zero status (never a hang); only a
//! fault-injection build can be made to fault on request.

use dendrite_core::protocol::{DeviceError, Fault, Request, Response};
use dendrite_link::LinkError;
use dendrite_tests::{build, emulator};
use std::time::Duration;

/// Asks the fault-injection firmware for `fault`; returns QEMU's exit code.
fn exit_code_after(fault: Fault) -> Option<i32> {
    let mut qemu = emulator::boot(
        build::fault_injection_firmware(),
        Some(&build::seed_model()),
    );
    qemu.link().info().expect("the firmware is up");
    match qemu.link().request(&Request::ForceFault(fault)) {
        Err(LinkError::Closed) => {}
        other => panic!("expected the run to end, got {other:?}"),
    }
    let status = qemu
        .wait(Duration::from_secs(10))
        .expect("QEMU ends by itself after a fault");
    status.code()
}

#[test]
fn forced_hardfault_ends_qemu_with_status_102() {
    assert_eq!(exit_code_after(Fault::HardFault), Some(102));
}

#[test]
fn forced_panic_ends_qemu_with_status_101() {
    assert_eq!(exit_code_after(Fault::Panic), Some(101));
}

#[test]
fn release_firmware_refuses_to_fault() {
    let mut qemu = emulator::boot(build::firmware(), Some(&build::seed_model()));
    let reply = qemu
        .link()
        .request(&Request::ForceFault(Fault::HardFault))
        .expect("an answer");
    assert_eq!(reply, Response::Error(DeviceError::Unsupported));
    assert!(qemu.link().predict(&[0.0, 0.0, 0.0]).is_ok());
}

#[test]
fn stack_overflow_faults_instead_of_running_into_the_static_data() {
    // The lowest 32 bytes of the stack are an MPU guard (dendrite-runtime, stack.rs): the first push into
    // it faults, and the HardFault handler ends the run, before any static is overwritten.
    assert_eq!(exit_code_after(Fault::StackOverflow), Some(102));
}

#[test]
fn cortex_m0_faults_end_the_run_without_a_guard() {
    // ARMv6-M has no MPU guard and no stack limit: the microbit's stack sits below its static
    // data (the board table), so an overflow runs into the unmapped addresses below RAM and
    // faults there, and the HardFault handler ends the run, as on the guarded cores.
    let board = dendrite_link::qemu_board("microbit").expect("the microbit board");
    let firmware = dendrite_link::FirmwareBuild::fault_injection(&build::firmware_source(), board)
        .build()
        .expect("the Cortex-M0 fault-injection firmware");
    for (fault, status) in [
        (Fault::StackOverflow, 102),
        (Fault::HardFault, 102),
        (Fault::Panic, 101),
    ] {
        let mut qemu = emulator::boot_on(board, &firmware, Some(&build::seed_model()));
        qemu.link().info().expect("the firmware is up");
        match qemu.link().request(&Request::ForceFault(fault)) {
            Err(LinkError::Closed) => {}
            other => panic!("{fault:?}: expected the run to end, got {other:?}"),
        }
        let exit = qemu
            .wait(Duration::from_secs(10))
            .expect("QEMU ends by itself after a fault");
        assert_eq!(exit.code(), Some(status), "{fault:?}");
    }
}
