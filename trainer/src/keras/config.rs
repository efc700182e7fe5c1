//! Keras' model configuration (`config.json` in a `.keras`, the `model_config` attribute of a
//! legacy `.h5`) mapped to the chain of layers Dendrite runs.
//!
//! Sequential models and functional models whose layers form a single chain are read; every
//! layer must be one Dendrite has (see [`SUPPORTED`](super::SUPPORTED)).

use super::error::{KerasError, Result};
use crate::Activation;
use serde_json::{json, Value};
use std::path::Path;

/// One layer of the chain, as the configuration describes it (weights come separately).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// `Normalization`: mean and variance from the configuration when given to the
    /// constructor, else from the weights (set by `adapt()`).
    Normalization {
        name: String,
        key: String,
        given: Option<(Vec<f32>, Vec<f32>)>,
        /// `invert = true` after the last Dense layer: the regression targets'
        /// standardization undone, `mean + y · max(sqrt(variance), epsilon)`.
        invert: bool,
    },
    /// `Dense`.
    Dense {
        name: String,
        key: String,
        units: usize,
        activation: Activation,
        use_bias: bool,
    },
    /// `Activation`.
    Activation {
        name: String,
        activation: Activation,
    },
    /// `BatchNormalization` at inference: `gamma · (x - moving_mean) / sqrt(moving_variance +
    /// epsilon) + beta`, per feature; folded into the neighbouring Dense layer.
    BatchNormalization {
        name: String,
        key: String,
        epsilon: f32,
        /// Whether the layer has `beta` (else 0).
        center: bool,
        /// Whether the layer has `gamma` (else 1).
        scale: bool,
    },
}

/// The model's chain: input width and the layers that compute something.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub name: String,
    pub input: usize,
    pub steps: Vec<Step>,
}

