//! `SUB`, `ADD`, `MUL` and `DIV` by constants on the float input, folded into the model file's
//! standardization `(x - mean) / std`.
//!
//! TFLite's converter (TensorFlow 2.21, with or without optimizations) makes of a Keras
//! `Normalization` layer a `SUB` of the mean then a `MUL` by the reciprocal
//! `1 / max(sqrt(variance), 1e-7)` it computes at conversion, both constants of the input's
//! shape. `x + c` is `x - (-c)` bit for bit, so an `ADD` folds as exactly as a `SUB`; the
//! model file divides by `std = 1 / c` where TFLite multiplies by `c`, so a standardized value
//! can differ from TFLite's in its last bit. `x * c` then `- m` is not `(x - mean) / std` in
//! any rounding, so the order is fixed: one subtraction, then one scaling.

use super::{operator_name, Builder, ImportError, Result};
use crate::tflite::schema::{ActivationFunctionType, BuiltinOperator, BuiltinOptionsRef};
use crate::tflite::schema::{OperatorRef, TensorType};

impl Builder<'_, '_> {
    /// Folds a `SUB`, `ADD`, `MUL` or `DIV` (`code`) into the standardization, or refuses it
    /// naming the operator, its position and why.
    pub(super) fn standardization(
        &mut self,
        code: BuiltinOperator,
        op: &OperatorRef<'_>,
        inputs: &[i32],
        y: i32,
    ) -> Result<()> {
        if !self.float {
            return self.refuse(
                code,
                "quantized: in an int8 model only FULLY_CONNECTED and activations run",
            );
        }
        if !self.float_layers.is_empty() {
            let layers = self.float_layers.len();
            return self.refuse(code, format!("after FULLY_CONNECTED layer {layers}"));
        }
        let fused = fused_activation(op)?;
        if fused != ActivationFunctionType::None {
            return self.refuse(code, format!("a fused {fused:?} activation"));
        }
        let constant = self.constant_operand(code, inputs)?;
        if self.graph.kind(constant)? != TensorType::Float32
            || self.graph.kind(y)? != TensorType::Float32
        {
            return self.refuse(code, "an operand or result that is not float32");
        }
        let values = self.broadcast(code, constant)?;
        if self.graph.element_count(y)? != self.inputs {
            return self.refuse(code, "a result of another size than the input");
        }
        self.fold(code, values)
    }

    /// Which of `inputs` is the constant, the other being the chain's value.
    fn constant_operand(&self, code: BuiltinOperator, inputs: &[i32]) -> Result<i32> {
        let &[a, b] = inputs else {
            return self.refuse(code, "not two operands");
        };
        let commutes = matches!(code, BuiltinOperator::Add | BuiltinOperator::Mul);
        let constant = match (a == self.current, b == self.current) {
            (true, false) => b,
            (false, true) if commutes => a,
            (false, true) => return self.refuse(code, "a constant on the left of the input"),
            (true, true) => return self.refuse(code, "the input with itself"),
            (false, false) => return self.refuse(code, "not on the previous operator's output"),
        };
        if !self.graph.is_constant(constant)? {
            return self.refuse(
                code,
                "on two activations: its other operand is not a constant",
            );
        }
        Ok(constant)
    }

    /// The constant's values, one per input, broadcast to the input's shape as TFLite
    /// broadcasts: a scalar, a vector along the last axis (Keras' `Normalization` on inputs of
    /// several dimensions), a tensor of the input's shape.
    fn broadcast(&self, code: BuiltinOperator, constant: i32) -> Result<Vec<f32>> {
        let count = self.graph.element_count(constant)?;
        let bytes = self.graph.data(constant)?;
        if Some(bytes.len()) != count.checked_mul(4) {
            return self.refuse(code, "a constant whose data does not fill its shape");
        }
        let values = super::f32s(bytes);
        let (shape, input) = (self.shape(constant)?, self.shape(self.current)?);
        match broadcast(&values, &shape, &input) {
            Some(v) if v.len() == self.inputs => Ok(v),
            _ => self.refuse(
                code,
                format!("a constant of shape {shape:?} that does not broadcast to the input's {input:?}"),
            ),
        }
    }

