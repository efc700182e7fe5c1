//! Garbage, over-long and truncated frames on the serial link get an error reply each, and the
//! next valid request is served.

use dendrite_core::protocol::{self, DeviceError, Request, Response};
use dendrite_firmware::network::FRAME;
use dendrite_tests::build;
use dendrite_tests::emulator::{self, Emulator};
use std::io::Write;

fn boot() -> Emulator {
    emulator::boot(build::firmware(), Some(&build::seed_model()))
}

/// Writes `raw` bytes to the UART as they are.
fn send_raw(qemu: &mut Emulator, raw: &[u8]) {
    let port = qemu.link().port_mut();
    port.write_all(raw).expect("writing to the UART");
    port.flush().expect("flushing the UART");
}

/// The reply to the damaged bytes is `error`; then a valid `Info` request is answered.
fn assert_error_then_served(qemu: &mut Emulator, error: DeviceError) {
    let reply = qemu.link().receive().expect("a reply to the bad frame");
    assert_eq!(reply, Response::Error(error));
    let info = qemu
        .link()
        .info()
        .expect("the next valid request is served");
    assert_eq!(info.protocol, protocol::PROTOCOL_VERSION);
}

#[test]
fn garbage_frame_gets_malformed_then_the_next_request_succeeds() {
    let mut qemu = boot();
    send_raw(&mut qemu, &[0xFF, 0x13, 0x37, 0x42, 0x01, 0x00]);
    assert_error_then_served(&mut qemu, DeviceError::MalformedFrame);
}

#[test]
fn overlong_frame_gets_too_long_then_the_next_request_succeeds() {
    let mut qemu = boot();
    let mut raw = vec![0x55; FRAME * 3];
    raw.push(0);
    send_raw(&mut qemu, &raw);
    assert_error_then_served(&mut qemu, DeviceError::FrameTooLong);
}

#[test]
fn truncated_frame_gets_malformed_then_the_next_request_succeeds() {
    let mut qemu = boot();
    let mut buf = [0u8; FRAME];
    let frame =
        protocol::encode(&Request::Predict(vec![1.0, 2.0, 3.0]), &mut buf).expect("a frame");
    // Half a frame, no terminator: the terminator in front of the next request closes it.
    send_raw(&mut qemu, &frame[..frame.len() / 2]);
    match qemu.link().info() {
        Err(dendrite_link::LinkError::Device(e)) => {
            assert_eq!(e, DeviceError::MalformedFrame)
        }
        other => panic!("expected the truncated frame's error first, got {other:?}"),
    }
    let info = qemu.link().receive().expect("then the Info answer");
    assert!(matches!(info, Response::Info(_)), "{info:?}");
    assert!(qemu.link().predict(&[0.0, 0.0, 0.0]).is_ok());
}

#[test]
fn wrong_input_width_and_non_finite_inputs_are_refused_and_serving_goes_on() {
    let mut qemu = boot();
    let refused = |r| match r {
        Err(dendrite_link::LinkError::Device(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(qemu.link().predict(&[1.0, 2.0])),
        DeviceError::WrongInputWidth {
            expected: 3,
            found: 2
        }
    );
    assert_eq!(
        refused(qemu.link().predict(&[1.0, f32::NAN, 2.0])),
        DeviceError::NonFiniteInput { index: 1 }
    );
    assert!(qemu.link().predict(&[0.0, 0.0, 0.0]).is_ok());
}