/// Parses a model configuration (the JSON of `model.to_json()` / `config.json`).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Plan> {
    let root: Value = serde_json::from_str(text).map_err(|e| config_error(path, &e.to_string()))?;
    let class = str_field(&root, "class_name").unwrap_or("");
    let config = root
        .get("config")
        .ok_or_else(|| config_error(path, "no `config` object"))?;
    let name = str_field(config, "name").unwrap_or("model").to_owned();
    // tf.keras 2.x Sequential configs may be a bare list of layers.
    let layers = match config.get("layers").or(Some(config)) {
        Some(Value::Array(layers)) => layers,
        _ => return Err(config_error(path, "no `layers` list")),
    };
    match class {
        "Sequential" => {}
        "Functional" | "Model" => check_chain(config, layers, path)?,
        other => {
            return Err(KerasError::Unsupported {
                path: path.to_owned(),
                layer: name,
                class: other.to_owned(),
                reason: "only Sequential models and functional chains can be imported".to_owned(),
            })
        }
    }
    let mut input = model_input(&root, config);
    let mut steps = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut flattened = false;
    for layer in layers {
        let class = str_field(layer, "class_name").unwrap_or("");
        let lc = layer.get("config").unwrap_or(&Value::Null);
        let lname = str_field(lc, "name")
            .or_else(|| str_field(layer, "name"))
            .unwrap_or(class)
            .to_owned();
        // The weights file names each layer by its class in snake case, numbered in the order
        // of the model's layers (`dense`, `dense_1`, …), not by the user's name.
        let same = seen.iter().filter(|c| **c == class).count();
        seen.push(class);
        let key = match same {
            0 => snake_case(class),
            n => format!("{}_{n}", snake_case(class)),
        };
        let unsupported = |reason: &str| KerasError::Unsupported {
            path: path.to_owned(),
            layer: lname.clone(),
            class: class.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(shape) = declared_shape(lc) {
            if steps.is_empty() && input.is_none() {
                input = Some(shape);
            }
        }
        check_dtype(lc).map_err(|r| unsupported(&r))?;
        match class {
            "InputLayer" => {}
            "Dropout" | "SpatialDropout1D" | "GaussianDropout" | "GaussianNoise"
            | "AlphaDropout" => {}
            "Flatten" => flattened = true,
            "Normalization" => {
                let step = normalization_step(lc, &steps, lname.clone(), key)
                    .map_err(|r| unsupported(&r))?;
                steps.push(step);
            }
            "Dense" => {
                if steps
                    .iter()
                    .any(|s| matches!(s, Step::Normalization { invert: true, .. }))
                {
                    return Err(unsupported("a Dense layer after an inverted Normalization"));
                }
                if !flattened && input_rank(&root, config, layers) > 1 {
                    return Err(unsupported(
                        "a Dense layer on inputs of more than one axis (add Flatten)",
                    ));
                }
                steps.push(dense_step(lc, lname.clone(), key).map_err(|r| unsupported(&r))?);
            }
            "Activation" => {
                let activation = activation(lc.get("activation")).map_err(|r| unsupported(&r))?;
                steps.push(Step::Activation {
                    name: lname,
                    activation,
                });
            }
            "BatchNormalization" => {
                if !last_axis(lc.get("axis")) {
                    return Err(unsupported(
                        "a BatchNormalization over another axis than the last",
                    ));
                }
                let flag = |k: &str| lc.get(k).and_then(Value::as_bool).unwrap_or(true);
                steps.push(Step::BatchNormalization {
                    name: lname,
                    key,
                    epsilon: lc.get("epsilon").and_then(Value::as_f64).unwrap_or(1e-3) as f32,
                    center: flag("center"),
                    scale: flag("scale"),
                });
            }
            "ReLU" | "LeakyReLU" | "ELU" => {
                let activation = match class {
                    "ReLU" => relu_layer(lc),
                    "LeakyReLU" => leaky_relu_layer(lc),
                    _ => elu_layer(lc),
                }
                .map_err(|r| unsupported(&r))?;
                steps.push(Step::Activation {
                    name: lname,
                    activation,
                });
            }
            "Softmax" => {
                if !last_axis(lc.get("axis")) {
                    return Err(unsupported("a Softmax over another axis than the last"));
                }
                steps.push(Step::Activation {
                    name: lname,
                    activation: Activation::Softmax,
                });
            }
            _ => return Err(unsupported("Dendrite has no such layer")),
        }
    }
    let input = input.ok_or_else(|| config_error(path, "no input shape in the configuration"))?;
    if !steps.iter().any(|s| matches!(s, Step::Dense { .. })) {
        return Err(config_error(path, "the model has no Dense layer"));
    }
    Ok(Plan { name, input, steps })
}

/// A `Normalization` layer: first (the inputs' standardization), or with `invert = true`
/// after the last Dense layer (a regression's targets' standardization undone).
fn normalization_step(
    lc: &Value,
    steps: &[Step],
    name: String,
    key: String,
) -> std::result::Result<Step, String> {
    let invert = lc.get("invert").and_then(Value::as_bool) == Some(true);
    let has_dense = steps.iter().any(|s| matches!(s, Step::Dense { .. }));
    let has_same = steps
        .iter()
        .any(|s| matches!(s, Step::Normalization { invert: i, .. } if *i == invert));
    if invert != has_dense || has_same {
        return Err("a Normalization layer must come first, or with invert = true last".into());
    }
    // `axis: null` is one mean over every axis: not a per-feature standardization.
    let axis = lc.get("axis").filter(|a| !a.is_null());
    if axis.is_none() || !last_axis(axis) {
        return Err("only axis -1 (one mean and variance per feature)".into());
    }
    let given = match (lc.get("mean"), lc.get("variance")) {
        (Some(m), Some(v)) if !m.is_null() && !v.is_null() => Some((
            floats(m).ok_or("mean is not numbers")?,
            floats(v).ok_or("variance is not numbers")?,
        )),
        _ => None,
    };
    Ok(Step::Normalization {
        name,
        key,
        given,
        invert,
    })
}

