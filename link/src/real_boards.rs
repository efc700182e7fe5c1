//! The real boards the firmware is built for (they run on silicon, not under QEMU): where their
//! crates are, what chip probe-rs flashes, where their weights region is; building them and
//! reading the architecture a firmware image was built for.
//!
//! Each board is a binary crate in `firmware/boards/<name>/` that plugs its HAL's UART and LED
//! into the unchanged application. Its image records the network architecture it was built for
//! in the symbol `DENDRITE_ARCHITECTURE` (the text `3-4-2 relu/softmax`), so a model file can be
//! checked against an image before it is flashed beside it.

use crate::firmware::{FirmwareError, FirmwareSource};
use object::{Object, ObjectSection, ObjectSymbol};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A board people buy, with its flash layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealBoard {
    /// The board's name (`--board`), also its crate's directory under `firmware/boards/`.
    pub name: &'static str,
    /// What it is, for people.
    pub title: &'static str,
    /// The core.
    pub core: &'static str,
    /// The emulated board with the same core and build settings (its instruction counts apply).
    pub like: &'static str,
    /// The Rust target.
    pub target: &'static str,
    /// probe-rs' name for the chip (`probe-rs chip list`).
    pub chip: &'static str,
    /// Start of the WEIGHTS region in the board's `memory.x`: a flash sector of its own.
    pub weights_addr: u32,
    /// Size of the WEIGHTS region, in bytes.
    pub weights_len: u32,
    /// Size of the RAM region in the board's `memory.x`, in bytes.
    pub ram_len: u32,
}

impl RealBoard {
    /// The real board of the firmware's board table (`dendrite_boards`); a board that is not
    /// one (no probe-rs chip, no emulated twin) is a compile error where this is evaluated.
    pub const fn from_table(b: &dendrite_boards::Board) -> Self {
        let (Some(chip), Some(like)) = (b.probe_chip, b.like) else {
            panic!("not a real board")
        };
        Self {
            name: b.name,
            title: b.title,
            core: b.core,
            like,
            target: b.target,
            chip,
            weights_addr: b.weights.origin,
            weights_len: b.weights.length,
            ram_len: b.ram.length,
        }
    }
}

/// The real boards, as built by `cargo xtask test` (from the board table).
pub const REAL_BOARDS: &[RealBoard] = &[
    RealBoard::from_table(&dendrite_boards::NUCLEO_F411RE),
    RealBoard::from_table(&dendrite_boards::NRF52840_DK),
    RealBoard::from_table(&dendrite_boards::RP_PICO),
];

/// The real board called `name`.
pub fn real_board(name: &str) -> Option<&'static RealBoard> {
    REAL_BOARDS.iter().find(|h| h.name == name)
}

impl RealBoard {
    /// What the board offers a model: its weights region and RAM.
    pub fn budget(&self) -> crate::fit::Budget {
        crate::fit::Budget {
            board: self.name,
            weights_len: self.weights_len,
            ram_len: self.ram_len,
        }
    }

    /// The board's crate directory in the firmware sources.
    pub fn dir(&self, source: &FirmwareSource) -> PathBuf {
        source.dir().join("boards").join(self.name)
    }

    /// The firmware ELF `cargo build --release` in the board's directory leaves in the firmware
    /// workspace's target directory.
    pub fn elf(&self, source: &FirmwareSource) -> PathBuf {
        source
            .dir()
            .join("target")
            .join(self.target)
            .join("release")
            .join(format!("dendrite-{}", self.name))
    }

    /// Builds the board's firmware from `source` for the committed seed model's architecture
    /// (`cargo build --release` in its directory) and returns the ELF. `quiet` captures cargo's
    /// output (shown on failure).
    ///
    /// # Errors
    /// Missing sources or a failed build.
    pub fn build(&self, source: &FirmwareSource, quiet: bool) -> Result<PathBuf, FirmwareError> {
        build(self, source, quiet)
    }
}

fn build(hw: &RealBoard, source: &FirmwareSource, quiet: bool) -> Result<PathBuf, FirmwareError> {
    let dir = hw.dir(source);
    FirmwareSource::check(&dir)?;
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // No DENDRITE_MODEL: the seed architecture, as a build by hand (the emulated boards' default
    // builds share the network crate's build, so nothing is rebuilt between them).
    cmd.current_dir(&dir)
        .args(["build", "--release"])
        .env_remove("DENDRITE_MODEL");
    let command = format!("cargo build --release (in {})", dir.display());
    if quiet {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let output = cmd.output().map_err(|e| FirmwareError::Build {
        command: command.clone(),
        output: e.to_string(),
    })?;
    if !output.status.success() {
        return Err(FirmwareError::Build {
            command,
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(hw.elf(source))
}

/// Why an image's architecture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The image.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Not an ELF file, or not a Dendrite firmware image.
    #[error("{path}: {reason}")]
    Invalid {
        /// The image.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The network architecture a firmware ELF was built for, as text (`3-4-2 relu/softmax`): the
/// bytes of its `DENDRITE_ARCHITECTURE` symbol.
///
/// # Errors
/// An unreadable file, not an ELF, or an image without the symbol.
pub fn image_architecture(elf: &Path) -> Result<String, ImageError> {
    let invalid = |reason: String| ImageError::Invalid {
        path: elf.to_owned(),
        reason,
    };
    let bytes = std::fs::read(elf).map_err(|source| ImageError::Io {
        path: elf.to_owned(),
        source,
    })?;
    let file =
        object::File::parse(&*bytes).map_err(|e| invalid(format!("not an ELF file: {e}")))?;
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok("DENDRITE_ARCHITECTURE"))
        .ok_or_else(|| {
            invalid("no DENDRITE_ARCHITECTURE symbol: not a Dendrite firmware image".into())
        })?;
    let section = symbol
        .section_index()
        .and_then(|i| file.section_by_index(i).ok())
        .ok_or_else(|| invalid("DENDRITE_ARCHITECTURE is in no section".into()))?;
    let data = section
        .data_range(symbol.address(), symbol.size())
        .ok()
        .flatten()
        .ok_or_else(|| invalid("DENDRITE_ARCHITECTURE's bytes are not in the file".into()))?;
    String::from_utf8(data.to_vec())
        .map_err(|_| invalid("DENDRITE_ARCHITECTURE is not text".into()))
}
