//! Reading Keras files: the `.keras` zip, legacy `.h5` models and weights-only `.weights.h5`.

use super::config::{self, Plan, Step};
use super::error::{KerasError, Result};
use super::{KerasLayer, KerasModel, Normalization};
use crate::Activation;
use hdf5_pure::{AttrValue, File};
use ndarray::{Array1, Array2};
use std::io::Read;
use std::path::Path;

/// The largest member of a `.keras` archive read (a damaged archive may claim any size).
const MAX_MEMBER: u64 = 1 << 30;

/// How a file's weights are laid out.
enum Layout {
    /// Keras 3: `layers/<snake-case class>[_n]/vars/<i>`.
    Native,
    /// Keras 2 / tf.keras and Keras 3's legacy `.h5`: `<root>/<layer name>` with a
    /// `weight_names` attribute listing the layer's datasets.
    Legacy(String),
}

/// Reads a Keras model: a `.keras` archive or a legacy `.h5` model; a weights-only
/// `.weights.h5` with the model's configuration JSON (`model.to_json()`) in `config`.
pub(crate) fn read(path: &Path, bytes: Vec<u8>, config: Option<&str>) -> Result<KerasModel> {
    // The zip and HDF5 readers are defensive, but they are large: should either ever panic
    // on a damaged file, the file is refused like any other damaged file.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_unguarded(path, bytes, config)
    }))
    .unwrap_or_else(|_| Err(hdf5_error(path, &"the file's structure is damaged")))
}

fn read_unguarded(path: &Path, bytes: Vec<u8>, config: Option<&str>) -> Result<KerasModel> {
    if bytes.starts_with(b"PK\x03\x04") {
        let (config_text, weights) = unzip(path, &bytes)?;
        let plan = config::parse(config.unwrap_or(&config_text), path)?;
        let file = open_hdf5(path, weights)?;
        return assemble(path, &plan, &file, &Layout::Native);
    }
    if !hdf5_pure::is_hdf5_bytes(&bytes) {
        return Err(KerasError::UnknownFormat {
            path: path.to_owned(),
        });
    }
    let file = open_hdf5(path, bytes)?;
    let root = file.root();
    let attrs = root.attrs().map_err(|e| hdf5_error(path, &e))?;
    let text = match (config, attrs.get("model_config")) {
        (Some(text), _) => text.to_owned(),
        (None, Some(value)) => attr_string(value)
            .ok_or_else(|| config_error(path, "`model_config` is not a string"))?,
        (None, None) => {
            return Err(config_error(
                path,
                "no `model_config`: a weights-only file needs the model's configuration JSON",
            ))
        }
    };
    let plan = config::parse(&text, path)?;
    let groups = root.groups().map_err(|e| hdf5_error(path, &e))?;
    let layout = if groups.iter().any(|g| g == "layers") {
        Layout::Native
    } else if groups.iter().any(|g| g == "model_weights") {
        Layout::Legacy("model_weights".to_owned())
    } else {
        Layout::Legacy(String::new())
    };
    assemble(path, &plan, &file, &layout)
}

/// Whether the bytes describe their own model (a `.keras` archive, an `.h5` with a
/// `model_config`), rather than weights only.
pub(crate) fn has_own_config(bytes: &[u8]) -> bool {
    if !hdf5_pure::is_hdf5_bytes(bytes) {
        return true;
    }
    std::panic::catch_unwind(|| {
        let Ok(file) = open_hdf5(Path::new(""), bytes.to_vec()) else {
            return true;
        };
        file.root()
            .attrs()
            .map(|a| a.contains_key("model_config"))
            .unwrap_or(true)
    })
    .unwrap_or(true)
}

