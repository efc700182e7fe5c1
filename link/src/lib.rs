//! `dendrite-link`: the host side of the link to a device running Dendrite's firmware. It
//! speaks dendrite-core's serial protocol, starts the firmware under `qemu-system-arm`
//! ([`Qemu`], on a [`QemuBoard`]), opens a real board's serial port ([`open_serial`], a
//! [`RealBoard`]), builds firmware images from sources it is given ([`FirmwareSource`],
//! [`firmware`]) and writes model files with probe-rs ([`probe_rs`]). It knows model files only
//! through dendrite-core, never through the trainer.
//!
//! [`Link`] frames [`Request`](dendrite_core::protocol::Request)s and parses
//! [`Response`](dendrite_core::protocol::Response)s with dendrite-core's protocol, over anything
//! that is `std::io::Read + Write`: a real board's serial port, or the emulated UART of a
//! [`Qemu`] run, which starts `qemu-system-arm` with a firmware image and a model file in its
//! weights region. Every wait is bounded: a device that does not answer gives
//! [`LinkError::Timeout`], never a hang.
//!
//! ```no_run
//! use dendrite_link::{Qemu, QemuOptions};
//! # fn main() -> Result<(), dendrite_link::LinkError> {
//! let options = QemuOptions::new("firmware/target/thumbv7em-none-eabihf/release/dendrite-firmware")
//!     .model("model.postcard");
//! let mut qemu = Qemu::spawn(&options)?;
//! let prediction = qemu.link().predict(&[0.0, 0.0, 0.0])?;
//! println!("class {:?} with {:?}", prediction.class, prediction.outputs);
//! # Ok(()) }
//! ```

pub mod firmware;
pub mod fit;
mod link;
pub mod probe_rs;
mod qemu;
mod real_boards;
mod serial;

pub use firmware::{FirmwareBuild, FirmwareError, FirmwareSource};
pub use link::{Link, LinkError};
pub use qemu::{qemu_board, Qemu, QemuBoard, QemuOptions, Uart, QEMU_BOARDS};
pub use real_boards::{image_architecture, real_board, ImageError, RealBoard, REAL_BOARDS};
pub use serial::{open_serial, SerialPort};
