//! Float activations after a dense layer: the one-operator ones
//! ([`float_activation`]), and those TFLite's converter writes as several operators,
//! recognised as a whole ([`Nodes::recognise`]).
//!
//! TensorFlow 2.21's converter has no single operator for Keras' `selu`, `softplus`,
//! `softsign` and `silu`/`swish`, and writes them as small graphs on the layer's output `z`:
//!
//! | Keras | operators |
//! |---|---|
//! | `softsign` | `ABS(z)`, `ADD(·, 1)`, `DIV(z, ·)` |
//! | `silu` | `LOGISTIC(z)`, `MUL(z, ·)` |
//! | `softplus` | `EXP(z)`, `ADD(·, 1)`, `LOG(·)` |
//! | `selu` | `GREATER(z, 0)`, `MUL(z, λ)`, `EXP(z)`, `SUB(·, 1)`, `MUL(·, λα)`, `SELECT_V2` |
//!
//! A pattern matches only whole: every operator and constant as above (the constants to the
//! bit, λ and λα those of dendrite-core), each intermediate value read by the pattern alone.
//! Anything else falls through to the operator-by-operator walk, which refuses it by name.
//! Keras' `hard_sigmoid` needs nothing here: the converter folds its `+ 3` into the layer's
//! bias, its `/ 6` into the next layer's weights, and fuses a `RELU6` into the layer.

use super::{builtin_code, operator_name, softmax_beta, unsupported, Graph, ImportError, Result};
use crate::tflite::schema::{
    ActivationFunctionType, BuiltinOperator as Op, BuiltinOptionsRef, OperatorRef, TensorType,
};
use dendrite_core::{Activation, SELU_SCALE, SELU_SCALE_ALPHA};
use std::collections::{HashMap, HashSet};

/// The float activation a single TFLite operator computes, as TensorFlow's float kernels do;
/// `at` is the operator's position, for messages.
pub(super) fn float_activation(code: Op, op: &OperatorRef<'_>, at: usize) -> Result<Activation> {
    Ok(match code {
        Op::Relu => Activation::Relu,
        Op::Softmax => {
            if softmax_beta(op)? != 1.0 {
                return unsupported("SOFTMAX with beta other than 1");
            }
            Activation::Softmax
        }
        Op::Logistic => Activation::Sigmoid,
        Op::Tanh => Activation::Tanh,
        Op::Relu6 => Activation::Relu6,
        Op::LeakyRelu => {
            let alpha = match op.builtin_options()? {
                Some(BuiltinOptionsRef::LeakyReluOptions(o)) => o.alpha()?,
                _ => 0.0,
            };
            // Keras' `leaky_relu` activation's slope; a `LeakyReLU` layer defaults to 0.3.
            if alpha.to_bits() != dendrite_core::LEAKY_RELU_SLOPE.to_bits() {
                return unsupported(format!(
                    "LEAKY_RELU at operator {at} with alpha {alpha} (Dendrite's leaky_relu has Keras' default slope {})",
                    dendrite_core::LEAKY_RELU_SLOPE
                ));
            }
            Activation::LeakyRelu
        }
        Op::Elu => Activation::Elu,
        Op::HardSwish => Activation::HardSilu,
        Op::Gelu => {
            let approximate = match op.builtin_options()? {
                Some(BuiltinOptionsRef::GeluOptions(o)) => o.approximate()?,
                _ => false,
            };
            if approximate {
                return unsupported(format!(
                    "GELU at operator {at} with approximate=true (Dendrite's gelu is the exact erf form)"
                ));
            }
            Activation::Gelu
        }
        Op::Exp => Activation::Exponential,
        other => return Err(ImportError::UnsupportedOperator(operator_name(other))),
    })
}

/// One operator: its code, inputs and outputs, and whether it fuses no activation.
pub(super) struct Node {
    code: Op,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
    plain: bool,
}

/// The operators and, for each tensor, the operators that read it.
pub(super) struct Nodes {
    nodes: Vec<Node>,
    readers: HashMap<i32, Vec<usize>>,
}