/// The configuration and the weights file of a `.keras` archive.
fn unzip(path: &Path, bytes: &[u8]) -> Result<(String, Vec<u8>)> {
    let archive_error = |reason: String| KerasError::Archive {
        path: path.to_owned(),
        reason,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| archive_error(e.to_string()))?;
    let mut member = |name: &str| -> Result<Vec<u8>> {
        let entry = archive
            .by_name(name)
            .map_err(|e| archive_error(format!("{name}: {e}")))?;
        let mut out = Vec::new();
        entry
            .take(MAX_MEMBER)
            .read_to_end(&mut out)
            .map_err(|e| archive_error(format!("{name}: {e}")))?;
        Ok(out)
    };
    let config = String::from_utf8(member("config.json")?)
        .map_err(|_| archive_error("config.json is not UTF-8".to_owned()))?;
    let weights = member("model.weights.h5")?;
    Ok((config, weights))
}

fn open_hdf5(path: &Path, bytes: Vec<u8>) -> Result<File> {
    File::from_bytes(bytes).map_err(|e| hdf5_error(path, &e))
}

/// Joins the configuration with the weights.
fn assemble(path: &Path, plan: &Plan, file: &File, layout: &Layout) -> Result<KerasModel> {
    let mut layers = Vec::new();
    let mut normalization = None;
    let mut targets = None;
    let mut fan_in = plan.input;
    // A BatchNormalization waiting to be folded into the next Dense layer: its name and
    // per-feature affine map `x · scale + shift`.
    let mut pending: Option<(&str, Affine)> = None;
    for step in &plan.steps {
        if let (Some((bn, _)), Step::Activation { .. } | Step::Normalization { .. }) =
            (&pending, step)
        {
            return Err(unfoldable(path, bn));
        }
        match step {
            Step::BatchNormalization {
                name,
                key,
                epsilon,
                center,
                scale,
            } => {
                let affine = batch_normalization(
                    path, file, layout, name, key, fan_in, *epsilon, *center, *scale,
                )?;
                match layers.last_mut() {
                    // Right after a Dense layer without activation: fold into its outputs.
                    Some(KerasLayer::Dense {
                        kernel,
                        bias,
                        activation: Activation::Linear,
                        ..
                    }) if pending.is_none() => affine.fold_after(kernel, bias),
                    // Else into the inputs of the Dense layer that comes next.
                    _ if pending.is_none() => pending = Some((name, affine)),
                    _ => return Err(unfoldable(path, name)),
                }
            }
            Step::Normalization {
                name,
                key,
                given,
                invert,
            } => {
                let (mean, variance) = match given {
                    Some((m, v)) => (broadcast(m, fan_in), broadcast(v, fan_in)),
                    None => {
                        let vars = weights(path, file, layout, name, key, 2)?;
                        (vars[0].1.clone(), vars[1].1.clone())
                    }
                };
                for (what, v) in [("mean", &mean), ("variance", &variance)] {
                    if v.len() != fan_in {
                        return Err(weights_error(
                            path,
                            name,
                            format!("{what} has {} values for {fan_in} inputs", v.len()),
                        ));
                    }
                }
                let stats = Some(Normalization { mean, variance });
                if *invert {
                    targets = stats;
                } else {
                    normalization = stats;
                }
            }
            Step::Dense {
                name,
                key,
                units,
                activation,
                use_bias,
            } => {
                let want = if *use_bias { 2 } else { 1 };
                let vars = weights(path, file, layout, name, key, want)?;
                let (shape, kernel) = &vars[0];
                if shape != &[fan_in as u64, *units as u64] {
                    return Err(weights_error(
                        path,
                        name,
                        format!("kernel of shape {shape:?}, expected [{fan_in}, {units}]"),
                    ));
                }
                let kernel = Array2::from_shape_vec((fan_in, *units), kernel.clone())
                    .map_err(|e| weights_error(path, name, e.to_string()))?;
                let bias = if *use_bias {
                    let (shape, bias) = &vars[1];
                    if shape != &[*units as u64] {
                        return Err(weights_error(
                            path,
                            name,
                            format!("bias of shape {shape:?}, expected [{units}]"),
                        ));
                    }
                    Some(Array1::from(bias.clone()))
                } else {
                    None
                };
                let (mut kernel, mut bias) = (kernel, bias);
                if let Some((_, affine)) = pending.take() {
                    affine.fold_before(&mut kernel, &mut bias);
                }
                layers.push(KerasLayer::Dense {
                    name: name.clone(),
                    kernel,
                    bias,
                    activation: *activation,
                });
                fan_in = *units;
            }
            Step::Activation { name, activation } => layers.push(KerasLayer::Activation {
                name: name.clone(),
                activation: *activation,
            }),
        }
    }
    if let Some((bn, _)) = pending {
        return Err(unfoldable(path, bn));
    }
    Ok(KerasModel {
        name: plan.name.clone(),
        input: plan.input,
        normalization,
        layers,
        targets,
    })
}

