//! Writing a trained model as a dendrite-core model file.
//!
//! Keras models often put the activation in a layer of its own (`Dense` then
//! `Activation('relu')`); the model file holds one activation per dense layer, so each
//! `Activation` layer is folded into the `Dense` before it.

use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::Activation;
use crate::Sequential;
use dendrite_core::format::{LayerRef, LayerSpec, ModelRef, Task, MAX_LAYERS};
use std::fs;
use std::io::Write;
use std::path::Path;

/// What the model file stores besides the network: the standardization applied to raw inputs,
/// the names of the features and of the outputs, and what the outputs mean.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preprocessing {
    /// Per-feature mean subtracted from the raw inputs.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation the centred inputs are divided by.
    pub std: Vec<f32>,
    /// Input feature names, one per input; empty for none.
    pub features: Vec<String>,
    /// Class names, one per output (or two for a single sigmoid output), or the regression
    /// targets' names; empty for none.
    pub labels: Vec<String>,
    /// What the outputs mean (with the regression targets' standardization).
    pub task: Task<Vec<f32>>,
}

impl Preprocessing {
    /// No standardization (mean 0, std 1) and no class names: the seed model's case.
    pub fn identity(inputs: usize) -> Self {
        Preprocessing {
            mean: vec![0.0; inputs],
            std: vec![1.0; inputs],
            ..Preprocessing::default()
        }
    }
}

/// A Dense layer with its activation folded in, kernel transposed to dendrite-core's
/// `units × fan_in` row-major order.
struct Folded<'a> {
    name: &'a str,
    units: usize,
    activation: Activation,
    kernel: Vec<f32>,
    bias: &'a [f32],
}

impl Sequential {
    /// The model file's bytes: the architecture, `preprocessing`, the weights and a CRC-32.
    ///
    /// # Errors
    /// [`Error::NotBuilt`]; [`Error::Export`] when the layers do not fold into at most
    /// [`MAX_LAYERS`] dense layers with one activation each, or dendrite-core refuses the
    /// model (non-finite weights after a diverged training, a bad standardization, labels that
    /// do not match the outputs).
    pub fn to_model_bytes(&self, preprocessing: &Preprocessing) -> Result<Vec<u8>> {
        self.require_built("export")?;
        let folded = fold(self.layers())?;
        let refs: Vec<LayerRef<'_>> = folded.iter().map(layer_ref).collect::<Result<_>>()?;
        let labels = preprocessing.labels.join("\n");
        let features = preprocessing.features.join("\n");
        let input = to_u16(self.input_dim(), "input")?;
        let model = ModelRef {
            input,
            features: &features,
            labels: &labels,
            task: preprocessing.task.as_slices(),
            mean: &preprocessing.mean,
            std: &preprocessing.std,
            layers: &refs,
            int8: &[],
        };
        let refused = |e: dendrite_core::format::EncodeError| Error::Export {
            layer: "model".to_owned(),
            reason: format!("dendrite-core refuses to encode it: {e}"),
        };
        let mut bytes = vec![0; model.encoded_len().map_err(refused)?];
        let written = model.encode(&mut bytes).map_err(refused)?;
        bytes.truncate(written);
        Ok(bytes)
    }

    /// Writes the model file to `path` atomically: a temporary file in the same directory,
    /// flushed to disk, then renamed over `path`, so a reader never sees half a model.
    ///
    /// # Errors
    /// As [`to_model_bytes`](Self::to_model_bytes), and [`Error::Io`] naming the file.
    pub fn save(&self, path: impl AsRef<Path>, preprocessing: &Preprocessing) -> Result<()> {
        let bytes = self.to_model_bytes(preprocessing)?;
        write_atomically(path.as_ref(), &bytes)
    }
}

