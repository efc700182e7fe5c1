//! Why a model file was refused or could not be written.

use serde::{Deserialize, Serialize};

/// Why a model file was refused. Each reason has its own variant so the host and the firmware
/// can say exactly what is wrong; the enum travels over the serial link as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DecodeError {
    /// There is no model: the bytes are empty or blank (erased flash, all `0xFF` or `0x00`).
    Empty,
    /// The file does not start with the magic `DNDR`: not a Dendrite model.
    WrongMagic,
    /// The file is a Dendrite model of a format version this build cannot read.
    UnsupportedVersion {
        /// The version the file declares.
        found: u16,
    },
    /// The file ends before the model does.
    Truncated,
    /// There are bytes after the model's checksum.
    TrailingBytes,
    /// The stored CRC-32 differs from the one computed over the file: it is corrupted.
    CrcMismatch {
        /// The checksum stored in the file.
        stored: u32,
        /// The checksum of the bytes actually read.
        computed: u32,
    },
    /// The fields do not describe a consistent network (a zero width, too many layers, arrays
    /// whose lengths disagree with the header, an invalid name).
    Malformed,
    /// A weight, bias or standardization value is NaN or infinite.
    NonFinite,
    /// A standardization `std` is zero or negative.
    InvalidNormalization,
    /// The model's architecture differs from the network it is loaded into.
    ArchitectureMismatch,
    /// A layer stores its weights in a type this build cannot run.
    UnsupportedLayer {
        /// The weight type's code in the file.
        dtype: u8,
    },
    /// The model is not at a 4-byte-aligned address, so its weights cannot be read in place.
    Unaligned,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Empty => f.write_str("no model: the data is empty or blank"),
            Self::WrongMagic => f.write_str("not a Dendrite model (wrong magic)"),
            Self::UnsupportedVersion { found } if found < super::OLDEST_VERSION => write!(
                f,
                "model format version {found} is older than this build reads (versions {} to \
                 {}): train or export the model again with this version of Dendrite",
                super::OLDEST_VERSION,
                super::VERSION
            ),
            Self::UnsupportedVersion { found } => write!(
                f,
                "model format version {found} is newer than this build reads (versions {} to \
                 {}): update Dendrite",
                super::OLDEST_VERSION,
                super::VERSION
            ),
            Self::Truncated => f.write_str("model is truncated"),
            Self::TrailingBytes => f.write_str("unexpected bytes after the model's checksum"),
            Self::CrcMismatch { stored, computed } => write!(
                f,
                "model is corrupted: CRC-32 {computed:#010x} does not match the stored {stored:#010x}"
            ),
            Self::Malformed => f.write_str("model is malformed: its fields are inconsistent"),
            Self::NonFinite => f.write_str("model holds a NaN or infinite weight"),
            Self::InvalidNormalization => {
                f.write_str("model's standardization has a zero or negative std")
            }
            Self::ArchitectureMismatch => {
                f.write_str("model's architecture differs from the network it is loaded into")
            }
            Self::UnsupportedLayer { dtype } => match super::DType::from_code(dtype) {
                Some(super::DType::I8) => f.write_str(
                    "model holds int8 layers, but this network runs f32 ones: build it for \
                     the int8 model, or give it an f32 model",
                ),
                Some(super::DType::F32) => f.write_str(
                    "model holds f32 layers, but this network runs int8 ones: build it for \
                     the f32 model, or give it a quantized one (`dendrite quantize`)",
                ),
                None => write!(
                    f,
                    "model holds a layer of weight type {dtype}, which this build cannot run"
                ),
            },
            Self::Unaligned => f.write_str(
                "model is not at a 4-byte-aligned address: its weights cannot be read in place",
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why a model could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is smaller than [`ModelRef::encoded_len`](super::ModelRef::encoded_len).
    BufferTooSmall,
    /// A width is zero or above `u16::MAX`, there are no layers or more than
    /// [`MAX_LAYERS`](super::MAX_LAYERS), or an array's length disagrees with the widths.
    InvalidShape,
    /// A weight, bias or standardization value is NaN or infinite (did training diverge?).
    NonFinite,
    /// A standardization `std` is zero or negative.
    InvalidNormalization,
    /// The class or target names are neither none nor one per output, the feature names
    /// neither none nor one per input, or a name is empty (or holds a line break); an anomaly
    /// model has no labels.
    InvalidLabels,
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "output buffer too small for the model",
            Self::InvalidShape => "layer widths and weight arrays are inconsistent",
            Self::NonFinite => "a weight is NaN or infinite (did training diverge?)",
            Self::InvalidNormalization => "a standardization std is zero or negative",
            Self::InvalidLabels => "names must be one per input (features) or per output (classes, targets), none empty, without line breaks",
        })
    }
}

impl core::error::Error for EncodeError {}
