//! Finding or building the firmware image that runs a given model file.
//!
//! The firmware's network type is generated at build time from a model's architecture and
//! weight type, f32 or int8 (`DENDRITE_MODEL`, see `firmware/README.md`); its weights are read
//! at run time. So an f32 model with the default architecture (the committed seed model's) runs
//! on the default build, and any other architecture or an int8 model gets a build of its own,
//! reused by every model of that architecture and weight type.
//!
//! Every build compiles into one cargo target directory, the firmware workspace's `target/`,
//! so the dependencies (cortex-m, heapless, postcard, dendrite-core, the proc-macro and
//! build-script host crates…) are compiled once per target and CPU, not once per image: only
//! the network crate and the application depend on the model, and cargo recompiles just those
//! when `DENDRITE_MODEL` names another file. Since the next build overwrites cargo's output,
//! each image is copied to a directory of its own, `target/firmware-cache/<key>/` at the
//! checkout's root ([`FirmwareBuild::image_dir`]), under a lock that serializes builds and
//! copies across threads and processes.
//!
//! The firmware sources are wherever the caller says ([`FirmwareSource`]): the command line
//! passes the checkout named by [`FIRMWARE_DIR_ENV`] (`DENDRITE_FIRMWARE_DIR`), else the one it
//! was built from. The environment variable [`FIRMWARE_ENV`] (`DENDRITE_FIRMWARE`) names a ready
//! firmware ELF instead, for a firmware built by hand.

use super::QemuBoard;
use dendrite_core::format::{Architecture, DType, ModelView};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variable naming a firmware ELF to use instead of building one.
pub const FIRMWARE_ENV: &str = "DENDRITE_FIRMWARE";

/// Environment variable naming the firmware sources: the `firmware/` directory of a Dendrite
/// checkout.
pub const FIRMWARE_DIR_ENV: &str = "DENDRITE_FIRMWARE_DIR";

/// Where the firmware's sources are: the `firmware/` directory of a Dendrite checkout. Builds run
/// there and compile into its `target/`; their images are kept in the checkout's
/// `target/firmware-cache/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmwareSource {
    dir: PathBuf,
}

impl FirmwareSource {
    /// The firmware sources in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The sources [`FIRMWARE_DIR_ENV`] names when it is set, otherwise `default` (for a
    /// program, the checkout it was built from).
    pub fn locate(default: impl Into<PathBuf>) -> Self {
        match std::env::var_os(FIRMWARE_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Self::new(dir),
            _ => Self::new(default),
        }
    }

    /// The `firmware/` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the sources are there.
    pub fn exists(&self) -> bool {
        self.dir.join("Cargo.toml").is_file()
    }

    /// The committed model the default firmware's architecture comes from.
    pub fn seed_model(&self) -> PathBuf {
        self.dir.join("models/seed.postcard")
    }

    /// The cargo target directory every firmware build compiles into: the firmware workspace's
    /// own `target/`, shared by all boards, models and features (cargo keeps each target
    /// triple's, CPU's and feature set's compiled crates apart).
    pub fn target_dir(&self) -> PathBuf {
        self.dir.join("target")
    }

    /// Where the images are kept, one directory per build ([`FirmwareBuild::image_dir`]): the
    /// checkout's `target/firmware-cache/`.
    pub fn cache_dir(&self) -> PathBuf {
        let checkout = self.dir.parent().unwrap_or(&self.dir);
        checkout.join("target/firmware-cache")
    }

    /// [`FirmwareError::NoSources`] unless the crate in `dir` (the sources or a board's
    /// directory within them) is there.
    pub(crate) fn check(dir: &Path) -> Result<(), FirmwareError> {
        if dir.join("Cargo.toml").is_file() {
            Ok(())
        } else {
            Err(FirmwareError::NoSources(dir.to_owned()))
        }
    }
}

