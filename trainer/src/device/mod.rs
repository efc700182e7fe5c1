//! Talking to the firmware: the host side of the serial link, over any byte stream.
//!
//! [`Link`] frames [`Request`](dendrite_core::protocol::Request)s and parses
//! [`Response`](dendrite_core::protocol::Response)s with dendrite-core's protocol, over anything
//! that is `std::io::Read + Write`: a real board's serial port, or the emulated UART of a
//! [`Qemu`] run, which starts `qemu-system-arm` with a firmware image and a model file in its
//! weights region. Every wait is bounded: a device that does not answer gives
//! [`LinkError::Timeout`], never a hang.
//!
//! ```no_run
//! use dendrite_trainer::device::{Qemu, QemuOptions};
//! # fn main() -> Result<(), dendrite_trainer::device::LinkError> {
//! let options = QemuOptions::new("firmware/target/thumbv7em-none-eabihf/release/dendrite-firmware")
//!     .model("model.postcard");
//! let mut qemu = Qemu::spawn(&options)?;
//! let prediction = qemu.link().predict(&[0.0, 0.0, 0.0])?;
//! println!("class {:?} with {:?}", prediction.class, prediction.outputs);
//! # Ok(()) }
//! ```

pub mod firmware;
pub mod fit;
pub mod hardware;
mod link;
mod qemu;

pub use firmware::{FirmwareBuild, FirmwareError};
pub use hardware::{Hardware, HARDWARE};
pub use link::{Link, LinkError};
pub use qemu::{board, Board, Qemu, QemuOptions, BOARDS};
