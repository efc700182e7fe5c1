//! `dendrite-core`: the contract between Dendrite's trainer on the desktop and its firmware on
//! a Cortex-M microcontroller.
//!
//! It holds what both sides must agree on to the bit, and nothing else:
//!
//! - the **model file** ([`format`]): postcard-encoded header, standardization, weights and a
//!   CRC-32, written with [`format::ModelRef`] and validated with [`format::ModelView`];
//! - the **forward pass** ([`kernel`], [`Activation`]): one dense-layer kernel over slices, with
//!   all math through `libm`, used by the host's runtime-shaped model and by the target's
//!   compile-time-shaped [`Network`] (activations as [`act`] types) alike, so both compute the
//!   same bits;
//! - the **serial protocol** ([`protocol`]): the requests and responses the firmware serves.
//!
//! `no_std`, no `unsafe`: it builds for `thumbv7em-none-eabihf` as for the host; `alloc` only with
//! the feature of that name (the host's owned protocol messages).
//!
//! ```
//! use dendrite_core::{kernel, Activation};
//! let mut out = [0.0f32; 2];
//! kernel::dense(&[1.0, 2.0], &[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0], Activation::Softmax, &mut out);
//! assert!(out[1] > out[0]);
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// On the inference path and in everything the firmware runs, errors are values: no panicking
// shortcut outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod activation;
pub mod format;
pub mod kernel;
mod layer;
mod network;
pub mod protocol;
pub mod quant;
mod wire;

pub use activation::{act, Activation};
pub use format::{class_of, destandardize, reconstruction_error};
pub use layer::{Chain, Dense, Layers};
pub use network::Network;