/// Why no firmware image could be had.
#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The model file is not a valid Dendrite model.
    #[error("{path}: {source}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// Why it was refused.
        source: dendrite_core::format::DecodeError,
    },
    /// The firmware sources are not where they were looked for.
    #[error(
        "the firmware sources are not at {0}: set {FIRMWARE_DIR_ENV} to the firmware/ directory \
         of a Dendrite checkout, or {FIRMWARE_ENV} to a firmware ELF built for this model's \
         architecture"
    )]
    NoSources(PathBuf),
    /// `cargo build` of the firmware failed.
    #[error("building the firmware failed: `{command}`\n{output}")]
    Build {
        /// The command that failed.
        command: String,
        /// What it printed (when captured).
        output: String,
    },
}

/// One firmware build: which architecture, which features, which board, and the directory its
/// image is kept in.
#[derive(Clone, Debug)]
pub struct FirmwareBuild {
    /// The firmware sources.
    pub source: FirmwareSource,
    /// The model whose architecture the network type is generated from (`DENDRITE_MODEL`);
    /// `None` for the committed seed model.
    pub model: Option<PathBuf>,
    /// Cargo features of the firmware (`fault-injection`).
    pub features: Vec<String>,
    /// The board it runs on.
    pub board: QemuBoard,
    /// Where the image is copied once built, its own for each board, features and model
    /// architecture (cargo's output in the shared target directory is the latest build's only).
    pub image_dir: PathBuf,
    /// Capture cargo's output (shown only on failure) instead of passing it through.
    pub quiet: bool,
}

impl FirmwareBuild {
    /// The default build: the seed architecture, its image in `target/firmware-cache/<board>-seed/`.
    pub fn default_for(source: &FirmwareSource, board: QemuBoard) -> Self {
        Self::seed(source, board, Vec::new())
    }

    /// The build whose `ForceFault` request really faults, its image in
    /// `target/firmware-cache/<board>-seed-fault-injection/`, so that it never replaces the
    /// default image.
    pub fn fault_injection(source: &FirmwareSource, board: QemuBoard) -> Self {
        Self::seed(source, board, vec!["fault-injection".into()])
    }

    fn seed(source: &FirmwareSource, board: QemuBoard, features: Vec<String>) -> Self {
        Self {
            image_dir: source.cache_dir().join(image_key(board, None, &features)),
            source: source.clone(),
            model: None,
            features,
            board,
            quiet: true,
        }
    }

    /// The cargo command line of this build, run in `firmware/`.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(self.source.dir())
            .args(["build", "--release", "--target", self.board.target])
            .arg("--target-dir")
            .arg(self.source.target_dir());
        let mut features = vec![self.board.feature()];
        features.extend(self.features.iter().cloned());
        cmd.args(["--features", &features.join(",")]);
        if let Some(cpu) = self.board.target_cpu {
            // Appended to the target's rustflags in firmware/.cargo/config.toml: the later
            // `-C target-cpu` wins. (Cargo reads a triple's dots as table separators, unquoted,
            // as the config file writes them.) Other rustflags give other file names to every
            // crate compiled with them, so this CPU's crates sit beside the default CPU's in
            // the shared target directory instead of replacing them.
            let target = self.board.target;
            cmd.arg("--config").arg(format!(
                "target.{target}.rustflags=['-C', 'target-cpu={cpu}']"
            ));
        }
        match &self.model {
            Some(model) => cmd.env("DENDRITE_MODEL", model),
            None => cmd.env_remove("DENDRITE_MODEL"),
        };
        cmd
    }

    /// Where cargo leaves the ELF image: in the shared target directory, until the next build.
    pub fn cargo_output(&self) -> PathBuf {
        self.source
            .target_dir()
            .join(self.board.target)
            .join("release/dendrite-firmware")
    }

    /// Where the image is kept once built: `dendrite-firmware` in [`image_dir`](Self::image_dir).
    pub fn elf(&self) -> PathBuf {
        self.image_dir.join("dendrite-firmware")
    }

    /// Runs `cargo build --release` in `firmware/` (a no-op when nothing changed) and copies the
    /// image to [`elf`](Self::elf), which it returns. Builds in any thread or process that
    /// share the target directory take turns (a lock file beside it), so the image copied is
    /// always this build's.
    ///
    /// # Errors
    /// [`FirmwareError::NoSources`] without the firmware sources, [`FirmwareError::Build`] when
    /// cargo fails, [`FirmwareError::Io`] when the lock or the copy fails.
    pub fn build(&self) -> Result<PathBuf, FirmwareError> {
        FirmwareSource::check(self.source.dir())?;
        let _lock = BuildLock::take(&self.source.target_dir())?;
        run(&mut self.command(), self.quiet)?;
        let elf = self.elf();
        copy_atomically(&self.cargo_output(), &elf)?;
        Ok(elf)
    }
}

