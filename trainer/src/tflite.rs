//! TensorFlow Lite flatbuffers of dense models, read into Dendrite's float or int8 layers.
//!
//! The flatbuffer is read through code that the `planus` flatbuffer compiler generated from
//! TFLite's schema (`schema.fbs` beside this file, reduced to the tables a dense model uses by
//! `bench/tflite_schema.py`), never through hand-decoded offsets. Supported: `FULLY_CONNECTED`
//! (fused none, relu, relu6), `RELU`, `SOFTMAX`, `LOGISTIC`, `TANH`, `QUANTIZE`, `DEQUANTIZE`,
//! `RESHAPE`, in float32 and in int8 with per-tensor or per-channel weights. In a float32
//! model also:
//! - `RELU6`, `LEAKY_RELU` (alpha 0.2, Keras' `leaky_relu`), `ELU`, `HARD_SWISH` (hard_silu),
//!   `GELU` (exact, not `approximate`) and `EXP` (exponential) after a layer;
//! - the operator graphs the converter writes for Keras' `selu`, `softplus`, `softsign` and
//!   `silu`, recognised whole (`import/activations.rs`); Keras' `hard_sigmoid` arrives as a relu6
//!   layer, its shift and scale folded into the weights by the converter;
//! - a `SUB` (or `ADD`) then a `MUL` (or `DIV`) by constants on the input, what the converter
//!   makes of a Keras `Normalization` layer, folded into the model file's standardization
//!   ([`Standardization`]).
//!
//! Any other operator is refused by its TFLite name, a `SUB`, `ADD`, `MUL` or `DIV` anywhere
//! else by its name and position.
//!
//! Regenerate the schema code with
//! `planus rust -o trainer/src/tflite/schema_generated.rs trainer/src/tflite/schema.fbs`
//! (planus-cli 1.3.0, the version of the `planus` runtime crate).

mod import;
mod operator_names;
// Generated code: planus' readers and writers implement its unsafe traits, which the
// workspace's `unsafe_code` lint would refuse.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unused, non_camel_case_types, unsafe_code)]
mod schema_generated;

/// The generated schema types Dendrite reads.
use schema_generated as schema;

pub use import::{import, FloatLayer, ImportError, Imported, Standardization};