/// A per-feature affine map `y = x · scale + shift`: a BatchNormalization at inference.
struct Affine {
    scale: Vec<f64>,
    shift: Vec<f64>,
}

impl Affine {
    /// Folds the map into the outputs of a Dense layer without activation:
    /// `(x·W + b)·s + t = x·(W·s) + (b·s + t)`.
    fn fold_after(&self, kernel: &mut Array2<f32>, bias: &mut Option<Array1<f32>>) {
        let units = kernel.ncols();
        let mut b = bias.take().unwrap_or_else(|| Array1::zeros(units));
        for (j, mut column) in kernel.columns_mut().into_iter().enumerate() {
            let (s, t) = (self.scale[j], self.shift[j]);
            column.mapv_inplace(|w| (f64::from(w) * s) as f32);
            b[j] = (f64::from(b[j]) * s + t) as f32;
        }
        *bias = Some(b);
    }

    /// Folds the map into the inputs of a Dense layer: `(x·s + t)·W + b = x·(s·W) + (t·W + b)`.
    fn fold_before(&self, kernel: &mut Array2<f32>, bias: &mut Option<Array1<f32>>) {
        let units = kernel.ncols();
        let mut b: Vec<f64> = match bias {
            Some(b) => b.iter().map(|&v| f64::from(v)).collect(),
            None => vec![0.0; units],
        };
        for (i, mut row) in kernel.rows_mut().into_iter().enumerate() {
            let (s, t) = (self.scale[i], self.shift[i]);
            for (j, w) in row.iter_mut().enumerate() {
                b[j] += t * f64::from(*w);
                *w = (f64::from(*w) * s) as f32;
            }
        }
        *bias = Some(b.into_iter().map(|v| v as f32).collect());
    }
}

/// A BatchNormalization's weights (`gamma` if `scale`, `beta` if `center`, the moving mean and
/// variance) as the affine map it computes at inference.
#[allow(clippy::too_many_arguments)]
fn batch_normalization(
    path: &Path,
    file: &File,
    layout: &Layout,
    name: &str,
    key: &str,
    width: usize,
    epsilon: f32,
    center: bool,
    scale: bool,
) -> Result<Affine> {
    let count = usize::from(scale) + usize::from(center) + 2;
    let vars = weights(path, file, layout, name, key, count)?;
    if let Some((shape, _)) = vars.iter().find(|(_, v)| v.len() != width) {
        return Err(weights_error(
            path,
            name,
            format!("a weight of shape {shape:?} for {width} features"),
        ));
    }
    let mut vars = vars.into_iter().map(|(_, v)| v);
    let mut next = |present: bool, default: f32| match present {
        true => vars.next().unwrap_or_default(),
        false => vec![default; width],
    };
    let gamma = next(scale, 1.0);
    let beta = next(center, 0.0);
    let (mean, variance) = (next(true, 0.0), next(true, 1.0));
    let mut affine = Affine {
        scale: Vec::with_capacity(width),
        shift: Vec::with_capacity(width),
    };
    for j in 0..width {
        let s = f64::from(gamma[j]) / (f64::from(variance[j]) + f64::from(epsilon)).sqrt();
        if !s.is_finite() {
            return Err(weights_error(
                path,
                name,
                format!(
                    "feature {j}: variance {} and epsilon {epsilon}",
                    variance[j]
                ),
            ));
        }
        affine.scale.push(s);
        affine
            .shift
            .push(f64::from(beta[j]) - f64::from(mean[j]) * s);
    }
    Ok(affine)
}