/// Writes `bytes` to a temporary sibling of `path`, syncs it, and renames it over `path`.
///
/// A symbolic link is written through: the file it points to is replaced (atomically, by a
/// rename in the target's directory) and the link is kept, so a deployment that links to a
/// model file sees the new one. Anything but a regular file or a link to one (a directory, a
/// FIFO, a device node) is refused, as [`check_output`] refuses it.
///
/// # Errors
/// [`Error::Io`] naming the file that failed; the temporary file is removed on failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let resolved = check_output(path, &[])?;
    let path = resolved.as_path();
    let file_name = path.file_name().ok_or_else(|| Error::Io {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    let mut tmp_name = file_name.to_owned();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| Error::Io { path: p, source }
    };
    let result = (|| {
        // Errors name the user's path, not the temporary file's.
        let mut file = fs::File::create(&tmp).map_err(io(path))?;
        file.write_all(bytes).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
        fs::rename(&tmp, path).map_err(io(path))?;
        sync_parent(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Checks, before any work, that `path` can take an output file and is none of `inputs`:
/// its directory exists, and it is absent, a regular file, or a symbolic link to one (then the
/// link's target is the file replaced). Returns the path to write: `path`, or the link's
/// target.
///
/// The same file is recognized through different spellings, hard links and symbolic links
/// (device and inode on Unix, canonical paths elsewhere).
///
/// # Errors
/// [`Error::Io`] naming `path`: a missing directory, a dangling link, a directory, FIFO or
/// device node, or one of `inputs`.
pub fn check_output(path: &Path, inputs: &[&Path]) -> Result<std::path::PathBuf> {
    let refuse = |reason: String| Error::Io {
        path: path.to_owned(),
        source: std::io::Error::other(reason),
    };
    if path.file_name().is_none() {
        return Err(refuse("not a file name".to_owned()));
    }
    let target = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_owned(),
        Err(e) => return Err(refuse(e.to_string())),
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|_| {
            refuse("a symbolic link to nothing: remove it or point it at a file".to_owned())
        })?,
        Ok(_) => path.to_owned(),
    };
    match fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => {
            return Err(refuse(
                "not a regular file (a directory, FIFO or device): give a file path".to_owned(),
            ))
        }
        Ok(_) => {}
        Err(_) => {
            let dir = match target.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            if !dir.is_dir() {
                return Err(refuse(format!(
                    "the directory {} does not exist: create it first",
                    dir.display()
                )));
            }
        }
    }
    for input in inputs {
        if same_file(&target, input) {
            let which = if path == *input {
                String::new()
            } else {
                format!(" {}", input.display())
            };
            return Err(refuse(format!(
                "is also the input file{which}: writing would destroy it; give another output path"
            )));
        }
    }
    Ok(target)
}

/// Whether `a` and `b` are the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Flushes the directory entry of a rename, so the new file survives a power loss as well as a
/// killed process. Best effort: some file systems cannot open or sync a directory, and the
/// rename itself has already made the write atomic.
fn sync_parent(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Folds every `Activation` layer into the `Dense` layer before it.
fn fold(layers: &[Layer]) -> Result<Vec<Folded<'_>>> {
    let mut folded: Vec<Folded<'_>> = Vec::new();
    for layer in layers {
        match layer {
            Layer::Dense(d) => folded.push(Folded {
                name: layer.name(),
                units: d.units,
                activation: d.activation,
                kernel: d.kernel.t().iter().copied().collect(),
                bias: d.bias.as_slice().expect("biases are kept contiguous"),
            }),
            // Dropout is the identity outside training: the device never sees it.
            Layer::Dropout(_) => {}
            Layer::Activation(a) if a.activation == Activation::Linear => {}
            Layer::Activation(a) => match folded.last_mut() {
                Some(f) if f.activation == Activation::Linear => f.activation = a.activation,
                Some(f) => {
                    return Err(export_error(
                        layer.name(),
                        &format!(
                    "`{}` already applies {}; a model file holds one activation per Dense layer",
                    f.name, f.activation
                ),
                    ))
                }
                None => {
                    return Err(export_error(
                        layer.name(),
                        "an activation before the first Dense layer cannot be stored",
                    ))
                }
            },
        }
    }
    if folded.len() > MAX_LAYERS {
        return Err(export_error(
            "model",
            &format!(
                "{} Dense layers; a model file holds at most {MAX_LAYERS}",
                folded.len()
            ),
        ));
    }
    Ok(folded)
}

fn layer_ref<'a>(f: &'a Folded<'a>) -> Result<LayerRef<'a>> {
    let spec = LayerSpec {
        units: to_u16(f.units, f.name)?,
        activation: f.activation,
        name: f.name,
    };
    Ok(LayerRef {
        spec,
        kernel: &f.kernel,
        bias: f.bias,
    })
}

fn to_u16(width: usize, layer: &str) -> Result<u16> {
    u16::try_from(width).map_err(|_| {
        export_error(
            layer,
            &format!("width {width} exceeds the file format's {}", u16::MAX),
        )
    })
}

fn export_error(layer: &str, reason: &str) -> Error {
    Error::Export {
        layer: layer.to_owned(),
        reason: reason.to_owned(),
    }
}
