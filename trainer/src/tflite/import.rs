//! From a TFLite flatbuffer to Dendrite's float or int8 dense layers.

use super::operator_names::OPERATOR_NAMES;
use super::schema::{
    ActivationFunctionType, BuiltinOperator, BuiltinOptionsRef, ModelRef, OperatorRef, TensorRef,
    TensorType,
};
use crate::quantize::{Int8Activation, Int8Layer, Int8Model};
use dendrite_core::format::{LayerRef, LayerSpec, ModelRef as FileModel};
use dendrite_core::quant::{
    activation_range, lut_populate, quantize_multiplier, QuantParams, SoftmaxParams,
};
use dendrite_core::Activation;
use planus::ReadAsRoot;
use std::collections::{HashMap, HashSet};

mod activations;
mod standardize;

/// Why a TFLite file was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum ImportError {
    /// The bytes are not a TFLite flatbuffer, or a field is out of bounds.
    #[error("not a valid TFLite flatbuffer: {0}")]
    Flatbuffer(String),
    /// The model uses an operator Dendrite does not run.
    #[error("operator {0} is not supported: Dendrite imports dense models (FULLY_CONNECTED, RELU, SOFTMAX, LOGISTIC, TANH, QUANTIZE, DEQUANTIZE, RESHAPE; in float32 also RELU6, LEAKY_RELU, ELU, HARD_SWISH, GELU, EXP and the converter's forms of selu, softplus, softsign and silu)")]
    UnsupportedOperator(String),
    /// The model is built of supported operators in a way Dendrite does not run.
    #[error("unsupported model structure: {0}")]
    Unsupported(String),
    /// A `SUB`, `ADD`, `MUL` or `DIV` that is not a standardization of the float input (the
    /// only form of these operators Dendrite runs, folded into the model file's
    /// standardization).
    #[error("{operator} at operator {index} of the graph is not a standardization of the float input ({why}); Dendrite folds only SUB or ADD then MUL or DIV by float32 constants before the first FULLY_CONNECTED")]
    NotStandardization {
        /// TFLite's name of the operator.
        operator: String,
        /// Its position in the subgraph's operator list, counting from 0.
        index: usize,
        /// What makes it something else.
        why: String,
    },
}

impl From<planus::Error> for ImportError {
    fn from(e: planus::Error) -> Self {
        ImportError::Flatbuffer(e.to_string())
    }
}

type Result<T> = std::result::Result<T, ImportError>;

fn unsupported<T>(what: impl Into<String>) -> Result<T> {
    Err(ImportError::Unsupported(what.into()))
}

/// A float32 dense layer read from a TFLite file.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    /// `units × inputs` weights, row-major (TFLite's `[out, in]`, dendrite-core's order).
    pub kernel: Vec<f32>,
    /// `units` biases.
    pub bias: Vec<f32>,
    /// The activation after the layer.
    pub activation: Activation,
}

/// The standardization `x_i = (x_i - mean_i) / std_i` in front of a float model's first
/// layer, folded from the `SUB` (or `ADD`) and `MUL` (or `DIV`) by constants that TFLite's
/// converter makes of a Keras `Normalization` layer.
///
/// TFLite multiplies by the converter's reciprocal `c = 1 / max(sqrt(variance), 1e-7)`; the
/// model file divides by `std = 1 / c` (rounded to f32), so a standardized value can differ
/// from TFLite's in its last bit.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardization {
    /// One mean per input: the subtracted constant (the added one, negated), or 0.
    pub mean: Vec<f32>,
    /// One std per input: the reciprocal of the factor, the divisor, or 1.
    pub std: Vec<f32>,
}

/// What a TFLite file holds, in Dendrite's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Imported {
    /// A float32 model.
    Float {
        /// The number of inputs.
        inputs: usize,
        /// The standardization of the inputs the file starts with, if any.
        standardization: Option<Standardization>,
        /// Its dense layers.
        layers: Vec<FloatLayer>,
    },
    /// An int8 model.
    Int8 {
        /// The integer network.
        model: Int8Model,
        /// The file takes float inputs and quantizes them (a `QUANTIZE` operator first).
        float_input: bool,
        /// The file dequantizes its outputs to float (a `DEQUANTIZE` operator last).
        float_output: bool,
    },
}