/// A number setting of a layer, `default` when absent or null.
fn number(lc: &Value, key: &str, default: f64) -> std::result::Result<f64, String> {
    match lc.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| format!("a {key} that is not a number")),
    }
}

/// A `ReLU` layer: `max(x, 0)` (relu), with `max_value = 6` (relu6), or with `negative_slope =
/// 0.2` (leaky_relu); any other `max_value`, slope or a `threshold` refused by value.
fn relu_layer(lc: &Value) -> std::result::Result<Activation, String> {
    let threshold = number(lc, "threshold", 0.0)?;
    if threshold != 0.0 {
        return Err(format!("a ReLU with threshold {threshold}"));
    }
    let slope = number(lc, "negative_slope", 0.0)?;
    let max_value = match lc.get("max_value") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_f64().ok_or("a max_value that is not a number")?),
    };
    match (max_value, slope) {
        (None, 0.0) => Ok(Activation::Relu),
        (Some(6.0), 0.0) => Ok(Activation::Relu6),
        (None, slope) if slope as f32 == dendrite_core::LEAKY_RELU_SLOPE => {
            Ok(Activation::LeakyRelu)
        }
        (None, slope) => Err(format!(
            "a ReLU with negative_slope {slope} (Dendrite's leaky_relu has slope 0.2 only)"
        )),
        (Some(max), 0.0) => Err(format!(
            "a ReLU with max_value {max} (Dendrite has relu6 only)"
        )),
        (Some(max), slope) => Err(format!(
            "a ReLU with both max_value {max} and negative_slope {slope}"
        )),
    }
}

/// A `LeakyReLU` layer whose `negative_slope` (tf.keras 2: `alpha`) is 0.2, Keras' `leaky_relu`
/// function's; its default, 0.3, and any other slope refused by value.
fn leaky_relu_layer(lc: &Value) -> std::result::Result<Activation, String> {
    let key = if lc.get("negative_slope").is_none() && lc.get("alpha").is_some() {
        "alpha"
    } else {
        "negative_slope"
    };
    let slope = number(lc, key, 0.3)?;
    if slope as f32 == dendrite_core::LEAKY_RELU_SLOPE {
        Ok(Activation::LeakyRelu)
    } else {
        Err(format!(
            "a LeakyReLU with negative_slope {slope} (Dendrite's leaky_relu has slope 0.2 only)"
        ))
    }
}

/// An `ELU` layer with `alpha = 1`, Keras' `elu` function's default; any other alpha refused.
fn elu_layer(lc: &Value) -> std::result::Result<Activation, String> {
    let alpha = number(lc, "alpha", 1.0)?;
    if alpha == 1.0 {
        Ok(Activation::Elu)
    } else {
        Err(format!(
            "an ELU with alpha {alpha} (Dendrite's elu has alpha 1 only)"
        ))
    }
}

/// Whether an `axis` setting is the last axis (`-1`, absent, or `[-1]`), the only one a dense
/// chain has.
fn last_axis(axis: Option<&Value>) -> bool {
    match axis {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => matches!(n.as_i64(), Some(-1) | Some(1)),
        Some(Value::Array(a)) => a.len() == 1 && matches!(a[0].as_i64(), Some(-1) | Some(1)),
        _ => false,
    }
}

/// A `Dense` layer: units, activation, bias; LoRA and quantized weights refused.
fn dense_step(lc: &Value, name: String, key: String) -> std::result::Result<Step, String> {
    let units = lc
        .get("units")
        .and_then(Value::as_u64)
        .and_then(|u| usize::try_from(u).ok())
        .filter(|&u| u > 0)
        .ok_or("no positive `units`")?;
    let activation = activation(lc.get("activation"))?;
    let use_bias = lc.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
    if lc.get("lora_rank").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Err("LoRA weights (lora_rank)".into());
    }
    if lc.get("quantization_config").is_some_and(|q| !q.is_null()) {
        return Err("quantized weights".into());
    }
    Ok(Step::Dense {
        name,
        key,
        units,
        activation,
        use_bias,
    })
}