    /// Stores the constant as means or stds, in the one order that folds exactly.
    fn fold(&mut self, code: BuiltinOperator, values: Vec<f32>) -> Result<()> {
        if self.std.is_some() {
            return self.refuse(code, "after a MUL or DIV on the input");
        }
        if let BuiltinOperator::Sub | BuiltinOperator::Add = code {
            if self.mean.is_some() {
                return self.refuse(code, "after a SUB or ADD on the input");
            }
            if !values.iter().all(|v| v.is_finite()) {
                return self.refuse(code, "a constant that is not finite");
            }
            let negate = code == BuiltinOperator::Add;
            self.mean = Some(
                values
                    .iter()
                    .map(|&v| if negate { -v } else { v })
                    .collect(),
            );
            return Ok(());
        }
        let std: Vec<f32> = if code == BuiltinOperator::Mul {
            values.iter().map(|&c| 1.0 / c).collect()
        } else {
            values
        };
        if !std.iter().all(|&s| s.is_finite() && s > 0.0) {
            return self.refuse(
                code,
                "a constant that is zero, negative or not finite, or whose reciprocal is not finite",
            );
        }
        self.std = Some(std);
        Ok(())
    }

    fn shape(&self, tensor: i32) -> Result<Vec<i32>> {
        Ok(self
            .graph
            .tensor(tensor)?
            .shape()?
            .map(|v| v.iter().collect())
            .unwrap_or_default())
    }

    fn refuse<T>(&self, code: BuiltinOperator, why: impl Into<String>) -> Result<T> {
        Err(ImportError::NotStandardization {
            operator: operator_name(code),
            index: self.at,
            why: why.into(),
        })
    }
}

/// `values` of `shape` broadcast to `input`'s shape as TFLite broadcasts (shapes aligned on
/// the right, a dimension of 1 repeated), in the input's row-major order; `None` when the
/// shapes do not broadcast so.
pub(super) fn broadcast(values: &[f32], shape: &[i32], input: &[i32]) -> Option<Vec<f32>> {
    let extra = shape.len().saturating_sub(input.len());
    let (leading, shape) = shape.split_at(extra);
    if leading.iter().any(|&d| d != 1) {
        return None;
    }
    let pad = input.len() - shape.len();
    // (the input's extent, the constant's) along each of the input's dimensions.
    let dims = input
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            let c = d
                .checked_sub(pad)
                .map_or(Some(1), |d| shape.get(d).copied())?;
            Some((usize::try_from(n).ok()?, usize::try_from(c).ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    if dims.iter().any(|&(n, c)| c != 1 && c != n) {
        return None;
    }
    // The constant's strides, 0 along a repeated dimension.
    let mut strides = vec![0; dims.len()];
    let mut stride = 1usize;
    for (d, &(_, c)) in dims.iter().enumerate().rev() {
        strides[d] = if c == 1 { 0 } else { stride };
        stride = stride.checked_mul(c)?;
    }
    if stride != values.len() {
        return None;
    }
    let total = dims
        .iter()
        .try_fold(1usize, |t, &(n, _)| t.checked_mul(n))?;
    (0..total)
        .map(|mut flat| {
            let mut at = 0;
            for (&(n, _), stride) in dims.iter().zip(&strides).rev() {
                at += (flat % n) * stride;
                flat /= n;
            }
            values.get(at).copied()
        })
        .collect()
}

/// The activation an `ADD`, `SUB`, `MUL` or `DIV` fuses; none for other operators.
pub(super) fn fused_activation(op: &OperatorRef<'_>) -> Result<ActivationFunctionType> {
    Ok(match op.builtin_options()? {
        Some(BuiltinOptionsRef::SubOptions(o)) => o.fused_activation_function()?,
        Some(BuiltinOptionsRef::AddOptions(o)) => o.fused_activation_function()?,
        Some(BuiltinOptionsRef::MulOptions(o)) => o.fused_activation_function()?,
        Some(BuiltinOptionsRef::DivOptions(o)) => o.fused_activation_function()?,
        _ => ActivationFunctionType::None,
    })
}
