//! Starting the firmware under `qemu-system-arm` for a scenario, with a timeout on every wait.

use dendrite_link::{Qemu, QemuBoard, QemuOptions, QEMU_BOARDS};
use std::io::Write;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::time::Duration;

/// How long any one response may take. Generous, because the two cores of a CI machine are
/// shared with parallel tests; a hung firmware still fails the test instead of hanging it.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// A running emulator with the model file it was given, kept alive as long as QEMU runs.
/// Dropping it kills QEMU.
pub struct Emulator {
    qemu: Qemu,
    _model: Option<tempfile::NamedTempFile>,
}

impl Deref for Emulator {
    type Target = Qemu;
    fn deref(&self) -> &Qemu {
        &self.qemu
    }
}

impl DerefMut for Emulator {
    fn deref_mut(&mut self) -> &mut Qemu {
        &mut self.qemu
    }
}

/// Boots `firmware` with the model file `model` in its weights region (or an erased region).
///
/// # Panics
/// When QEMU cannot start, with the reason.
pub fn boot(firmware: &Path, model: Option<&Path>) -> Emulator {
    boot_on(QEMU_BOARDS[0], firmware, model)
}

/// Boots `firmware`, built for `board`, on that emulated board, with `model` in its weights
/// region (or an erased region).
///
/// # Panics
/// When QEMU cannot start, with the reason.
pub fn boot_on(board: QemuBoard, firmware: &Path, model: Option<&Path>) -> Emulator {
    let mut options = QemuOptions::new(firmware).board(board).icount(true);
    options.timeout = RESPONSE_TIMEOUT;
    if let Some(model) = model {
        options = options.model(model);
    }
    match Qemu::spawn(&options) {
        Ok(qemu) => Emulator { qemu, _model: None },
        Err(e) => panic!("cannot start the firmware under QEMU: {e}"),
    }
}

/// Boots `firmware` with `bytes` in its weights region (written to a temporary file).
///
/// # Panics
/// When the file cannot be written or QEMU cannot start.
pub fn boot_with_bytes(firmware: &Path, bytes: &[u8]) -> Emulator {
    boot_on_with_bytes(QEMU_BOARDS[0], firmware, bytes)
}

/// [`boot_with_bytes`] on `board`.
///
/// # Panics
/// When the file cannot be written or QEMU cannot start.
pub fn boot_on_with_bytes(board: QemuBoard, firmware: &Path, bytes: &[u8]) -> Emulator {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(bytes).expect("writing the temporary model");
    file.flush().expect("flushing the temporary model");
    let mut emulator = boot_on(board, firmware, Some(file.path()));
    emulator._model = Some(file);
    emulator
}