fn unfoldable(path: &Path, name: &str) -> KerasError {
    KerasError::Unsupported {
        path: path.to_owned(),
        layer: name.to_owned(),
        class: "BatchNormalization".to_owned(),
        reason: "it must follow a Dense layer without activation, or come right before a \
                 Dense layer, to fold into it"
            .to_owned(),
    }
}

/// A scalar mean or variance applies to every feature.
fn broadcast(values: &[f32], width: usize) -> Vec<f32> {
    match values {
        [one] => vec![*one; width],
        _ => values.to_vec(),
    }
}

/// The first `count` weight arrays of a layer, with their shapes.
fn weights(
    path: &Path,
    file: &File,
    layout: &Layout,
    name: &str,
    key: &str,
    count: usize,
) -> Result<Vec<(Vec<u64>, Vec<f32>)>> {
    let paths: Vec<String> = match layout {
        Layout::Native => (0..count)
            .map(|i| format!("layers/{key}/vars/{i}"))
            .collect(),
        Layout::Legacy(root) => {
            let group_path = if root.is_empty() {
                name.to_owned()
            } else {
                format!("{root}/{name}")
            };
            let group = file.group(&group_path).map_err(|e| {
                weights_error(path, name, format!("no weights group `{group_path}`: {e}"))
            })?;
            let attrs = group.attrs().map_err(|e| hdf5_error(path, &e))?;
            let names = attrs
                .get("weight_names")
                .and_then(attr_strings)
                .ok_or_else(|| {
                    weights_error(path, name, "no `weight_names` attribute".to_owned())
                })?;
            names
                .iter()
                .take(count)
                .map(|n| format!("{group_path}/{n}"))
                .collect()
        }
    };
    if paths.len() < count {
        return Err(weights_error(
            path,
            name,
            format!("{} weight arrays, expected {count}", paths.len()),
        ));
    }
    paths
        .iter()
        .map(|p| {
            let dataset = file
                .dataset(p)
                .map_err(|e| weights_error(path, name, format!("no dataset `{p}`: {e}")))?;
            let shape = dataset.shape().map_err(|e| hdf5_error(path, &e))?;
            let values = dataset.read_f32().map_err(|e| hdf5_error(path, &e))?;
            let expected = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
            if expected != Some(values.len() as u64) {
                return Err(weights_error(
                    path,
                    name,
                    format!("`{p}` holds {} values for shape {shape:?}", values.len()),
                ));
            }
            if values.iter().any(|v| !v.is_finite()) {
                return Err(weights_error(
                    path,
                    name,
                    format!("`{p}` holds a value that is not finite"),
                ));
            }
            Ok((shape, values))
        })
        .collect()
}

fn attr_string(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(s)
        | AttrValue::AsciiString(s)
        | AttrValue::VarLenString(s)
        | AttrValue::VarLenAsciiString(s) => Some(s.clone()),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => {
            Some(value.clone())
        }
        AttrValue::U8Array(bytes) => String::from_utf8(bytes.clone()).ok(),
        _ => attr_strings(value).and_then(|v| (v.len() == 1).then(|| v[0].clone())),
    }
}

fn attr_strings(value: &AttrValue) -> Option<Vec<String>> {
    match value {
        AttrValue::StringArray(v) | AttrValue::AsciiStringArray(v) => Some(v.clone()),
        AttrValue::StringArraySized { values, .. }
        | AttrValue::AsciiStringArraySized { values, .. } => Some(values.clone()),
        AttrValue::VarLenStringArray(v) | AttrValue::VarLenAsciiStringArray(v) => Some(v.clone()),
        AttrValue::String(_) | AttrValue::AsciiString(_) | AttrValue::VarLenString(_) => {
            attr_string(value).map(|s| vec![s])
        }
        AttrValue::F64Array(v) if v.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

fn hdf5_error(path: &Path, e: &dyn std::fmt::Display) -> KerasError {
    KerasError::Hdf5 {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn config_error(path: &Path, reason: &str) -> KerasError {
    KerasError::Config {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

fn weights_error(path: &Path, layer: &str, reason: String) -> KerasError {
    KerasError::Weights {
        path: path.to_owned(),
        layer: layer.to_owned(),
        reason,
    }
}
