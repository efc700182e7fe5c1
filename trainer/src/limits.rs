//! The largest inputs Dendrite accepts, each checked where the input enters (before any work
//! starts) and named in the error message when exceeded.
//!
//! They are far above what a microcontroller model can use, and low enough that no input can
//! make the trainer allocate more than a few hundred megabytes before it is refused.

/// The largest model file read (64 MiB): sixteen million f32 parameters, more than any
/// microcontroller's flash holds. A larger file (or a device such as `/dev/zero`) is refused
/// before it is read.
pub const MAX_MODEL_FILE_BYTES: u64 = 64 << 20;

/// The most parameters a model may have: what fits in [`MAX_MODEL_FILE_BYTES`] as f32.
pub const MAX_PARAMS: usize = (MAX_MODEL_FILE_BYTES / 4) as usize;

/// The most classes a label column may hold (the device reports a class as a `u16`; a softmax
/// this wide is already far beyond a microcontroller).
pub const MAX_CLASSES: usize = 4096;

/// The longest name (column, class or layer name), in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// The most numbers a data set may hold (features, or one-hot targets: rows × classes): 2^28,
/// one GiB of f32.
pub const MAX_VALUES: usize = 1 << 28;

/// The longest line of a CSV file, in bytes (8 MiB: the widest row a model can take, 65,535
/// values, at 64 bytes each, with room to spare).
pub const MAX_CSV_LINE_BYTES: usize = 8 << 20;

/// The most passes over the training data.
pub const MAX_EPOCHS: usize = 1_000_000;

/// The widest layer (the model file stores widths as `u16`).
pub const MAX_WIDTH: usize = u16::MAX as usize;

/// The most samples the seed generator draws.
pub const MAX_GENERATED_SAMPLES: usize = 10_000_000;

/// The longest input line `dendrite run` reads, in bytes, for a model of `inputs` features: 64
/// bytes per value (any f32 written out in full fits in 48) plus slack for spacing.
pub fn max_line_bytes(inputs: usize) -> usize {
    inputs.saturating_mul(64).saturating_add(4096)
}

/// Checks a user-given name's length; `what` names it in the message (`column`, `class`, …).
///
/// # Errors
/// A one-line message with the limit.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.len() > MAX_NAME_BYTES {
        let head: String = name.chars().take(24).collect();
        return Err(format!(
            "{what} name `{head}…` is {} bytes long; names are at most {MAX_NAME_BYTES} bytes",
            name.len()
        ));
    }
    Ok(())
}

/// The largest Keras file imported (256 MiB): a model of [`MAX_PARAMS`] parameters with its
/// optimizer's state beside the weights.
pub const MAX_KERAS_FILE_BYTES: u64 = 4 * MAX_MODEL_FILE_BYTES;

/// The largest model spec file read (1 MiB).
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// Opens a regular file for reading, refusing anything else (a FIFO, a device, a directory)
/// before opening it: opening a FIFO blocks until something writes to it, and a device such as
/// `/dev/zero` never ends.
///
/// # Errors
/// The I/O error, or one of kind `InvalidInput`: "not a regular file".
pub fn open_regular(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    std::fs::File::open(path)
}

/// Reads a regular file of at most `limit` bytes, refusing anything else (a FIFO, a device
/// such as `/dev/zero`, a larger file) before reading it.
///
/// # Errors
/// The I/O error, or one of kind `InvalidInput` that says which limit was exceeded.
pub fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let file = open_regular(path)?;
    let meta = file.metadata()?;
    let too_large = |len: u64| {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{len} bytes, more than the limit of {} MiB",
                limit as f64 / (1 << 20) as f64
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
