//! The model file: what `dendrite train` writes and the firmware reads from its weights region.
//!
//! # Layout (format versions 2 and 3)
//!
//! A postcard-encoded header, an aligned data section of raw little-endian arrays, a CRC-32:
//!
//! | field | postcard type | meaning |
//! |---|---|---|
//! | magic | `[u8; 4]` | `b"DNDR"` |
//! | version | `u16` (varint) | [`VERSION`] |
//! | input | `u16` (varint) | input width |
//! | features | `str` | input feature names joined by `'\n'`, empty when unnamed |
//! | layers | `seq<(u16, Activation, str, u8)>` | per layer: units, activation (enum index), name, [`DType`] |
//! | task | `u8` | [`Task`]: 0 classification, 1 regression, 2 anomaly detection |
//! | labels | `str` | class names (classification) or target names (regression) joined by `'\n'`; may be empty |
//! | threshold | `f32` | anomaly threshold on the reconstruction error; 0 for the other tasks |
//! | padding | `bytes` | 0 to 3 zero bytes, so that the data section starts at an offset divisible by 4 |
//! | data | raw | 4-byte little-endian words, in order: mean, std (`input` f32 each); per layer, an f32 layer's kernel (`units × fan_in`, row-major) and bias (`units`), or an int8 layer's words ([`Int8View`], layout in its module); for regression the targets' mean and std (`output` f32 each) |
//! | crc | 4 bytes, little-endian | CRC-32 (ISO-HDLC, as zlib) of every byte before it |
//!
//! The header says how long every array is, so the data section carries no lengths. Because it
//! starts at an offset divisible by 4 and holds only 4-byte values, a model file stored at a
//! 4-byte-aligned address (a flash sector, [`Aligned`] around `include_bytes!`)
//! has every array aligned: [`F32s::as_slice`] then hands the weights out in place, with no copy
//! into RAM.
//!
//! Version 1 files (unaligned weights, no feature names, no task) are refused with
//! [`DecodeError::UnsupportedVersion`]; re-export them from the trainer.
//!
//! # Versions 2 and 3
//!
//! The two lay a file out alike; they differ in the activations a layer may have. Version 2
//! knows the first five of [`Activation::ALL`] (indexes 0 to 4: linear, relu, sigmoid, tanh,
//! softmax), version 3 all of them (relu6, leaky_relu, elu, selu, softplus, softsign, silu,
//! gelu, hard_sigmoid, hard_silu, exponential follow, in that order). The writer puts the
//! oldest version that holds the model in the header ([`version_of`] its layers' activations),
//! so a model of the five old activations is still a version 2 file, byte for byte, and firmware
//! built before version 3 keeps reading it; a model with a new activation is a version 3 file,
//! which such firmware refuses with [`DecodeError::UnsupportedVersion`] ("newer than this build
//! reads: update Dendrite") before it looks at a layer, rather than as a malformed file. This
//! build reads both; a version 2 header over a newer activation, or an activation index past
//! [`Activation::ALL`], is [`DecodeError::Malformed`]. An int8 layer takes linear, relu and
//! relu6 (a clamp), sigmoid and tanh (a table) and softmax; any other is `Malformed`.
//!
//! The serial protocol carries activations too, in [`DeviceInfo`](crate::protocol::DeviceInfo)'s
//! architecture, as the same enum index, and keeps its version
//! ([`PROTOCOL_VERSION`](crate::protocol::PROTOCOL_VERSION) 4): no message's layout changed,
//! a device built before version 3 never sends a new index, and this host reads every index.
//! A host built before version 3 cannot decode the description of a device whose network has
//! a new activation (it refuses the answer as a bad frame): firmware and host come from the
//! same Dendrite, and the model file itself is refused by version first.
//!
//! Writing goes through [`ModelRef`] (borrowed slices, works without `alloc`); reading through
//! [`ModelView`], which validates everything before handing out a single float.

mod decode;
mod encode;
mod error;
mod int8;
mod task;

pub use decode::{LayerView, LayerViews, ModelView};
pub use encode::{LayerRef, ModelRef};
pub use error::{DecodeError, EncodeError};
pub use int8::{I32s, Int8LayerRef, Int8View};
pub use task::{class_of, destandardize, reconstruction_error, DType, Reconstruction, Task};

use crate::Activation;
use serde::{Deserialize, Serialize};

/// The first four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"DNDR";
/// The newest format version this crate reads and writes: 3, version 2 with the activations
/// after softmax in [`Activation::ALL`]. A file is written in the oldest version that holds its
/// activations ([`version_of`]).
pub const VERSION: u16 = 3;
/// The oldest format version this crate reads.
pub const OLDEST_VERSION: u16 = 2;

/// The oldest format version whose files may hold `activation`: 2 for linear, relu, sigmoid,
/// tanh and softmax, 3 for the others.
pub const fn version_of(activation: Activation) -> u16 {
    if activation.is_v2() {
        2
    } else {
        3
    }
}
/// The most layers a model file may hold (each with its activation).
pub const MAX_LAYERS: usize = 16;