/// A recognised activation: what it is, the operators it spans, the tensor it ends in.
pub(super) struct Pattern {
    pub(super) activation: Activation,
    pub(super) operators: Vec<usize>,
    pub(super) output: i32,
}

impl Nodes {
    /// Decodes the operators, leaving out `skipped` (shape arithmetic, widened constants).
    pub(super) fn new(
        graph: &Graph<'_>,
        operators: &[OperatorRef<'_>],
        skipped: &HashSet<usize>,
    ) -> Result<Self> {
        let mut nodes = Vec::with_capacity(operators.len());
        let mut readers: HashMap<i32, Vec<usize>> = HashMap::new();
        for (i, op) in operators.iter().enumerate() {
            let inputs: Vec<i32> = op.inputs()?.map(|v| v.iter().collect()).unwrap_or_default();
            let outputs = op
                .outputs()?
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            if !skipped.contains(&i) {
                for &t in &inputs {
                    readers.entry(t).or_default().push(i);
                }
            }
            nodes.push(Node {
                code: builtin_code(&graph.model, op)?,
                inputs,
                outputs,
                plain: super::standardize::fused_activation(op)? == ActivationFunctionType::None,
            });
        }
        Ok(Nodes { nodes, readers })
    }

    /// The activation whose operators start on `z` (a float layer's output), if any.
    pub(super) fn recognise(&self, graph: &Graph<'_>, z: i32) -> Option<Pattern> {
        let m = Matcher { nodes: self, graph };
        let found = m
            .softsign(z)
            .map(|p| (Activation::Softsign, p))
            .or_else(|| m.silu(z).map(|p| (Activation::Silu, p)))
            .or_else(|| m.softplus(z).map(|p| (Activation::Softplus, p)))
            .or_else(|| m.selu(z).map(|p| (Activation::Selu, p)))?;
        let (activation, (operators, output)) = found;
        // The result has z's values, one for one, in float32.
        let same = |t| graph.element_count(t).ok() == graph.element_count(z).ok();
        let float = |t| graph.kind(t).ok() == Some(TensorType::Float32);
        (same(output) && float(output)).then_some(Pattern {
            activation,
            operators,
            output,
        })
    }
}

/// The operators of a pattern, and its output.
type Span = (Vec<usize>, i32);

struct Matcher<'n, 'g, 'a> {
    nodes: &'n Nodes,
    graph: &'g Graph<'a>,
}