/// The input width declared by the model (its `build_config`), if any.
fn model_input(root: &Value, config: &Value) -> Option<usize> {
    let from = |v: Option<&Value>| v.and_then(width);
    from(root.pointer("/build_config/input_shape"))
        .or_else(|| from(config.get("build_input_shape")))
}

/// The input width an `InputLayer` or a first layer declares (`batch_shape`,
/// `batch_input_shape`, `input_dim`).
fn declared_shape(lc: &Value) -> Option<usize> {
    ["batch_shape", "batch_input_shape"]
        .iter()
        .find_map(|k| lc.get(*k).and_then(width))
        .or_else(|| {
            lc.get("input_dim")
                .and_then(Value::as_u64)
                .and_then(|u| usize::try_from(u).ok())
        })
}

/// The number of non-batch axes of the model's input.
fn input_rank(root: &Value, config: &Value, layers: &[Value]) -> usize {
    let rank = |v: &Value| v.as_array().map(|a| a.len().saturating_sub(1));
    root.pointer("/build_config/input_shape")
        .or_else(|| config.get("build_input_shape"))
        .and_then(rank)
        .or_else(|| {
            layers.iter().find_map(|l| {
                let lc = l.get("config")?;
                lc.get("batch_shape")
                    .or_else(|| lc.get("batch_input_shape"))
                    .and_then(rank)
            })
        })
        .unwrap_or(1)
}

/// The product of the non-batch dimensions of a `[null, d1, d2, …]` shape.
fn width(shape: &Value) -> Option<usize> {
    let dims = shape.as_array()?;
    let mut product = 1usize;
    for d in dims.get(1..)? {
        product = product.checked_mul(usize::try_from(d.as_u64()?).ok()?)?;
    }
    (dims.len() > 1 && product > 0).then_some(product)
}

fn check_dtype(lc: &Value) -> std::result::Result<(), String> {
    let name = match lc.get("dtype") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(d @ Value::Object(_)) => d.pointer("/config/name").and_then(Value::as_str),
        _ => None,
    };
    match name {
        None | Some("float32") => Ok(()),
        Some(other) => Err(format!("dtype {other} (only float32)")),
    }
}

/// Keras' activation, as a name or a serialized function.
fn activation(value: Option<&Value>) -> std::result::Result<Activation, String> {
    let name = match value {
        None | Some(Value::Null) => "linear",
        Some(Value::String(s)) => s.as_str(),
        Some(v) => v
            .get("config")
            .and_then(Value::as_str)
            .or_else(|| v.pointer("/config/name").and_then(Value::as_str))
            .unwrap_or("?"),
    };
    Activation::from_name(name).ok_or_else(|| format!("activation `{name}`"))
}

/// A functional model must be a chain: each layer fed by the one before it, one input, one
/// output (the last layer).
fn check_chain(config: &Value, layers: &[Value], path: &Path) -> Result<()> {
    let names: Vec<&str> = layers
        .iter()
        .map(|l| {
            str_field(l, "name")
                .or_else(|| l.pointer("/config/name").and_then(Value::as_str))
                .unwrap_or("")
        })
        .collect();
    for (i, layer) in layers.iter().enumerate() {
        let mut inbound = Vec::new();
        if let Some(nodes) = layer.get("inbound_nodes") {
            collect_history(nodes, &mut inbound);
        }
        let expected: &[&str] = if i == 0 { &[] } else { &names[i - 1..i] };
        if inbound != expected {
            let class = str_field(layer, "class_name").unwrap_or("?").to_owned();
            return Err(KerasError::Unsupported {
                path: path.to_owned(),
                layer: names[i].to_owned(),
                class,
                reason: format!(
                    "its inputs are {inbound:?}; a functional model must be a chain of layers, each fed by the one before"
                ),
            });
        }
    }
    let mut outputs = Vec::new();
    collect_history(
        config.get("output_layers").unwrap_or(&json!([])),
        &mut outputs,
    );
    let last = names.last().copied().unwrap_or("");
    if outputs.len() != 1 || outputs[0] != last {
        return Err(config_error(
            path,
            "a functional model must have one output, its last layer",
        ));
    }
    Ok(())
}

