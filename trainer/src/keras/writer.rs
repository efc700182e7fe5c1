//! Writing Keras files: a `.keras` archive for Keras 3, or a legacy `.h5`.

use super::error::{KerasError, Result};
use super::{KerasLayer, KerasModel, Normalization};
use crate::host::HostModel;
use dendrite_core::format::Task;
use hdf5_pure::{AttrValue, FileBuilder};
use ndarray::Array2;
use serde_json::{json, Value};
use std::io::Write;

/// The Keras version whose file layout the writer follows.
const KERAS_VERSION: &str = "3.15.1";

/// Which Keras file to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KerasFormat {
    /// Keras 3's native `.keras` archive.
    Keras,
    /// The legacy HDF5 model file (`model.save("m.h5")`).
    H5,
}

impl KerasModel {
    /// A model file's network and standardization as a Keras model (kernels transposed back to
    /// Keras' `(in, units)`); a standardization other than mean 0, std 1 becomes a
    /// `Normalization` with `variance = std²`.
    pub fn from_model_file(model: &HostModel) -> Self {
        let mut fan_in = model.input();
        let mut layers = Vec::new();
        for layer in model.layers() {
            let kernel =
                Array2::from_shape_fn((fan_in, layer.units), |(i, j)| layer.kernel[j * fan_in + i]);
            layers.push(KerasLayer::Dense {
                name: layer.name.clone(),
                kernel,
                bias: Some(layer.bias.clone().into()),
                activation: layer.activation,
            });
            fan_in = layer.units;
        }
        let (mean, std) = model.standardization();
        let standardizes = mean.iter().any(|&m| m != 0.0) || std.iter().any(|&s| s != 1.0);
        let targets = match model.task() {
            Task::Regression { mean, std }
                if mean.iter().any(|&m| m != 0.0) || std.iter().any(|&s| s != 1.0) =>
            {
                Some(Normalization {
                    mean: mean.clone(),
                    variance: std.iter().map(|s| s * s).collect(),
                })
            }
            _ => None,
        };
        KerasModel {
            name: "sequential".to_owned(),
            input: model.input(),
            normalization: standardizes.then(|| Normalization {
                mean: mean.to_vec(),
                variance: std.iter().map(|s| s * s).collect(),
            }),
            layers,
            targets,
        }
    }
}

/// The Keras file's bytes for `model`.
///
/// # Errors
/// [`KerasError::Hdf5`] when the HDF5 writer refuses (it does not for models Dendrite holds);
/// [`KerasError::Archive`] when the zip cannot be assembled.
pub fn to_bytes(model: &KerasModel, format: KerasFormat) -> Result<Vec<u8>> {
    let names = layer_names(model);
    let config = config_json(model, &names);
    match format {
        KerasFormat::Keras => keras_archive(model, &names, &config),
        KerasFormat::H5 => legacy_h5(model, &names, &config),
    }
}

/// The configuration JSON Keras would write for `model`.
pub(crate) fn config_for(model: &KerasModel) -> String {
    config_json(model, &layer_names(model))
}

/// Unique layer names: the model's own (`/` made `_`), or Keras' automatic ones when a name
/// is empty or repeated.
fn layer_names(model: &KerasModel) -> Vec<String> {
    let mut used: Vec<String> = ["input_layer", "normalization", "normalization_1"]
        .map(String::from)
        .to_vec();
    let mut counts = std::collections::HashMap::new();
    model
        .layers
        .iter()
        .map(|layer| {
            let (name, base) = match layer {
                KerasLayer::Dense { name, .. } => (name, "dense"),
                KerasLayer::Activation { name, .. } => (name, "activation"),
            };
            // Keras refuses `/` in a layer name (it separates weight paths in the files).
            let mut chosen = name.replace('/', "_");
            while chosen.is_empty() || used.contains(&chosen) {
                let n: &mut usize = counts.entry(base).or_default();
                chosen = if *n == 0 {
                    base.to_owned()
                } else {
                    format!("{base}_{n}")
                };
                *n += 1;
            }
            used.push(chosen.clone());
            chosen
        })
        .collect()
}

fn initializer(class: &str) -> Value {
    json!({"module": "keras.initializers", "class_name": class, "config": {}, "registered_name": null})
}

