//! An owned int8 dense network: what the quantizer and the TFLite importer produce, run by
//! dendrite-core's integer kernels through a borrowed [`QuantizedModel`].

use dendrite_core::quant::{
    Lut, QuantError, QuantParams, QuantizedActivation, QuantizedDense, QuantizedModel, Requantize,
    SoftmaxParams,
};

/// What follows an int8 layer's fully-connected step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Int8Activation {
    /// Nothing (a fused relu or relu6 is the layer's clamp).
    None,
    /// TFLite's int8 softmax (output scale 1/256, zero point -128).
    Softmax(SoftmaxParams),
    /// TFLite's int8 logistic, as a table.
    Logistic(Box<Lut>),
    /// TFLite's int8 tanh, as a table.
    Tanh(Box<Lut>),
}

/// One int8 dense layer, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Layer {
    /// `units × inputs` symmetric int8 weights, row-major.
    pub weights: Vec<i8>,
    /// `units` int32 biases (scale `input_scale · weight_scale`).
    pub bias: Vec<i32>,
    /// One weight scale per unit (per-channel) or a single one (per-tensor).
    pub weight_scales: Vec<f32>,
    /// Q0.31 significands of the output scaling, as many as `weight_scales`.
    pub multiplier: Vec<i32>,
    /// Their shifts.
    pub shift: Vec<i32>,
    /// The input's quantization.
    pub input: QuantParams,
    /// The fully-connected output's quantization (before `activation`).
    pub output: QuantParams,
    /// The clamp of the fused activation.
    pub activation_min: i8,
    /// The clamp of the fused activation.
    pub activation_max: i8,
    /// What follows the fully-connected step.
    pub activation: Int8Activation,
    /// The layer's quantization after `activation` (equal to `output` without one).
    pub activation_output: QuantParams,
}

impl Int8Layer {
    /// The number of output units.
    pub fn units(&self) -> usize {
        self.bias.len()
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.weights.len().checked_div(self.bias.len()).unwrap_or(0)
    }

    fn view(&self) -> QuantizedDense<'_> {
        QuantizedDense {
            weights: &self.weights,
            bias: &self.bias,
            requantize: Requantize {
                input_zero_point: self.input.zero_point,
                output_zero_point: self.output.zero_point,
                multiplier: &self.multiplier,
                shift: &self.shift,
                activation_min: self.activation_min,
                activation_max: self.activation_max,
            },
            activation: match &self.activation {
                Int8Activation::None => QuantizedActivation::None,
                Int8Activation::Softmax(p) => QuantizedActivation::Softmax(*p),
                Int8Activation::Logistic(lut) | Int8Activation::Tanh(lut) => {
                    QuantizedActivation::Lut(lut)
                }
            },
        }
    }
}

/// An int8 dense network, owned: quantized input, layers, quantized output.
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Model {
    /// The layers, input side first.
    pub layers: Vec<Int8Layer>,
}

impl Int8Model {
    /// The input's quantization (of the first layer).
    pub fn input(&self) -> Option<QuantParams> {
        self.layers.first().map(|l| l.input)
    }

    /// The output's quantization (after the last layer's activation).
    pub fn output(&self) -> Option<QuantParams> {
        self.layers.last().map(|l| l.activation_output)
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, Int8Layer::inputs)
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, Int8Layer::units)
    }

    /// Bytes of int8 weights, int32 biases, int32 multipliers and int8 shifts: what a device
    /// stores per layer (zero points and clamps aside).
    pub fn parameter_bytes(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights.len() + 4 * (l.bias.len() + l.multiplier.len()) + l.shift.len())
            .sum()
    }

    /// Runs `f` on dendrite-core's borrowed view of the network.
    pub fn with_view<R>(&self, f: impl FnOnce(&QuantizedModel<'_>) -> R) -> R {
        let layers: Vec<QuantizedDense<'_>> = self.layers.iter().map(Int8Layer::view).collect();
        let none = QuantParams {
            scale: 1.0,
            zero_point: 0,
        };
        f(&QuantizedModel {
            input: self.input().unwrap_or(none),
            layers: &layers,
            output: self.output().unwrap_or(none),
        })
    }

    /// The int8 outputs for int8 inputs, as TFLite's interpreter computes them.
    ///
    /// # Errors
    /// dendrite-core's [`QuantError`] for an inconsistent network or a wrong input length.
    pub fn predict_quantized(&self, x: &[i8]) -> Result<Vec<i8>, QuantError> {
        self.with_view(|m| {
            let mut scratch = vec![0i8; m.scratch_len()];
            let mut out = vec![0i8; m.outputs()];
            m.predict_quantized(x, &mut scratch, &mut out).map(|()| out)
        })
    }

    /// The real outputs for real inputs: quantize, [`predict_quantized`](Self::predict_quantized),
    /// dequantize.
    ///
    /// # Errors
    /// As [`predict_quantized`](Self::predict_quantized).
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>, QuantError> {
        self.with_view(|m| {
            let mut scratch = vec![0i8; m.predict_scratch_len()];
            let mut out = vec![0.0f32; m.outputs()];
            m.predict(x, &mut scratch, &mut out).map(|()| out)
        })
    }
}
