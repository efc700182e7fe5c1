//! int8 inference the TensorFlow Lite way, bit for bit.
//!
//! TFLite's int8 scheme, from its quantization specification and reference kernels: weights
//! symmetric int8 per output channel (or per tensor), activations asymmetric int8 per tensor,
//! int32 biases, requantization by a Q0.31 multiplier and a power-of-two shift rounded once as
//! TensorFlow 2.21's interpreter does, relu/relu6 fused as a clamp, softmax in gemmlowp's fixed point, logistic
//! and tanh through a 256-entry table. Every kernel computes the bits TFLite's interpreter
//! computes with its reference kernels (`OpResolverType.BUILTIN_REF`), checked against
//! fixtures that interpreter produced.
//!
//! No floating point runs on the integer path: floats appear only in [`quantize`] and
//! [`dequantize`] at the network's two ends, and in the one-time derivation of parameters
//! ([`quantize_multiplier`], [`SoftmaxParams::new`], [`lut_populate`]).

mod dot;
pub mod fixed;
mod model;
mod ops;

pub use dot::{Dot, Scalar, DOT_BLOCK, DOT_CHUNK};
pub use fixed::quantize_multiplier;
pub use model::{
    dequantize_all, quantize_all, QuantError, QuantParams, QuantizedActivation, QuantizedDense,
    QuantizedModel,
};
pub use ops::{
    activation_range, dequantize, fully_connected, fully_connected_with, lookup, lut_populate,
    quantize, softmax, softmax_in_place, Lut, Requantize, SoftmaxParams,
};