/// The model's configuration as Keras 3 writes it for a Sequential model.
fn config_json(model: &KerasModel, names: &[String]) -> String {
    let shape = |n: usize| json!([null, n]);
    let mut layers = vec![json!({
        "module": "keras.layers", "class_name": "InputLayer",
        "config": {"batch_shape": shape(model.input), "dtype": "float32", "sparse": false,
                   "ragged": false, "name": "input_layer", "optional": false},
        "registered_name": null,
    })];
    if let Some(n) = &model.normalization {
        let floats = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        layers.push(json!({
            "module": "keras.layers", "class_name": "Normalization",
            "config": {"name": "normalization", "trainable": true, "dtype": "float32",
                       "axis": [-1], "invert": false,
                       "mean": floats(&n.mean), "variance": floats(&n.variance)},
            "registered_name": null,
            "build_config": {"input_shape": shape(model.input)},
        }));
    }
    let mut fan_in = model.input;
    for (layer, name) in model.layers.iter().zip(names) {
        match layer {
            KerasLayer::Dense {
                kernel,
                bias,
                activation,
                ..
            } => {
                layers.push(json!({
                    "module": "keras.layers", "class_name": "Dense",
                    "config": {"name": name, "trainable": true, "dtype": "float32",
                               "units": kernel.ncols(), "activation": activation.name(),
                               "use_bias": bias.is_some(),
                               "kernel_initializer": initializer("GlorotUniform"),
                               "bias_initializer": initializer("Zeros"),
                               "kernel_regularizer": null, "bias_regularizer": null,
                               "kernel_constraint": null, "bias_constraint": null},
                    "registered_name": null,
                    "build_config": {"input_shape": shape(fan_in)},
                }));
                fan_in = kernel.ncols();
            }
            KerasLayer::Activation { activation, .. } => layers.push(json!({
                "module": "keras.layers", "class_name": "Activation",
                "config": {"name": name, "trainable": true, "dtype": "float32",
                           "activation": activation.name()},
                "registered_name": null,
                "build_config": {"input_shape": shape(fan_in)},
            })),
        }
    }
    if let Some(t) = &model.targets {
        let floats = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        let name = if model.normalization.is_some() {
            "normalization_1"
        } else {
            "normalization"
        };
        layers.push(json!({
            "module": "keras.layers", "class_name": "Normalization",
            "config": {"name": name, "trainable": true, "dtype": "float32",
                       "axis": [-1], "invert": true,
                       "mean": floats(&t.mean), "variance": floats(&t.variance)},
            "registered_name": null,
            "build_config": {"input_shape": shape(fan_in)},
        }));
    }
    json!({
        "module": "keras", "class_name": "Sequential",
        "config": {"name": model.name, "trainable": true, "dtype": "float32", "layers": layers,
                   "build_input_shape": shape(model.input)},
        "registered_name": null,
        "build_config": {"input_shape": shape(model.input)},
        "compile_config": null,
    })
    .to_string()
}

/// The Dense layers' weights: (name, [(dataset name, shape, values)]).
type LayerWeights<'a> = Vec<(&'a str, Vec<(&'static str, Vec<u64>, Vec<f32>)>)>;

fn dense_weights<'a>(model: &KerasModel, names: &'a [String]) -> LayerWeights<'a> {
    model
        .layers
        .iter()
        .zip(names)
        .filter_map(|(layer, name)| match layer {
            KerasLayer::Dense { kernel, bias, .. } => {
                let (rows, cols) = kernel.dim();
                let mut vars = vec![(
                    "kernel",
                    vec![rows as u64, cols as u64],
                    kernel.iter().copied().collect(),
                )];
                if let Some(b) = bias {
                    vars.push(("bias", vec![b.len() as u64], b.to_vec()));
                }
                Some((name.as_str(), vars))
            }
            KerasLayer::Activation { .. } => None,
        })
        .collect()
}

fn hdf5_error(e: &hdf5_pure::Error) -> KerasError {
    KerasError::Hdf5 {
        path: "(writing)".into(),
        reason: e.to_string(),
    }
}

