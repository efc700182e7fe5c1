//! `dendrite-core`: a model trained by Dendrite, inside your own `no_std` firmware, and the
//! contract between Dendrite's trainer on the desktop and the microcontroller.
//!
//! # Use it in your firmware
//!
//! With the feature `macros`, one line turns a model file into a type, at compile time (a
//! missing or invalid file is a compile error naming the file and the reason). The weights stay
//! where the program is, in flash, and the forward pass reads them in place: the network's RAM
//! is its activations.
//!
//! ```toml
//! [dependencies]
//! dendrite-core = { path = "../dendrite/shared", features = ["macros"] }
//! ```
//!
//! On a Cortex-M the program is `#![no_std]`, `#![no_main]` and `main` is `#[entry]`
//! (`examples/firmware-app` in the repository is a whole application); the rest is the same as
//! this host version:
//!
#![cfg_attr(feature = "macros", doc = "```")]
#![cfg_attr(not(feature = "macros"), doc = "```ignore")]
//! // The model, compiled in: a type `Gender` with INPUT = 3, OUTPUT = 2, CLASSES, MEAN, STD…
//! dendrite_core::model!(Gender, "../firmware/models/seed.postcard");
//!
//! static MODEL: Gender = Gender::new(); // weights in flash, read in place
//!
//! fn main() {
//!     for _ in 0..3 {
//!         let x: [f32; Gender::INPUT] = read_sensors();
//!         let outputs = MODEL.predict(&x); // [f32; Gender::OUTPUT], the host's bits
//!         let class = MODEL.class(&outputs); // Dendrite's class rule
//!         show(Gender::CLASSES[class]);
//!     }
//! }
//!
//! fn read_sensors() -> [f32; Gender::INPUT] {
//!     [0.4, 1.2, -0.3] // your board's ADC, I2C, SPI… reads
//! }
//!
//! fn show(label: &str) {
//!     assert!(label == "female" || label == "male"); // your board's display, LED, UART…
//! }
//! ```
//!
//! To replace the model without rebuilding, build in only its architecture (`region`) and read
//! the weights from a flash region that `dendrite flash` rewrites, validated at start-up:
//!
#![cfg_attr(feature = "macros", doc = "```")]
#![cfg_attr(not(feature = "macros"), doc = "```ignore")]
//! use dendrite_core::format::{Aligned, DecodeError};
//!
//! dendrite_core::model!(Gender, "../firmware/models/seed.postcard", region);
//!
//! // On a board, the region is a slice over the flash sector the linker script reserves.
//! static REGION: &Aligned<[u8]> = &Aligned(*include_bytes!("../../firmware/models/seed.postcard"));
//!
//! let model = Gender::from_region(&REGION.0)?; // magic, version, checksum, architecture
//! let outputs = model.predict(&[0.4, 1.2, -0.3]);
//! assert!(model.class(&outputs) < Gender::OUTPUT);
//! # Ok::<(), DecodeError>(())
//! ```
//!
//! A file that cannot be read, or is not a valid model, does not compile:
//!
#![cfg_attr(feature = "macros", doc = "```compile_fail")]
#![cfg_attr(not(feature = "macros"), doc = "```ignore")]
//! // error: model file `../firmware/models/none.postcard` cannot be read: No such file or directory (os error 2)
//! dendrite_core::model!(Missing, "../firmware/models/none.postcard");
//! ```
//!
//! [`model!`](crate::model) generates a [`NetworkRef`] over [`DenseRef`] layers; they can also
//! be written by hand, as can [`Network`], whose layers own their weights (in RAM). For an int8
//! model file (`dendrite quantize`, `dendrite import` of a TFLite int8 model) it generates an
//! [`Int8NetworkRef`] over [`Int8DenseRef`] layers, with the same `predict` and class rule:
//! the weights stay int8 in flash, the layers run TensorFlow Lite's integer kernels
//! ([`quant`]), bit for bit the host's. A target with faster instructions plugs its own inner
//! products in through [`quant::Dot`].
//!
//! # What else is here
//!
//! It holds what the trainer and the device must agree on to the bit:
//!
//! - the **model file** ([`format`]): postcard-encoded header, standardization, weights and a
//!   CRC-32, written with [`format::ModelRef`] and validated with [`format::ModelView`];
//! - the **forward pass** ([`kernel`], [`Activation`]): one dense-layer kernel over slices, with
//!   all math through `libm`, used by the host's runtime-shaped model and by the target's
//!   compile-time-shaped networks (activations as [`act`] types) alike, so both compute the
//!   same bits;
//! - the **serial protocol** ([`protocol`]): the requests and responses Dendrite's firmware
//!   serves.
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
mod int8_ref;
mod int8_words;
pub mod kernel;
mod layer;
mod layer_ref;
mod network;
mod network_ref;
pub mod protocol;
pub mod quant;
mod wire;

pub use activation::{act, Activation, LEAKY_RELU_SLOPE, SELU_SCALE, SELU_SCALE_ALPHA};
pub use format::{class_of, destandardize, reconstruction_error, Reconstruction};
pub use int8_ref::{Int8ChainRef, Int8DenseRef, Int8LayersRef, Int8NetworkRef, Int8Params};
pub use int8_words::{int8_layer_words, Int8WordsChainRef, Int8WordsRef};
pub use layer::{Chain, Dense, Layers};
pub use layer_ref::{ChainRef, DenseRef, LayersRef};
pub use network::Network;
pub use network_ref::NetworkRef;

#[cfg(feature = "macros")]
pub use dendrite_macros::model;