impl Matcher<'_, '_, '_> {
    /// The operators reading `t`, with their codes.
    fn readers(&self, t: i32) -> Vec<(usize, &Node)> {
        self.nodes
            .readers
            .get(&t)
            .map(|r| r.iter().map(|&i| (i, &self.nodes.nodes[i])).collect())
            .unwrap_or_default()
    }

    /// The one operator reading `t`, if it is `code`: its index and node.
    fn only_reader(&self, t: i32, code: Op) -> Option<(usize, &Node)> {
        match self.readers(t).as_slice() {
            [(i, n)] if n.code == code => Some((*i, n)),
            _ => None,
        }
    }

    /// The reader of `t` among `readers` that is `code`.
    fn reader<'r>(readers: &[(usize, &'r Node)], code: Op) -> Option<(usize, &'r Node)> {
        readers.iter().copied().find(|(_, n)| n.code == code)
    }

    /// Whether `t` is a float32 constant whose every value is `value`, to the bit.
    fn constant(&self, t: i32, value: f32) -> bool {
        let Ok(bytes) = self.graph.data(t) else {
            return false;
        };
        self.graph.kind(t).ok() == Some(TensorType::Float32)
            && !bytes.is_empty()
            && bytes.len() % 4 == 0
            && super::f32s(bytes)
                .iter()
                .all(|v| v.to_bits() == value.to_bits())
    }

    /// `node` is a binary operator on `x` and the constant `value` (in this order).
    fn on_constant(&self, node: &Node, x: i32, value: f32) -> Option<i32> {
        match (node.inputs.as_slice(), node.outputs.as_slice()) {
            ([a, c], [y]) if node.plain && *a == x && self.constant(*c, value) => Some(*y),
            _ => None,
        }
    }

    fn unary(node: &Node, x: i32) -> Option<i32> {
        match (node.inputs.as_slice(), node.outputs.as_slice()) {
            ([a], [y]) if *a == x => Some(*y),
            _ => None,
        }
    }

    /// `ABS(z)`, `ADD(·, 1)`, `DIV(z, ·)`.
    fn softsign(&self, z: i32) -> Option<Span> {
        let readers = self.readers(z);
        let (abs_at, abs) = Self::reader(&readers, Op::Abs)?;
        let (div_at, div) = Self::reader(&readers, Op::Div)?;
        if readers.len() != 2 {
            return None;
        }
        let a = Self::unary(abs, z)?;
        let (add_at, add) = self.only_reader(a, Op::Add)?;
        let b = self.on_constant(add, a, 1.0)?;
        self.only_reader(b, Op::Div)?;
        match (div.inputs.as_slice(), div.outputs.as_slice()) {
            ([n, d], [y]) if div.plain && *n == z && *d == b => {
                Some((vec![abs_at, add_at, div_at], *y))
            }
            _ => None,
        }
    }

    /// `LOGISTIC(z)`, `MUL(z, ·)` (either order).
    fn silu(&self, z: i32) -> Option<Span> {
        let readers = self.readers(z);
        let (logistic_at, logistic) = Self::reader(&readers, Op::Logistic)?;
        let (mul_at, mul) = Self::reader(&readers, Op::Mul)?;
        if readers.len() != 2 {
            return None;
        }
        let s = Self::unary(logistic, z)?;
        self.only_reader(s, Op::Mul)?;
        match (mul.inputs.as_slice(), mul.outputs.as_slice()) {
            ([a, b], [y]) if mul.plain && ((*a == z && *b == s) || (*a == s && *b == z)) => {
                Some((vec![logistic_at, mul_at], *y))
            }
            _ => None,
        }
    }

    /// `EXP(z)`, `ADD(·, 1)`, `LOG(·)`.
    fn softplus(&self, z: i32) -> Option<Span> {
        let (exp_at, exp) = self.only_reader(z, Op::Exp)?;
        let e = Self::unary(exp, z)?;
        let (add_at, add) = self.only_reader(e, Op::Add)?;
        let a = self.on_constant(add, e, 1.0)?;
        let (log_at, log) = self.only_reader(a, Op::Log)?;
        let y = Self::unary(log, a)?;
        Some((vec![exp_at, add_at, log_at], y))
    }

    /// `GREATER(z, 0)`, `MUL(z, λ)`, `EXP(z)`, `SUB(·, 1)`, `MUL(·, λα)`, then
    /// `SELECT_V2(greater, z λ, (exp - 1) λα)`.
    fn selu(&self, z: i32) -> Option<Span> {
        let readers = self.readers(z);
        let (greater_at, greater) = Self::reader(&readers, Op::Greater)?;
        let (scale_at, scale) = Self::reader(&readers, Op::Mul)?;
        let (exp_at, exp) = Self::reader(&readers, Op::Exp)?;
        if readers.len() != 3 {
            return None;
        }
        let g = self.on_constant(greater, z, 0.0)?;
        let positive = self.on_constant(scale, z, SELU_SCALE)?;
        let e = Self::unary(exp, z)?;
        let (sub_at, sub) = self.only_reader(e, Op::Sub)?;
        let m = self.on_constant(sub, e, 1.0)?;
        let (alpha_at, alpha) = self.only_reader(m, Op::Mul)?;
        let negative = self.on_constant(alpha, m, SELU_SCALE_ALPHA)?;
        let (select_at, select) = self.only_reader(g, Op::SelectV2)?;
        self.only_reader(positive, Op::SelectV2)?;
        self.only_reader(negative, Op::SelectV2)?;
        match (select.inputs.as_slice(), select.outputs.as_slice()) {
            ([c, t, f], [y]) if *c == g && *t == positive && *f == negative => Some((
                vec![greater_at, scale_at, exp_at, sub_at, alpha_at, select_at],
                *y,
            )),
            _ => None,
        }
    }
}