/// TFLite's name of an operator (`"FULLY_CONNECTED"`, `"CONV_2D"`, …).
fn operator_name(op: BuiltinOperator) -> String {
    let code = op as i32;
    OPERATOR_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| format!("#{code}"), |(_, name)| (*name).to_owned())
}

/// The operator code of `op`: TFLite reads the larger of the two code fields (old files set
/// only the deprecated one).
fn builtin_code(model: &ModelRef<'_>, op: &OperatorRef<'_>) -> Result<BuiltinOperator> {
    let codes = model
        .operator_codes()?
        .ok_or_else(|| ImportError::Flatbuffer("no operator codes".into()))?;
    let index = op.opcode_index()? as usize;
    let code = codes
        .get(index)
        .ok_or_else(|| ImportError::Flatbuffer(format!("operator code {index} missing")))??;
    let deprecated = i32::from(code.deprecated_builtin_code()?);
    let builtin = code.builtin_code()?;
    if (builtin as i32) < deprecated {
        BuiltinOperator::try_from(deprecated)
            .map_err(|_| ImportError::Flatbuffer(format!("unknown operator code {deprecated}")))
    } else {
        Ok(builtin)
    }
}

struct Graph<'a> {
    model: ModelRef<'a>,
    tensors: Vec<TensorRef<'a>>,
    /// Float32 constants computed at import: the outputs of the `DEQUANTIZE` operators that
    /// widen a float16 constant (a float16-quantized file's weights and biases), little-endian.
    widened: HashMap<i32, Vec<u8>>,
}

impl<'a> Graph<'a> {
    fn tensor(&self, index: i32) -> Result<&TensorRef<'a>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.tensors.get(i))
            .ok_or_else(|| ImportError::Flatbuffer(format!("tensor {index} out of range")))
    }

    fn element_count(&self, index: i32) -> Result<usize> {
        let shape = self.tensor(index)?.shape()?;
        let Some(shape) = shape else { return Ok(1) };
        shape
            .iter()
            .try_fold(1usize, |n, d| n.checked_mul(usize::try_from(d).ok()?))
            .ok_or_else(|| {
                ImportError::Flatbuffer(format!("tensor {index} has a negative or huge shape"))
            })
    }

    fn data(&self, index: i32) -> Result<&[u8]> {
        if let Some(bytes) = self.widened.get(&index) {
            return Ok(bytes);
        }
        let buffer = self.tensor(index)?.buffer()? as usize;
        let buffers = self
            .model
            .buffers()?
            .ok_or_else(|| ImportError::Flatbuffer("no buffers".into()))?;
        let buffer = buffers
            .get(buffer)
            .ok_or_else(|| ImportError::Flatbuffer(format!("buffer {buffer} missing")))??;
        if buffer.offset()? != 0 {
            return unsupported("weights stored outside the flatbuffer (a model over 2 GB)");
        }
        Ok(buffer.data()?.unwrap_or(&[]))
    }

    fn kind(&self, index: i32) -> Result<TensorType> {
        if self.widened.contains_key(&index) {
            return Ok(TensorType::Float32);
        }
        Ok(self.tensor(index)?.type_()?)
    }

    /// Whether the tensor is a constant (its buffer holds data).
    fn is_constant(&self, index: i32) -> Result<bool> {
        Ok(!self.data(index)?.is_empty())
    }

    /// Per-tensor quantization of an activation tensor.
    fn quant(&self, index: i32) -> Result<QuantParams> {
        let (scales, zeros) = self.quant_arrays(index)?;
        match (scales.as_slice(), zeros.as_slice()) {
            ([scale], [zero]) if *scale > 0.0 && (-128..=127).contains(zero) => Ok(QuantParams {
                scale: *scale,
                zero_point: *zero as i32,
            }),
            _ => unsupported(format!(
                "tensor {index} is not quantized per tensor with a positive scale"
            )),
        }
    }

    fn quant_arrays(&self, index: i32) -> Result<(Vec<f32>, Vec<i64>)> {
        let Some(q) = self.tensor(index)?.quantization()? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let scales = q.scale()?.map(|v| v.iter().collect()).unwrap_or_default();
        let zeros = q
            .zero_point()?
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        Ok((scales, zeros))
    }
}