/// An exclusive lock on `dendrite-build.lock` in a target directory, released on drop (the
/// operating system releases it too when the process dies).
struct BuildLock(std::fs::File);

impl BuildLock {
    fn take(target_dir: &Path) -> Result<Self, FirmwareError> {
        std::fs::create_dir_all(target_dir).map_err(io_error(target_dir))?;
        let path = target_dir.join("dendrite-build.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error(&path))?;
        file.lock().map_err(io_error(&path))?;
        Ok(Self(file))
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        // Closing the file would release it as well; an error here leaves nothing to undo.
        let _ = self.0.unlock();
    }
}

/// An [`FirmwareError::Io`] about `path`.
fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> FirmwareError {
    let path = path.to_owned();
    move |source| FirmwareError::Io { path, source }
}

/// Copies `from` to `to` under a name unique to this process and call, then renames it: a
/// reader (a QEMU started by another test) sees the old file or the new one, never half of one.
fn copy_atomically(from: &Path, to: &Path) -> Result<(), FirmwareError> {
    static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let name = to
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let copy = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = dir.join(format!(".{name}.{}.{copy}.tmp", std::process::id()));
    std::fs::copy(from, &partial).map_err(io_error(from))?;
    std::fs::rename(&partial, to).map_err(io_error(to))
}

/// A firmware ELF that runs `model` on `board`: the one named by [`FIRMWARE_ENV`] if set,
/// otherwise the default build for the seed architecture, otherwise a build for the model's
/// architecture, cached under `target/firmware-cache/`, all from the sources in `source`.
/// `quiet` captures cargo's output.
///
/// # Errors
/// An unreadable or invalid model file, missing firmware sources, a failed build.
pub fn for_model(
    source: &FirmwareSource,
    model: &Path,
    board: QemuBoard,
    quiet: bool,
) -> Result<PathBuf, FirmwareError> {
    if let Some(elf) = std::env::var_os(FIRMWARE_ENV) {
        return Ok(PathBuf::from(elf));
    }
    let wanted = kind(model)?;
    FirmwareSource::check(source.dir())?;
    let seed = source.seed_model();
    if seed.is_file() && kind(&seed)? == wanted {
        let build = FirmwareBuild {
            quiet,
            ..FirmwareBuild::default_for(source, board)
        };
        if !quiet && !build.elf().is_file() {
            eprintln!("building the firmware (once)");
        }
        return build.build();
    }
    let cache = source
        .cache_dir()
        .join(image_key(board, Some(&wanted), &[]));
    let pinned = pin_model(model, &wanted, &cache)?;
    let build = FirmwareBuild {
        model: Some(pinned),
        image_dir: cache,
        quiet,
        ..FirmwareBuild::default_for(source, board)
    };
    if !quiet && !build.elf().is_file() {
        eprintln!(
            "building the firmware for {} architecture {} (once; cached in {})",
            dtype_name(wanted.1),
            wanted.0,
            build.image_dir.display()
        );
    }
    build.build()
}

/// The architecture in a model file.
///
/// # Errors
/// An unreadable file or an invalid model.
pub fn architecture(model: &Path) -> Result<Architecture, FirmwareError> {
    read_view(model, |view| view.architecture())
}

/// `f` of the validated model file at `model`.
fn read_view<T>(model: &Path, f: impl FnOnce(&ModelView<'_>) -> T) -> Result<T, FirmwareError> {
    let bytes = std::fs::read(model).map_err(|source| FirmwareError::Io {
        path: model.to_owned(),
        source,
    })?;
    ModelView::from_bytes(&bytes)
        .map(|view| f(&view))
        .map_err(|source| FirmwareError::Model {
            path: model.to_owned(),
            source,
        })
}

/// What a firmware build depends on in a model file: its architecture and its weight type (the
/// network's type is generated from both; the weights are read at run time).
type Kind = (Architecture, DType);

/// The architecture and weight type of a model file.
fn kind(model: &Path) -> Result<Kind, FirmwareError> {
    read_view(model, |view| {
        let dtype = view.layers().next().map_or(DType::F32, |l| l.dtype);
        (view.architecture(), dtype)
    })
}

/// The weight type of a model file: [`DType::I8`] for a quantized model (`dendrite quantize`,
/// a TFLite int8 import), [`DType::F32`] otherwise. Its firmware is built for that type.
///
/// # Errors
/// An unreadable file or an invalid model.
pub fn weight_type(model: &Path) -> Result<DType, FirmwareError> {
    kind(model).map(|(_, dtype)| dtype)
}

fn dtype_name(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "f32",
        DType::I8 => "int8",
        _ => "other",
    }
}

/// The directory name of a build's image: the board, then the architecture and weight type of
/// the model built in (`seed` for the committed seed model's), then any extra features:
/// `mps2-an386-seed`, `mps2-an386-seed-fault-injection`, `mps2-an386-3-8-2-relu-softmax`,
/// `mps2-an386-int8-3-8-2-relu-softmax`. Two builds share a directory exactly when they make
/// the same image.
fn image_key(board: QemuBoard, kind: Option<&Kind>, features: &[String]) -> String {
    let mut text = board.name.to_owned();
    match kind {
        None => text.push_str("-seed"),
        Some((architecture, DType::F32)) => text.push_str(&format!("-{architecture}")),
        Some((architecture, dtype)) => {
            text.push_str(&format!("-{}-{architecture}", dtype_name(*dtype)));
        }
    }
    let mut features = features.to_vec();
    features.sort_unstable();
    for feature in features {
        text.push('-');
        text.push_str(&feature);
    }
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Copies `model` into the cache directory once, so that every later model of the same
/// architecture and weight type builds against an unchanged `DENDRITE_MODEL` file (cargo then
/// has nothing to redo). Only the architecture and weight type of the copy matter.
fn pin_model(model: &Path, wanted: &Kind, cache: &Path) -> Result<PathBuf, FirmwareError> {
    let pinned = cache.join("architecture.postcard");
    // A copy this build cannot read (pinned by an older format version) is replaced.
    if kind(&pinned).is_ok_and(|found| found == *wanted) {
        return Ok(pinned);
    }
    // Concurrent runs never see half a file.
    copy_atomically(model, &pinned)?;
    Ok(pinned)
}

/// Runs a cargo command; on failure, the error carries what it printed.
fn run(cmd: &mut Command, quiet: bool) -> Result<(), FirmwareError> {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    let failed = |output: String| FirmwareError::Build {
        command: words.join(" "),
        output,
    };
    if quiet {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        // Warnings and errors go to the terminal; our standard output stays for results.
        cmd.arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
    }
    let output = cmd.output().map_err(|e| failed(e.to_string()))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    Err(failed(format!("{}: {text}", output.status)))
}

#[cfg(test)]
mod tests;