/// Bytes at a 4-byte-aligned address: wrap `include_bytes!` in it so a model compiled into the
/// program has its weights aligned, and [`F32s::as_slice`] reads them in place.
///
/// ```
/// use dendrite_core::format::Aligned;
/// static MODEL: &Aligned<[u8]> = &Aligned(*b"DNDR");
/// assert_eq!(MODEL.0.as_ptr() as usize % 4, 0);
/// ```
#[repr(C, align(4))]
#[derive(Debug)]
pub struct Aligned<B: ?Sized>(pub B);

/// The CRC-32 of model files: ISO-HDLC, the one zlib and `cksum -o3` compute.
///
/// Bitwise rather than table-driven: a model is a few hundred bytes, checked once at boot, and a
/// lookup table would cost the target 1 KiB of flash.
const CRC: crc::Crc<u32, crc::NoTable> = crc::Crc::<u32, crc::NoTable>::new(&crc::CRC_32_ISO_HDLC);

/// Computes the model file checksum of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    CRC.checksum(bytes)
}

/// Whether `labels` names the classes of a model with `output` units: no names, one per output,
/// or two for a single sigmoid output (binary classification); no name empty.
fn labels_fit(labels: &[u8], output: u16) -> bool {
    names_fit(labels, output) || (output == 1 && names_fit(labels, 2))
}

/// Whether `names` (joined by `'\n'`) is empty or exactly `wanted` non-empty names.
fn names_fit(names: &[u8], wanted: u16) -> bool {
    if names.is_empty() {
        return true;
    }
    // Bytes, not `str::split`: the firmware checks this at boot, and a byte loop is a few
    // instructions where the string searcher is hundreds of bytes of flash.
    let (mut count, mut previous, mut empty_name) = (1usize, b'\n', false);
    for &b in names {
        if b == b'\n' {
            count += 1;
            empty_name |= previous == b'\n';
        }
        previous = b;
    }
    empty_name |= previous == b'\n';
    count == usize::from(wanted) && !empty_name
}

/// One layer of the header: its width, activation and (Keras) name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSpec<'a> {
    /// Number of units (outputs) of the layer.
    pub units: u16,
    /// The activation applied to the layer's outputs.
    pub activation: Activation,
    /// The layer's name, as shown by `summary()` (`"Dense1"`).
    pub name: &'a str,
}

/// The shape of a network: input width, then each layer's width and activation.
///
/// This is what must agree between a model file and the firmware's compiled network type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// Input width.
    pub input: u16,
    /// Each layer's width and activation, input side first.
    pub layers: heapless::Vec<(u16, Activation), MAX_LAYERS>,
}

impl Architecture {
    /// The number of outputs of the last layer (the input width for an empty network).
    pub fn output(&self) -> u16 {
        self.layers.last().map_or(self.input, |&(units, _)| units)
    }

    /// Number of trainable parameters (weights and biases).
    pub fn param_count(&self) -> usize {
        let mut fan_in = usize::from(self.input);
        let mut total = 0;
        for &(units, _) in &self.layers {
            let units = usize::from(units);
            total += (fan_in + 1) * units;
            fan_in = units;
        }
        total
    }
}

/// `3-4-2 relu/softmax`: widths joined by `-`, then the activations joined by `/`.
impl core::fmt::Display for Architecture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.input)?;
        for (units, _) in &self.layers {
            write!(f, "-{units}")?;
        }
        for (i, (_, activation)) in self.layers.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { "/" })?;
            f.write_str(activation.name())?;
        }
        Ok(())
    }
}

/// Little-endian `f32`s borrowed from a model file's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F32s<'a>(&'a [u8]);

impl<'a> F32s<'a> {
    /// The floats in place, without a copy, when the bytes are 4-byte aligned in memory (a model
    /// file at an aligned address: see [the layout](self)) and the machine is little-endian
    /// (every Cortex-M target and x86_64); `None` otherwise, where [`iter`](Self::iter) still
    /// reads them.
    pub fn as_slice(&self) -> Option<&'a [f32]> {
        if cfg!(target_endian = "little") {
            bytemuck::try_cast_slice(self.0).ok()
        } else {
            None
        }
    }

    /// The raw little-endian bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Number of floats.
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }

    /// Whether there are no floats.
    pub fn is_empty(&self) -> bool {
        self.0.len() < 4
    }

    /// The floats, in file order.
    pub fn iter(&self) -> impl Iterator<Item = f32> + 'a {
        self.0
            .as_chunks::<4>()
            .0
            .iter()
            .map(|b| f32::from_le_bytes(*b))
    }

    /// Copies the floats into `out`, which must have exactly [`len`](Self::len) elements.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureMismatch`] when the lengths differ (nothing is copied then).
    pub fn copy_to(&self, out: &mut [f32]) -> Result<(), DecodeError> {
        if out.len() != self.len() {
            return Err(DecodeError::ArchitectureMismatch);
        }
        for (o, v) in out.iter_mut().zip(self.iter()) {
            *o = v;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
