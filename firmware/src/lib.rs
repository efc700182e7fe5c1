//! Dendrite's firmware, the part that does not know the board: it validates the model in the
//! weights region, then serves predictions over any serial link (`embedded-io`), showing the
//! predicted class on any pin (`embedded-hal` 1.0), with the protocol of
//! [`dendrite_core::protocol`].
//!
//! A board supplies a serial port, a pin and a [`Platform`] (ticks, the weights region, stack
//! usage); dendrite-runtime does it for QEMU's emulated boards, and a real board's HAL plugs in
//! unchanged. The protocol handling is unit-tested on the host against an in-memory serial port
//! (`cargo test-host`).
//!
//! ```
//! use dendrite_core::protocol::{decode, encode, ModelStatus, Request, Response};
//! use dendrite_core::format::DecodeError;
//! use dendrite_firmware::{network, Buffers, NoPin, Platform, Server};
//!
//! struct Host;
//! impl Platform for Host {
//!     const TICK_HZ: u32 = 1;
//!     fn ticks(&mut self) -> u32 { 0 }
//!     fn weights(&self) -> &'static [u8] { &[0xFF; 64] } // erased flash: no model
//! }
//!
//! let mut buffers = Buffers::new();
//! let mut server = Server::new(&mut buffers, "doc", &Host);
//! let mut wire = [0u8; network::FRAME];
//! let mut reply = Vec::new();
//! for &byte in encode(&Request::Info, &mut wire).unwrap() {
//!     if let Some(frame) = server.feed(byte, &mut Host, &mut NoPin) {
//!         reply.extend_from_slice(frame);
//!     }
//! }
//! let Response::Info(info) = decode(&mut reply[..]).unwrap() else { panic!() };
//! assert_eq!(usize::from(info.architecture.input), network::INPUT);
//! assert_eq!(info.model, ModelStatus::Invalid(DecodeError::Empty));
//! ```
#![no_std]
#![forbid(unsafe_code)]

mod classifier;
#[cfg(target_os = "none")]
mod runtime_platform;
mod serial;
pub mod server;

pub use classifier::{Classifier, Loaded};
#[cfg(target_os = "none")]
pub use runtime_platform::RuntimePlatform;
pub use serial::SplitSerial;
pub use server::{NoPin, Platform};

/// The link's buffers for the firmware's network: frames of [`network::FRAME`] bytes, inputs of
/// [`network::INPUT`] values.
pub type Buffers = server::Buffers<{ network::FRAME }, { network::INPUT }>;

/// The server of the firmware's network ([`network::Model`], weights read in place from the
/// weights region) over [`Buffers`]; [`server::Server`] serves any [`Classifier`].
pub type Server<'a> = server::Server<'a, network::Model, { network::FRAME }, { network::INPUT }>;

/// The network type of the firmware, generated from the model file's architecture.
pub use dendrite_network as network;

/// The firmware's version, from its Cargo manifest.
pub const VERSION: dendrite_core::protocol::Version = dendrite_core::protocol::Version {
    major: parse_u16(env!("CARGO_PKG_VERSION_MAJOR")),
    minor: parse_u16(env!("CARGO_PKG_VERSION_MINOR")),
    patch: parse_u16(env!("CARGO_PKG_VERSION_PATCH")),
};

/// The network architecture's name (`3-4-2 relu/softmax`) as an array, for the
/// `DENDRITE_ARCHITECTURE` symbol of [`architecture_symbol!`].
// Evaluated at compile time only (a static's initializer), where an index out of range is a
// build error, never a panic; the loop bounds keep them in range anyway.
#[allow(clippy::indexing_slicing)]
pub const fn architecture_name<const N: usize>() -> [u8; N] {
    let name = network::ARCHITECTURE_NAME.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < name.len() {
        out[i] = name[i];
        i += 1;
    }
    out
}

/// Defines the symbol `DENDRITE_ARCHITECTURE` in a board's image: the name of the network
/// architecture it was built for (`3-4-2 relu/softmax`), which `dendrite flash` reads from the
/// ELF to check a model file against the firmware. Invoke once, in the board's binary; the
/// image must refer to the symbol (`core::hint::black_box(&DENDRITE_ARCHITECTURE)` at boot) so
/// the linker keeps it.
#[macro_export]
macro_rules! architecture_symbol {
    () => {
        /// The network architecture this image was built for, as text (`dendrite flash`).
        #[no_mangle]
        #[used]
        pub static DENDRITE_ARCHITECTURE: [u8; $crate::network::ARCHITECTURE_NAME.len()] =
            $crate::architecture_name();
    };
}

/// Parses a decimal number at compile time (saturating: a version never gets that large).
const fn parse_u16(s: &str) -> u16 {
    let mut rest = s.as_bytes();
    let mut value: u16 = 0;
    while let [digit, tail @ ..] = rest {
        value = value
            .saturating_mul(10)
            .saturating_add(digit.saturating_sub(b'0') as u16);
        rest = tail;
    }
    value
}