/// Keras 3's `.keras`: `metadata.json`, `config.json` and `model.weights.h5`, whose datasets
/// sit under `layers/<snake-case class>[_n]/vars/<i>` in the order of the model's layers.
fn keras_archive(model: &KerasModel, names: &[String], config: &str) -> Result<Vec<u8>> {
    let mut h5 = FileBuilder::new();
    let mut layers = h5.create_group("layers");
    let mut dense_index = 0;
    let mut activation_index = 0;
    let weights = dense_weights(model, names);
    let mut weights = weights.into_iter();
    for layer in &model.layers {
        let (key, vars) = match layer {
            KerasLayer::Dense { .. } => {
                let key = numbered("dense", &mut dense_index);
                (key, weights.next().map(|(_, v)| v).unwrap_or_default())
            }
            KerasLayer::Activation { .. } => {
                (numbered("activation", &mut activation_index), Vec::new())
            }
        };
        let mut group = layers.create_group(&key);
        let mut vars_group = group.create_group("vars");
        for (i, (_, shape, values)) in vars.into_iter().enumerate() {
            vars_group
                .create_dataset(&i.to_string())
                .with_f32_data(&values)
                .with_shape(&shape);
        }
        group.add_group(vars_group.finish());
        layers.add_group(group.finish());
    }
    let normalizations =
        usize::from(model.normalization.is_some()) + usize::from(model.targets.is_some());
    for i in 0..normalizations {
        let mut group = layers.create_group(&numbered("normalization", &mut { i }));
        let vars_group = group.create_group("vars");
        group.add_group(vars_group.finish());
        layers.add_group(group.finish());
    }
    h5.add_group(layers.finish());
    let vars = h5.create_group("vars");
    h5.add_group(vars.finish());
    let weights_bytes = h5.finish().map_err(|e| hdf5_error(&e))?;

    let metadata =
        json!({"keras_version": KERAS_VERSION, "date_saved": "1980-01-01@00:00:00"}).to_string();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let archive_error = |e: &dyn std::fmt::Display| KerasError::Archive {
        path: "(writing)".into(),
        reason: e.to_string(),
    };
    for (name, bytes) in [
        ("metadata.json", metadata.as_bytes()),
        ("config.json", config.as_bytes()),
        ("model.weights.h5", weights_bytes.as_slice()),
    ] {
        zip.start_file(name, options)
            .map_err(|e| archive_error(&e))?;
        zip.write_all(bytes).map_err(|e| archive_error(&e))?;
    }
    zip.finish().map_err(|e| archive_error(&e))?;
    Ok(out.into_inner())
}

fn numbered(base: &str, index: &mut usize) -> String {
    let key = if *index == 0 {
        base.to_owned()
    } else {
        format!("{base}_{index}")
    };
    *index += 1;
    key
}

/// The legacy `.h5`: `model_config` and versions as root attributes, weights under
/// `model_weights/<layer>/<layer>/{kernel,bias}` listed by `layer_names` and `weight_names`.
fn legacy_h5(model: &KerasModel, names: &[String], config: &str) -> Result<Vec<u8>> {
    let mut h5 = FileBuilder::new();
    h5.set_attr("model_config", AttrValue::AsciiString(config.to_owned()));
    h5.set_attr(
        "keras_version",
        AttrValue::AsciiString(KERAS_VERSION.to_owned()),
    );
    h5.set_attr("backend", AttrValue::AsciiString("tensorflow".to_owned()));
    let weights = dense_weights(model, names);
    let mut root = h5.create_group("model_weights");
    root.set_attr(
        "layer_names",
        AttrValue::AsciiStringArray(weights.iter().map(|(n, _)| (*n).to_owned()).collect()),
    );
    root.set_attr(
        "keras_version",
        AttrValue::AsciiString(KERAS_VERSION.to_owned()),
    );
    root.set_attr("backend", AttrValue::AsciiString("tensorflow".to_owned()));
    for (name, vars) in weights {
        let mut group = root.create_group(name);
        group.set_attr(
            "weight_names",
            AttrValue::AsciiStringArray(
                vars.iter().map(|(v, _, _)| format!("{name}/{v}")).collect(),
            ),
        );
        let mut inner = group.create_group(name);
        for (var, shape, values) in vars {
            inner
                .create_dataset(var)
                .with_f32_data(&values)
                .with_shape(&shape);
        }
        group.add_group(inner.finish());
        root.add_group(group.finish());
    }
    h5.add_group(root.finish());
    h5.finish().map_err(|e| hdf5_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;

    fn dense(name: &str) -> KerasLayer {
        KerasLayer::Dense {
            name: name.to_owned(),
            kernel: Array2::zeros((2, 2)),
            bias: None,
            activation: Activation::Linear,
        }
    }

    #[test]
    fn layer_names_are_unique_and_free_of_slashes() {
        let model = KerasModel {
            name: "m".to_owned(),
            input: 2,
            normalization: None,
            layers: vec![
                dense("a/b"),
                dense("a_b"),
                dense(""),
                dense("normalization"),
            ],
            targets: None,
        };
        assert_eq!(layer_names(&model), ["a_b", "dense", "dense_1", "dense_2"]);
    }
}
