//! The spec keys' reference (`docs/spec-reference.md`), generated from the spec's own types.
//!
//! Each table's keys are the fields its serde type accepts, read from the type itself
//! (`fields_of`), so a key added to a table without a line here fails this module's tests,
//! and a line for a key the table does not accept does too. Defaults that are values in the
//! code (`[fit]`, `[data]`, the optimizer, the callbacks) are printed from those values.
//! `cargo xtask docs` writes [`markdown`] into the document; a test in `trainer/tests/`
//! fails when the committed document differs.

use super::{CheckpointSpec, CompileSpec, DataSpec, EarlyStoppingSpec, FitSpec, LayerEntry};
use super::{ModelSpec, OptimizerSpec, QuantizeSpec};
use dendrite_core::format::MAX_LAYERS;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt::Write as _;

/// One documented key.
struct Key {
    /// The key as a spec file writes it.
    key: &'static str,
    /// What it takes.
    ty: &'static str,
    /// What it is when absent.
    default: String,
    /// What Keras calls it.
    keras: &'static str,
}

fn key(
    key: &'static str,
    ty: &'static str,
    default: impl Into<String>,
    keras: &'static str,
) -> Key {
    Key {
        key,
        ty,
        default: default.into(),
        keras,
    }
}

/// One table of the document.
struct Table {
    /// Its heading.
    heading: &'static str,
    /// Prose under the heading, before the table.
    intro: String,
    /// The keys the table's type accepts, which the tests compare with `keys`.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    fields: &'static [&'static str],
    /// Its keys, in the document's order.
    keys: Vec<Key>,
}