/// The layer names a node list refers to: Keras 3's `keras_history: [name, node, tensor]`
/// and tf.keras 2's `[name, node, tensor, kwargs]` lists.
fn collect_history(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(h)) = map.get("keras_history") {
                if let Some(name) = h.first().and_then(Value::as_str) {
                    out.push(name.to_owned());
                }
                return;
            }
            map.values().for_each(|v| collect_history(v, out));
        }
        Value::Array(items) => {
            if let (Some(Value::String(name)), Some(Value::Number(_))) =
                (items.first(), items.get(1))
            {
                out.push(name.clone());
                return;
            }
            items.iter().for_each(|v| collect_history(v, out));
        }
        _ => {}
    }
}

/// A number or a list of numbers, as f32.
fn floats(value: &Value) -> Option<Vec<f32>> {
    match value {
        Value::Number(n) => Some(vec![n.as_f64()? as f32]),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(floats(item)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Keras' `to_snake_case`: `Dense` → `dense`, `InputLayer` → `input_layer`.
pub(crate) fn snake_case(class: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = class.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev_lower = chars[i - 1].is_ascii_lowercase();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev_lower || next_lower {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn config_error(path: &Path, reason: &str) -> KerasError {
    KerasError::Config {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequential(layers: &str) -> String {
        format!(
            r#"{{"class_name": "Sequential", "config": {{"name": "m", "layers": [
            {{"class_name": "InputLayer", "config": {{"batch_shape": [null, 2], "name": "in"}}}},
            {layers}]}}}}"#
        )
    }

    const DENSE: &str = r#"{"class_name": "Dense", "config": {"name": "d", "units": 2}}"#;
    const NORM: &str = r#"{"class_name": "Normalization", "config": {"name": "n", "axis": -1}}"#;

    #[test]
    fn normalization_between_dense_layers_is_refused() {
        let err = parse(
            &sequential(&format!("{DENSE}, {NORM}, {DENSE}")),
            Path::new("m.keras"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`n` (Normalization)"), "{err}");
        assert!(err.to_string().contains("must come first"), "{err}");
    }

    #[test]
    fn leading_normalization_then_dense_is_a_plan() {
        let plan = parse(
            &sequential(&format!("{NORM}, {DENSE}")),
            Path::new("m.keras"),
        )
        .unwrap();
        assert_eq!(plan.input, 2);
        assert!(matches!(
            plan.steps[0],
            Step::Normalization {
                invert: false,
                given: None,
                ..
            }
        ));
        assert!(matches!(&plan.steps[1], Step::Dense { key, units: 2, .. } if key == "dense"));
    }

    #[test]
    fn functional_branch_is_refused() {
        let text = r#"{"class_name": "Functional", "config": {"name": "f", "layers": [
            {"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [null, 2]}, "inbound_nodes": []},
            {"class_name": "Dense", "name": "a", "config": {"units": 2}, "inbound_nodes": [{"args": [{"config": {"keras_history": ["x", 0, 0]}}]}]},
            {"class_name": "Dense", "name": "b", "config": {"units": 2}, "inbound_nodes": [{"args": [{"config": {"keras_history": ["x", 0, 0]}}]}]}
            ], "output_layers": [["b", 0, 0]]}}"#;
        let err = parse(text, Path::new("f.keras")).unwrap_err();
        assert!(err.to_string().contains("`b` (Dense)"), "{err}");
        assert!(err.to_string().contains("chain"), "{err}");
    }

    #[test]
    fn relu_and_softmax_layers_are_activations() {
        let relu = r#"{"class_name": "ReLU", "config": {"name": "r", "max_value": null, "negative_slope": 0.0, "threshold": 0.0}}"#;
        let softmax = r#"{"class_name": "Softmax", "config": {"name": "s", "axis": -1}}"#;
        let plan = parse(
            &sequential(&format!("{DENSE}, {relu}, {DENSE}, {softmax}")),
            Path::new("m.keras"),
        )
        .unwrap();
        let activations: Vec<Activation> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Activation { activation, .. } => Some(*activation),
                _ => None,
            })
            .collect();
        assert_eq!(activations, [Activation::Relu, Activation::Softmax]);
        // relu6 and leaky_relu as ReLU's settings; other caps, slopes and thresholds refused.
        let layer = |class: &str, settings: &str| {
            let layer =
                format!(r#"{{"class_name": "{class}", "config": {{"name": "a"{settings}}}}}"#);
            parse(
                &sequential(&format!("{DENSE}, {layer}")),
                Path::new("m.keras"),
            )
            .map(|p| match p.steps[1] {
                Step::Activation { activation, .. } => activation,
                _ => unreachable!("an activation step"),
            })
        };
        assert_eq!(
            layer("ReLU", r#", "max_value": 6.0"#).unwrap(),
            Activation::Relu6
        );
        assert_eq!(
            layer("ReLU", r#", "negative_slope": 0.2, "max_value": null"#).unwrap(),
            Activation::LeakyRelu
        );
        assert_eq!(
            layer("LeakyReLU", r#", "negative_slope": 0.2"#).unwrap(),
            Activation::LeakyRelu
        );
        assert_eq!(
            layer("LeakyReLU", r#", "alpha": 0.2"#).unwrap(),
            Activation::LeakyRelu
        );
        assert_eq!(layer("ELU", "").unwrap(), Activation::Elu);
        assert_eq!(layer("ELU", r#", "alpha": 1.0"#).unwrap(), Activation::Elu);
        for (class, settings, reason) in [
            ("ReLU", r#", "max_value": 4.0"#, "max_value 4"),
            ("ReLU", r#", "negative_slope": 0.1"#, "negative_slope 0.1"),
            (
                "ReLU",
                r#", "max_value": 6.0, "negative_slope": 0.2"#,
                "both max_value 6",
            ),
            ("ReLU", r#", "threshold": 1.0"#, "threshold 1"),
            ("LeakyReLU", "", "negative_slope 0.3"),
            ("LeakyReLU", r#", "alpha": 0.01"#, "negative_slope 0.01"),
            ("ELU", r#", "alpha": 2.0"#, "alpha 2"),
        ] {
            let err = layer(class, settings).unwrap_err().to_string();
            assert!(err.contains(&format!("`a` ({class})")), "{err}");
            assert!(err.contains(reason), "{class} {settings}: {err}");
        }
    }

    #[test]
    fn dense_activations_by_keras_name_and_alias() {
        for (name, want) in [
            ("relu6", Activation::Relu6),
            ("swish", Activation::Silu),
            ("silu", Activation::Silu),
            ("hard_swish", Activation::HardSilu),
            ("gelu", Activation::Gelu),
            ("exponential", Activation::Exponential),
        ] {
            assert_eq!(activation(Some(&json!(name))), Ok(want));
        }
        assert_eq!(
            activation(Some(&json!("mish"))),
            Err("activation `mish`".to_owned())
        );
    }

    #[test]
    fn snake_case_matches_keras() {
        assert_eq!(snake_case("Dense"), "dense");
        assert_eq!(snake_case("InputLayer"), "input_layer");
        assert_eq!(snake_case("Normalization"), "normalization");
        assert_eq!(snake_case("Conv1D"), "conv1d");
    }
}