/// Reads a TFLite flatbuffer of a dense model.
///
/// # Errors
/// [`ImportError::Flatbuffer`] for bytes that are not a TFLite model;
/// [`ImportError::UnsupportedOperator`] naming the first operator Dendrite does not run;
/// [`ImportError::Unsupported`] for supported operators in a shape Dendrite does not run
/// (several subgraphs, a branch, asymmetric weights, a leaky relu of another slope, …);
/// [`ImportError::NotStandardization`] for a `SUB`, `ADD`, `MUL` or `DIV` that is not a
/// standardization of the float input.
pub fn import(bytes: &[u8]) -> Result<Imported> {
    let model = ModelRef::read_as_root(bytes)?;
    let subgraphs = model
        .subgraphs()?
        .ok_or_else(|| ImportError::Flatbuffer("no subgraph".into()))?;
    if subgraphs.len() != 1 {
        return unsupported(format!("{} subgraphs (Dendrite runs one)", subgraphs.len()));
    }
    let subgraph = subgraphs
        .get(0)
        .ok_or_else(|| ImportError::Flatbuffer("no subgraph".into()))??;
    let tensors = subgraph
        .tensors()?
        .map(|v| v.iter().collect::<std::result::Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let mut graph = Graph {
        model,
        tensors,
        widened: HashMap::new(),
    };
    let single = |v: Option<planus::Vector<'_, i32>>, what: &str| -> Result<i32> {
        match v.map(|v| v.iter().collect::<Vec<_>>()).as_deref() {
            Some([t]) => Ok(*t),
            _ => unsupported(format!("the model must have exactly one {what} tensor")),
        }
    };
    let input = single(subgraph.inputs()?, "input")?;
    let output = single(subgraph.outputs()?, "output")?;
    let operators: Vec<OperatorRef<'_>> = subgraph
        .operators()?
        .map(|v| v.iter().collect::<std::result::Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();

    let mut skipped = constant_operators(&mut graph, &operators)?;
    let nodes = activations::Nodes::new(&graph, &operators, &skipped)?;
    let mut builder = Builder::new(&graph, input)?;
    for (i, op) in operators.iter().enumerate() {
        if skipped.contains(&i) {
            continue;
        }
        builder.at = i;
        if let Some(pattern) = builder.pattern(&nodes, op)? {
            skipped.extend(&pattern.operators);
            continue;
        }
        builder.push(op)?;
    }
    if builder.current != output {
        return unsupported("the operators do not lead from the input to the output in one chain");
    }
    builder.finish()
}

/// The operators that compute constants rather than the network's values, which the chain
/// walk skips:
/// - a `DEQUANTIZE` of a float16 constant (a float16-quantized file: TFLite widens each weight
///   and bias to float32 before running the float kernels; the widened values are computed
///   here, exactly, into `graph.widened`);
/// - the shape arithmetic of a `RESHAPE` whose batch size is dynamic (Keras' `Flatten`, an
///   input of several dimensions: `SHAPE`, `STRIDED_SLICE`, `PACK` and kin, whose results feed
///   only the `RESHAPE`'s new-shape input). The `RESHAPE` itself stays in the chain, where the
///   number of values it keeps is checked.
fn constant_operators(
    graph: &mut Graph<'_>,
    operators: &[OperatorRef<'_>],
) -> Result<HashSet<usize>> {
    let mut skipped = HashSet::new();
    let mut shape_tensors: HashSet<i32> = HashSet::new();
    for (i, op) in operators.iter().enumerate().rev() {
        let code = builtin_code(&graph.model, op)?;
        let inputs: Vec<i32> = op.inputs()?.map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op
            .outputs()?
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        match code {
            BuiltinOperator::Reshape => shape_tensors.extend(inputs.iter().skip(1)),
            BuiltinOperator::Shape
            | BuiltinOperator::StridedSlice
            | BuiltinOperator::Slice
            | BuiltinOperator::Pack
            | BuiltinOperator::Concatenation
            | BuiltinOperator::Gather
            | BuiltinOperator::Cast
            | BuiltinOperator::Squeeze
            | BuiltinOperator::ExpandDims
            | BuiltinOperator::ReduceProd
                if !outputs.is_empty() && outputs.iter().all(|o| shape_tensors.contains(o)) =>
            {
                skipped.insert(i);
                // SHAPE reads only its input's dimensions; the others' inputs are shapes too.
                if code != BuiltinOperator::Shape {
                    shape_tensors.extend(&inputs);
                }
            }
            _ => {}
        }
    }
    for (i, op) in operators.iter().enumerate() {
        if builtin_code(&graph.model, op)? != BuiltinOperator::Dequantize {
            continue;
        }
        let inputs: Vec<i32> = op.inputs()?.map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op
            .outputs()?
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let ([x], [y]) = (inputs.as_slice(), outputs.as_slice()) else {
            continue;
        };
        if graph.kind(*x)? != TensorType::Float16 || !graph.is_constant(*x)? {
            continue;
        }
        let half = graph.data(*x)?;
        if half.len() != 2 * graph.element_count(*x)? {
            return unsupported("a float16 constant whose data does not fill its shape");
        }
        let widened = half
            .chunks_exact(2)
            .flat_map(|b| {
                half::f16::from_le_bytes([b[0], b[1]])
                    .to_f32()
                    .to_le_bytes()
            })
            .collect();
        graph.widened.insert(*y, widened);
        skipped.insert(i);
    }
    Ok(skipped)
}

/// Walks the operator chain, growing the layers.
struct Builder<'g, 'a> {
    graph: &'g Graph<'a>,
    current: i32,
    float: bool,
    float_input: bool,
    float_output: bool,
    float_layers: Vec<FloatLayer>,
    int8_layers: Vec<Int8Layer>,
    inputs: usize,
    /// The position of the operator being read in the subgraph's list, for messages.
    at: usize,
    /// The means folded from a `SUB` or `ADD` on the float input.
    mean: Option<Vec<f32>>,
    /// The stds folded from a `MUL` or `DIV` on the float input.
    std: Option<Vec<f32>>,
}

impl<'g, 'a> Builder<'g, 'a> {
    fn new(graph: &'g Graph<'a>, input: i32) -> Result<Self> {
        let kind = graph.kind(input)?;
        let float = match kind {
            TensorType::Float32 => true,
            TensorType::Int8 => false,
            other => {
                return unsupported(format!(
                    "input tensor of type {other:?} (float32 or int8 only)"
                ))
            }
        };
        Ok(Builder {
            graph,
            current: input,
            float,
            float_input: float,
            float_output: false,
            float_layers: Vec::new(),
            int8_layers: Vec::new(),
            inputs: graph.element_count(input)?,
            at: 0,
            mean: None,
            std: None,
        })
    }

    fn push(&mut self, op: &OperatorRef<'a>) -> Result<()> {
        let code = builtin_code(&self.graph.model, op)?;
        let inputs: Vec<i32> = op.inputs()?.map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op
            .outputs()?
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let (Some(&x), [y]) = (inputs.first(), outputs.as_slice()) else {
            return unsupported(format!(
                "{} without one input and one output",
                operator_name(code)
            ));
        };
        if self.float_output {
            return unsupported("an operator after DEQUANTIZE");
        }
        let y = *y;
        if let BuiltinOperator::Sub
        | BuiltinOperator::Add
        | BuiltinOperator::Mul
        | BuiltinOperator::Div = code
        {
            // Either operand may be the chain's value (a MUL by a constant in either order).
            self.standardization(code, op, &inputs, y)?;
            self.current = y;
            return Ok(());
        }
        if x != self.current {
            return unsupported(format!(
                "{} does not take the previous operator's output",
                operator_name(code)
            ));
        }
        match code {
            BuiltinOperator::Quantize => self.quantize(y)?,
            BuiltinOperator::Dequantize => self.dequantize(y)?,
            BuiltinOperator::FullyConnected => self.fully_connected(op, &inputs, y)?,
            BuiltinOperator::Reshape => {
                if self.graph.element_count(y)? != self.graph.element_count(x)? {
                    return unsupported("a RESHAPE that changes the number of values");
                }
            }
            BuiltinOperator::Relu
            | BuiltinOperator::Softmax
            | BuiltinOperator::Logistic
            | BuiltinOperator::Tanh => self.activation(code, op, x, y)?,
            BuiltinOperator::Relu6
            | BuiltinOperator::LeakyRelu
            | BuiltinOperator::Elu
            | BuiltinOperator::HardSwish
            | BuiltinOperator::Gelu
            | BuiltinOperator::Exp
                if self.float =>
            {
                self.activation(code, op, x, y)?;
            }
            other => return Err(ImportError::UnsupportedOperator(operator_name(other))),
        }
        self.current = y;
        Ok(())
    }

    /// Folds the activation whose operators start at `op` (selu, softplus, softsign, silu as
    /// the converter writes them) into the float layer before it; `None` when they are not one.
    fn pattern(
        &mut self,
        nodes: &activations::Nodes,
        op: &OperatorRef<'a>,
    ) -> Result<Option<activations::Pattern>> {
        let reads_current = op
            .inputs()?
            .is_some_and(|v| v.iter().any(|t| t == self.current));
        let Some(last) = self
            .float_layers
            .last_mut()
            .filter(|l| self.float && reads_current && l.activation == Activation::Linear)
        else {
            return Ok(None);
        };
        let Some(pattern) = nodes.recognise(self.graph, self.current) else {
            return Ok(None);
        };
        last.activation = pattern.activation;
        self.current = pattern.output;
        Ok(Some(pattern))
    }

    fn quantize(&mut self, y: i32) -> Result<()> {
        if !self.float || !self.float_layers.is_empty() || self.graph.kind(y)? != TensorType::Int8 {
            return unsupported("QUANTIZE other than float32 to int8 before the first layer");
        }
        self.float = false;
        Ok(())
    }

    fn dequantize(&mut self, y: i32) -> Result<()> {
        if self.float || self.graph.kind(y)? != TensorType::Float32 {
            return unsupported("DEQUANTIZE other than int8 to float32");
        }
        self.float_output = true;
        Ok(())
    }

    fn fully_connected(&mut self, op: &OperatorRef<'a>, inputs: &[i32], y: i32) -> Result<()> {
        let fused = match op.builtin_options()? {
            Some(BuiltinOptionsRef::FullyConnectedOptions(o)) => {
                if o.weights_format()? != 0 {
                    return unsupported("FULLY_CONNECTED with shuffled weights");
                }
                o.fused_activation_function()?
            }
            _ => ActivationFunctionType::None,
        };
        let (Some(&w), bias) = (inputs.get(1), inputs.get(2).copied().filter(|&b| b >= 0)) else {
            return unsupported("FULLY_CONNECTED without weights");
        };
        let fan_in = self.graph.element_count(self.current)?;
        let weights = self.graph.data(w)?;
        let units = self.graph.element_count(y)?;
        if units == 0
            || fan_in == 0
            || Some(self.graph.element_count(w)?) != units.checked_mul(fan_in)
        {
            return unsupported(
                "FULLY_CONNECTED weights whose shape is not [outputs, inputs] of a single sample",
            );
        }
        if self.float && self.graph.kind(w)? != TensorType::Float32 {
            return unsupported(
                "a float model with int8 weights (dynamic-range quantization): convert with a representative dataset for an int8 model, or without optimizations for a float32 one",
            );
        }
        // The weights' bytes bound every size below, so a corrupted shape cannot ask for a
        // huge allocation.
        let element = if self.float { 4 } else { 1 };
        if Some(weights.len())
            != units
                .checked_mul(fan_in)
                .and_then(|n| n.checked_mul(element))
        {
            return unsupported("FULLY_CONNECTED weights whose data does not fill their shape");
        }
        if self.float {
            self.float_layer(bias, weights, (units, fan_in), fused)
        } else {
            self.int8_layer(w, bias, weights, (units, fan_in), y, fused)
        }
    }

    fn float_layer(
        &mut self,
        bias: Option<i32>,
        weights: &[u8],
        (units, fan_in): (usize, usize),
        fused: ActivationFunctionType,
    ) -> Result<()> {
        let kernel = f32s(weights);
        let bias = match bias {
            Some(b) => f32s(self.graph.data(b)?),
            None => vec![0.0; units],
        };
        if Some(kernel.len()) != units.checked_mul(fan_in) || bias.len() != units {
            return unsupported("FULLY_CONNECTED weights or bias of the wrong length");
        }
        let activation = match fused {
            ActivationFunctionType::None => Activation::Linear,
            ActivationFunctionType::Relu => Activation::Relu,
            ActivationFunctionType::Relu6 => Activation::Relu6,
            other => {
                return unsupported(format!(
                    "FULLY_CONNECTED at operator {} with fused {other:?} in a float model (Dendrite's float layers have none)",
                    self.at
                ))
            }
        };
        self.float_layers.push(FloatLayer {
            kernel,
            bias,
            activation,
        });
        Ok(())
    }

    fn int8_layer(
        &mut self,
        w: i32,
        bias: Option<i32>,
        weights: &[u8],
        (units, fan_in): (usize, usize),
        y: i32,
        fused: ActivationFunctionType,
    ) -> Result<()> {
        if self.graph.kind(w)? != TensorType::Int8 || self.graph.kind(y)? != TensorType::Int8 {
            return unsupported(
                "an int8 FULLY_CONNECTED with weights or output not int8 (int16 activations?)",
            );
        }
        let input = self.graph.quant(self.current)?;
        let output = self.graph.quant(y)?;
        let (weight_scales, zeros) = self.graph.quant_arrays(w)?;
        if !(weight_scales.len() == 1 || weight_scales.len() == units)
            || zeros.iter().any(|&z| z != 0)
        {
            return unsupported("weights not symmetric int8 per tensor or per output channel");
        }
        let bias = match bias {
            Some(b) => {
                if self.graph.kind(b)? != TensorType::Int32 {
                    return unsupported("a bias that is not int32");
                }
                i32s(self.graph.data(b)?)
            }
            None => vec![0; units],
        };
        if bias.len() != units || Some(weights.len()) != units.checked_mul(fan_in) {
            return unsupported("FULLY_CONNECTED weights or bias of the wrong length");
        }
        // TFLite's PopulateConvolutionQuantizationParams: the f64 product of the f32 scales.
        let (multiplier, shift) = weight_scales
            .iter()
            .map(|&s| {
                quantize_multiplier(f64::from(input.scale) * f64::from(s) / f64::from(output.scale))
            })
            .unzip();
        let (activation_min, activation_max) = match fused {
            ActivationFunctionType::None => {
                activation_range(false, false, output.scale, output.zero_point)
            }
            ActivationFunctionType::Relu => {
                activation_range(true, false, output.scale, output.zero_point)
            }
            ActivationFunctionType::Relu6 => {
                activation_range(false, true, output.scale, output.zero_point)
            }
            other => return unsupported(format!("FULLY_CONNECTED with fused {other:?}")),
        };
        self.int8_layers.push(Int8Layer {
            weights: weights.iter().map(|&b| b as i8).collect(),
            bias,
            weight_scales,
            multiplier,
            shift,
            input,
            output,
            activation_min,
            activation_max,
            activation: Int8Activation::None,
            activation_output: output,
        });
        Ok(())
    }

    fn activation(
        &mut self,
        code: BuiltinOperator,
        op: &OperatorRef<'a>,
        x: i32,
        y: i32,
    ) -> Result<()> {
        let name = operator_name(code);
        if self.float {
            let Some(last) = self
                .float_layers
                .last_mut()
                .filter(|l| l.activation == Activation::Linear)
            else {
                return unsupported(format!(
                    "{name} not right after a FULLY_CONNECTED without activation"
                ));
            };
            last.activation = activations::float_activation(code, op, self.at)?;
            return Ok(());
        }
        if !matches!(
            code,
            BuiltinOperator::Relu
                | BuiltinOperator::Softmax
                | BuiltinOperator::Logistic
                | BuiltinOperator::Tanh
        ) {
            return Err(ImportError::UnsupportedOperator(name));
        }
        let input = self.graph.quant(x)?;
        let output = self.graph.quant(y)?;
        let Some(last) = self
            .int8_layers
            .last_mut()
            .filter(|l| l.activation == Int8Activation::None)
        else {
            return unsupported(format!("{name} not right after a FULLY_CONNECTED"));
        };
        last.activation_output = output;
        match code {
            BuiltinOperator::Relu => {
                if input != output {
                    return unsupported(
                        "an int8 RELU that requantizes (converters fuse relu into FULLY_CONNECTED)",
                    );
                }
                last.activation_min = last
                    .activation_min
                    .max(output.zero_point.clamp(-128, 127) as i8);
            }
            BuiltinOperator::Softmax => {
                if output
                    != (QuantParams {
                        scale: 1.0 / 256.0,
                        zero_point: -128,
                    })
                {
                    return unsupported(
                        "an int8 SOFTMAX whose output is not scale 1/256, zero point -128",
                    );
                }
                last.activation = Int8Activation::Softmax(SoftmaxParams::new(
                    f64::from(softmax_beta(op)?),
                    f64::from(input.scale),
                ));
            }
            BuiltinOperator::Logistic => {
                // TFLite's LUTPopulate with the C library's expf, which std's f32::exp calls.
                let lut = lut_populate(
                    input.scale,
                    input.zero_point,
                    output.scale,
                    output.zero_point,
                    |v| 1.0 / (1.0 + (-v).exp()),
                );
                last.activation = Int8Activation::Logistic(Box::new(lut));
            }
            _ => {
                let lut = lut_populate(
                    input.scale,
                    input.zero_point,
                    output.scale,
                    output.zero_point,
                    f32::tanh,
                );
                last.activation = Int8Activation::Tanh(Box::new(lut));
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Imported> {
        if self.float_input && !self.float && !self.float_output {
            return unsupported("a float input quantized but an int8 output never dequantized");
        }
        if self.float {
            if self.float_layers.is_empty() {
                return unsupported("no FULLY_CONNECTED layer");
            }
            let standardization =
                (self.mean.is_some() || self.std.is_some()).then(|| Standardization {
                    mean: self.mean.unwrap_or_else(|| vec![0.0; self.inputs]),
                    std: self.std.unwrap_or_else(|| vec![1.0; self.inputs]),
                });
            return Ok(Imported::Float {
                inputs: self.inputs,
                standardization,
                layers: self.float_layers,
            });
        }
        if self.int8_layers.is_empty() {
            return unsupported("no FULLY_CONNECTED layer");
        }
        Ok(Imported::Int8 {
            model: Int8Model {
                layers: self.int8_layers,
            },
            float_input: self.float_input,
            float_output: self.float_output,
        })
    }
}

fn softmax_beta(op: &OperatorRef<'_>) -> Result<f32> {
    match op.builtin_options()? {
        Some(BuiltinOptionsRef::SoftmaxOptions(o)) => Ok(o.beta()?),
        _ => Ok(1.0),
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn i32s(bytes: &[u8]) -> Vec<i32> {
    bytes
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Imported {
    /// The model as a dendrite-core model file (no class names): f32 layers for a float model,
    /// behind its standardization if the file has one; int8 layers for an int8 one (which then
    /// takes float inputs and quantizes them with the TFLite input tensor's parameters).
    ///
    /// # Errors
    /// [`ImportError::Unsupported`] for a model the file format refuses (too many layers, a
    /// width over 65535).
    pub fn to_model_bytes(&self) -> Result<Vec<u8>> {
        let (inputs, standardization, layers) = match self {
            Imported::Float {
                inputs,
                standardization,
                layers,
            } => (inputs, standardization, layers),
            Imported::Int8 { model, .. } => {
                let inputs = model.inputs();
                let quantized = crate::quantize::QuantizedModel {
                    mean: vec![0.0; inputs],
                    std: vec![1.0; inputs],
                    int8: model.clone(),
                };
                return quantized
                    .to_model_bytes(&[])
                    .map_err(|e| ImportError::Unsupported(e.to_string()));
            }
        };
        let names: Vec<String> = (1..=layers.len())
            .map(|i| format!("fully_connected_{i}"))
            .collect();
        let refs = layers
            .iter()
            .zip(&names)
            .map(|(l, name)| {
                let units = u16::try_from(l.bias.len())
                    .map_err(|_| ImportError::Unsupported("a layer over 65535 units".into()))?;
                Ok(LayerRef {
                    spec: LayerSpec {
                        units,
                        activation: l.activation,
                        name,
                    },
                    kernel: &l.kernel,
                    bias: &l.bias,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let (mean, std) = match standardization {
            Some(s) => (s.mean.clone(), s.std.clone()),
            None => (vec![0.0; *inputs], vec![1.0; *inputs]),
        };
        let model = FileModel {
            input: u16::try_from(*inputs)
                .map_err(|_| ImportError::Unsupported("over 65535 inputs".into()))?,
            labels: "",
            mean: &mean,
            std: &std,
            layers: &refs,
            ..FileModel::default()
        };
        let encode_error = |e: dendrite_core::format::EncodeError| {
            ImportError::Unsupported(format!("the model file format refuses it: {e}"))
        };
        let mut bytes = vec![0u8; model.encoded_len().map_err(encode_error)?];
        model.encode(&mut bytes).map_err(encode_error)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests;