/// Records the field names a `Deserialize` type asks for, then stops it.
struct FieldNames(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut FieldNames {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("field names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The keys a table of type `T` accepts, from its `Deserialize` implementation.
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names = FieldNames(None);
    let _ = T::deserialize(&mut names);
    names.0.unwrap_or(&[])
}

/// A number as the document prints it: `0`, `0.001`, `1e-7`.
fn num(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-4 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn tables() -> Vec<Table> {
    let data = ModelSpec::default().data;
    let fit = FitSpec::default();
    let optimizer = OptimizerSpec::default().0.name;
    let early = EarlyStoppingSpec::default();
    let on_off = |b: bool| if b { "`true`" } else { "`false`" };
    vec![
        Table {
            heading: "Top level",
            intro: "".into(),
            fields: fields_of::<ModelSpec>(),
            keys: vec![
                key("task", "`\"classification\"`, `\"regression\"` or `\"anomaly\"`", "regression when `compile.loss` is a regression loss (`mse`, `mae`, `huber`), else classification", "—"),
                key("threshold_percentile", "number in [0, 100], anomaly only", format!("{}: the percentile of the training rows' reconstruction errors that becomes the anomaly threshold", super::DEFAULT_PERCENTILE), "—"),
                key("initial_weights", "path to a `.keras`, `.h5`, `.weights.h5` or model file of the same architecture", "none: the initializers", "`model.load_weights(...)` before `fit`"),
                key("data", "table, below", "the seed tutorial's generator when the command line gives no `--data`", "—"),
                key("layers", "array of tables, below", "the built-in networks of `dendrite train`", "`model.add(...)` calls"),
                key("compile", "table, below", "every key's default", "`model.compile(...)`"),
                key("fit", "table, below", "every key's default", "`model.fit(...)`"),
                key("callbacks", "tables, below", "none", "`fit(callbacks=[...])`"),
                key("quantize", "table, below", "none: no int8 model", "TFLite's converter with a representative dataset"),
            ],
        },
        Table {
            heading: "`[data]`",
            intro: "".into(),
            fields: fields_of::<DataSpec>(),
            keys: vec![
                key("path", "path to a CSV file", "none (give `path` or `generator`, not both)", "the arrays given to `fit`"),
                key("label", "string, or list of strings for several regression targets", "none", "`y`"),
                key("features", "list of column names", "every column but the label", "`x`'s columns"),
                key("validation_data", "path to a CSV file", "none", "`fit(validation_data=...)`"),
                key("generator", "`\"seed\"`: the seed tutorial's people (weight, height, age → gender)", "none", "—"),
                key("samples", "integer, 2 to 10,000,000", format!("{}", super::DEFAULT_SAMPLES), "—"),
                key("classes", "list of two class names, for generated data (`examples/seed.toml`: `[\"female\", \"male\"]`)", "`[\"0\", \"1\"]`", "—"),
                key("standardize", "bool", format!("{}: the training rows' mean and std, kept in the model file", on_off(data.standardize)), "a leading `Normalization` layer, `adapt`ed"),
                key("standardize_targets", "bool", format!("{}: regression targets standardized, predictions returned in their units", on_off(data.standardize_targets)), "a trailing `Normalization(invert=True)`"),
            ],
        },
        Table {
            heading: "`[[layers]]`",
            intro: format!(
                "One table per layer, input side first, as `model.add` calls. A model holds at most \
                 {MAX_LAYERS} Dense\nlayers."
            ),
            fields: fields_of::<LayerEntry>(),
            keys: vec![
                key("type", "`\"dense\"`, `\"activation\"` or `\"dropout\"`", "`\"dense\"`", "`Dense`, `Activation`, `Dropout`"),
                key("units", "integer, 1 to 65,535", "on the last Dense layer: one per class (one for `binary_crossentropy` with two classes), one per target (regression), one per feature (anomaly); required on hidden layers", "`units`"),
                key("activation", "`linear`, `relu`, `sigmoid`, `tanh`, `softmax`, `relu6`, `leaky_relu` (slope 0.2), `elu` (alpha 1), `selu`, `softplus`, `softsign`, `silu`/`swish`, `gelu` (the erf form), `hard_sigmoid`, `hard_silu`/`hard_swish`, `exponential`", "`linear` (required on an Activation layer)", "`activation`"),
                key("kernel_initializer", "`zeros`, `ones`, `random_normal`, `random_uniform`, `glorot_uniform`, `glorot_normal`, `he_normal`, `he_uniform`", "`glorot_uniform`", "`kernel_initializer`"),
                key("bias_initializer", "as `kernel_initializer`", "`zeros`", "`bias_initializer`"),
                key("name", "string, at most 256 bytes", "`dense`, `dense_1`, …", "`name`"),
                key("input_dim", "integer, first layer only", "the number of features (a different value is refused)", "`keras.Input(shape=(n,))`"),
                key("kernel_regularizer", "`\"l1\"`, `\"l2\"`, `\"l1_l2\"` (factor 0.01 each), or `{ l1 = ..., l2 = ... }` (non-negative; a missing factor is 0)", "none", "`kernel_regularizer`: the penalty `l1·Σ\\|w\\| + l2·Σw²` is added to the loss `fit` and `evaluate` report"),
                key("bias_regularizer", "as `kernel_regularizer`", "none", "`bias_regularizer`"),
                key("rate", "fraction in [0, 1), Dropout layers only (required there)", "—", "`Dropout(rate)`: inverted dropout while training, masks from the seeded generator; the model file leaves it out"),
            ],
        },
        Table {
            heading: "`[compile]`",
            intro: "".into(),
            fields: fields_of::<CompileSpec>(),
            keys: vec![
                key("optimizer", "a name, or a table `{ name = ..., learning_rate = ..., ... }`", format!("`\"{optimizer}\"`"), "`optimizer`"),
                key("loss", "`categorical_crossentropy`, `binary_crossentropy`, `mean_squared_error`/`mse`, `mean_absolute_error`/`mae`, `huber`/`huber_loss`", "see [below](#how-the-output-activation-and-loss-are-chosen)", "`loss`"),
                key("metrics", "list of `accuracy`/`acc`, `mae`, `mse`, `rmse` (and their long names)", "`[\"accuracy\"]` for a classifier, `[\"mae\"]` otherwise", "`metrics`"),
            ],
        },
        Table {
            heading: "`[compile] optimizer` table",
            intro: "`name` and any of these keys; each optimizer refuses the keys it does not take, and its\nKeras defaults fill the others: `sgd`: `learning_rate` 0.01, `momentum` 0, `nesterov` false;\n`rmsprop`: `learning_rate` 0.001, `rho` 0.9, `momentum` 0, `epsilon` 1e-7; `adam`:\n`learning_rate` 0.001, `beta_1` 0.9, `beta_2` 0.999, `epsilon` 1e-7.".into(),
            fields: fields_of::<super::optimizer::OptimizerTable>(),
            keys: vec![
                key("name", "`sgd`, `rmsprop` or `adam`", "required", "the optimizer's class"),
                key("learning_rate", "positive, finite", "the optimizer's", "`learning_rate`"),
                key("rho", "in [0, 1), `rmsprop`", "0.9", "`rho`"),
                key("momentum", "in [0, 1), `sgd` and `rmsprop`", "0", "`momentum`"),
                key("epsilon", "positive, finite; `rmsprop` and `adam`", "1e-7", "`epsilon`"),
                key("beta_1", "in [0, 1), `adam`", "0.9", "`beta_1`"),
                key("beta_2", "in [0, 1), `adam`", "0.999", "`beta_2`"),
                key("nesterov", "bool, `sgd`", "`false`", "`nesterov`"),
            ],
        },
        Table {
            heading: "`[fit]`",
            intro: "".into(),
            fields: fields_of::<FitSpec>(),
            keys: vec![
                key("epochs", "integer, 1 to 1,000,000", fit.epochs.to_string(), "`epochs`"),
                key("batch_size", "integer, at least 1", fit.batch_size.to_string(), "`batch_size`"),
                key("shuffle", "bool", on_off(fit.shuffle), "`shuffle`"),
                key("validation_split", "fraction in [0, 1): the last rows of the training data, before shuffling", num(fit.validation_split), "`validation_split`"),
                key("test_split", "fraction in [0, 1): rows held out by a seeded shuffle and evaluated after training", num(fit.test_split), "— (scikit-learn's `train_test_split`)"),
                key("seed", "integer", format!("{}: the one generator behind every random draw", fit.seed), "`keras.utils.set_random_seed`"),
                key("class_weight", "`\"balanced\"` (scikit-learn's `n / (k · count)`), or `{ class = weight, ... }` by class name or index (others weigh 1); classifiers only; `--class-weight balanced`", "none", "`class_weight`: each sample's loss times its class's weight, summed over the batch size"),
            ],
        },
        Table {
            heading: "`[callbacks.early_stopping]`",
            intro: "".into(),
            fields: fields_of::<EarlyStoppingSpec>(),
            keys: vec![
                key("monitor", "a quantity `fit` logs: `loss`, a metric, or their `val_` forms", format!("`\"{}\"`", early.monitor), "`EarlyStopping(monitor)`"),
                key("min_delta", "number", num(early.min_delta), "`min_delta`"),
                key("patience", "integer", early.patience.to_string(), "`patience`"),
                key("restore_best_weights", "bool", on_off(early.restore_best_weights), "`restore_best_weights`"),
                key("mode", "`\"auto\"`, `\"min\"` or `\"max\"`", "`\"auto\"`", "`mode`"),
            ],
        },
        Table {
            heading: "`[callbacks.model_checkpoint]`",
            intro: "".into(),
            fields: fields_of::<CheckpointSpec>(),
            keys: vec![
                key("path", "path of the best model file (not `--out`)", "required", "`ModelCheckpoint(filepath, save_best_only=True)`"),
                key("monitor", "as early stopping's", format!("`\"{}\"`", early.monitor), "`monitor`"),
                key("mode", "`\"auto\"`, `\"min\"` or `\"max\"`", "`\"auto\"`", "`mode`"),
            ],
        },
        Table {
            heading: "`[callbacks.learning_rate_schedule]`",
            intro: "`schedule = \"step\"` takes `factor` and `every`; `schedule = \"exponential\"` takes\n`decay_rate` and `decay_epochs`.".into(),
            fields: &["schedule", "factor", "every", "decay_rate", "decay_epochs"],
            keys: vec![
                key("schedule", "`\"step\"` or `\"exponential\"`", "required", "`LearningRateScheduler`, `ExponentialDecay`"),
                key("factor", "in (0, 1]; step", "required", "`lr0 · factor^floor(epoch / every)`"),
                key("every", "integer ≥ 1; step", "required", "—"),
                key("decay_rate", "in (0, 1]; exponential", "required", "`lr0 · decay_rate^(epoch / decay_epochs)`"),
                key("decay_epochs", "number > 0; exponential", "1", "`decay_steps`, counted in epochs"),
            ],
        },
        Table {
            heading: "`[quantize]`",
            intro: "Post-training int8 quantization right after `fit`, with TensorFlow Lite's scheme (the one\n`dendrite quantize` applies): weights symmetric int8 per output channel, activations asymmetric\nint8 per tensor with ranges from the calibration rows, int32 biases, TFLite's requantization and\nits int8 softmax, logistic and tanh (relu and relu6 are its clamps; the other activations have\nno int8 form and are refused). The table's presence switches it on; every key is optional,\nso an empty `[quantize]` calibrates on the training rows and writes the int8 model beside the\nf32 one. `train` then prints the report `dendrite quantize` prints (float against int8 on the\ncalibration rows and on the held-out test rows: a classifier's accuracy and cross-entropy, a\nregression's mean squared and absolute errors in the targets' units; the largest output\ndifference, the parameter bytes of each, what became of the standardization) and writes the\nint8 file.".into(),
            fields: fields_of::<QuantizeSpec>(),
            keys: vec![
                key("calibration", "path to a CSV file (same columns as the data)", "the training rows (all of them, the validation split included; not the test rows)", "`converter.representative_dataset`"),
                key("out", "path of the int8 model file", "`--out` with `.int8` before its extension (`model.postcard` → `model.int8.postcard`)", "the `.tflite` file written"),
                key("replace_float", "bool", format!("{}; `true` writes only the int8 model, at `--out` (not with `out`)", on_off(QuantizeSpec::default().replace_float)), "—"),
            ],
        },
    ]
}

/// The key tables of `docs/spec-reference.md`, as Markdown.
pub fn markdown() -> String {
    let mut out = String::new();
    for table in tables() {
        let _ = writeln!(out, "## {}\n", table.heading);
        if !table.intro.is_empty() {
            let _ = writeln!(out, "{}\n", table.intro);
        }
        out.push_str("| key | type | default | Keras equivalent |\n|---|---|---|---|\n");
        for k in &table.keys {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                k.key, k.ty, k.default, k.keras
            );
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The line before the generated tables in `docs/spec-reference.md`.
pub const BEGIN: &str =
    "<!-- spec keys: written by `cargo xtask docs` from trainer/src/spec/reference.rs -->";
/// The line after them.
pub const END: &str = "<!-- end of spec keys -->";

/// `doc` with the text between [`BEGIN`] and [`END`] replaced by [`markdown`]; `None` when a
/// marker is missing.
pub fn regenerate(doc: &str) -> Option<String> {
    let start = doc.find(BEGIN)? + BEGIN.len();
    let end = start + doc[start..].find(END)?;
    Some(format!(
        "{}\n\n{}\n{}",
        &doc[..start],
        markdown(),
        &doc[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_documents_exactly_the_keys_its_type_accepts() {
        for table in tables() {
            assert!(
                !table.fields.is_empty(),
                "{}: no fields read",
                table.heading
            );
            let mut documented: Vec<&str> = table.keys.iter().map(|k| k.key).collect();
            let mut accepted = table.fields.to_vec();
            documented.sort_unstable();
            accepted.sort_unstable();
            assert_eq!(documented, accepted, "{}", table.heading);
        }
    }

    #[test]
    fn the_schedule_keys_are_the_schedules_fields() {
        // `Schedule` is an internally tagged enum, whose fields serde does not list: parse a
        // table with every documented key but one to see each accepted.
        for spec in [
            "schedule = \"step\"\nfactor = 0.5\nevery = 2",
            "schedule = \"exponential\"\ndecay_rate = 0.5\ndecay_epochs = 2",
        ] {
            let toml = format!("[callbacks.learning_rate_schedule]\n{spec}");
            assert!(ModelSpec::from_toml(&toml, "t").is_ok(), "{spec}");
            let extra = format!("{toml}\nunknown = 1");
            assert!(ModelSpec::from_toml(&extra, "t").is_err(), "{spec}");
        }
    }

    #[test]
    fn field_names_come_from_the_types() {
        assert!(fields_of::<FitSpec>().contains(&"class_weight"));
        assert!(fields_of::<LayerEntry>().contains(&"type"));
    }
}
