//! Int8 layers in the model file ([`DType::I8`](super::DType::I8)): TFLite's scheme, run by
//! [`quant`](crate::quant).
//!
//! An int8 layer's part of the data section, 4-byte words, little-endian:
//!
//! | words | content |
//! |---|---|
//! | 8 | input scale (f32), input zero point (i32), output scale (f32), output zero point (i32), clamp min (i32), clamp max (i32), scale and zero point after the activation (f32, i32) |
//! | `units` | int32 biases |
//! | `units` | Q0.31 multipliers (i32), one per unit |
//! | `units` | shifts (i32), one per unit |
//! | `⌈units·fan_in / 4⌉` | int8 weights, `units × fan_in` row-major, zero-padded to a word |
//! | 3 | softmax only: input multiplier, left shift, `diff_min` (i32) |
//! | 64 | sigmoid and tanh only: the 256-entry int8 table |
//!
//! The standardization before the first layer stays f32, as do the file's other arrays.

use super::DecodeError;
use crate::quant::{
    Lut, QuantParams, QuantizedActivation, QuantizedDense, Requantize, SoftmaxParams,
};
use crate::Activation;

/// Words of the fixed parameter block.
const PARAM_WORDS: usize = 8;

/// One int8 layer's parameters, borrowed, ready to be written (the layout of an int8 layer
/// in the model file is described in `shared/src/format/int8.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Int8LayerRef<'a> {
    /// `units × fan_in` symmetric int8 weights, row-major.
    pub weights: &'a [i8],
    /// `units` int32 biases.
    pub bias: &'a [i32],
    /// `units` Q0.31 multipliers (a per-tensor multiplier repeated).
    pub multiplier: &'a [i32],
    /// `units` shifts.
    pub shift: &'a [i32],
    /// The input's quantization.
    pub input: QuantParams,
    /// The fully-connected output's quantization.
    pub output: QuantParams,
    /// The fused activation's clamp.
    pub activation_min: i8,
    /// The fused activation's clamp.
    pub activation_max: i8,
    /// The quantization after the activation (equal to `output` for linear and relu).
    pub activation_output: QuantParams,
    /// The softmax parameters, for a softmax layer.
    pub softmax: Option<SoftmaxParams>,
    /// The table, for a sigmoid or tanh layer.
    pub lut: Option<&'a Lut>,
}

/// Words of an int8 layer's data for `units`, `fan_in` and `activation`.
pub(super) fn words(units: usize, fan_in: usize, activation: Activation) -> Option<usize> {
    let weights = units.checked_mul(fan_in)?.div_ceil(4);
    let extra = match activation {
        Activation::Softmax => 3,
        Activation::Sigmoid | Activation::Tanh => 64,
        Activation::Linear | Activation::Relu | Activation::Relu6 => 0,
        // TFLite's int8 forms of the others are lookup tables this format does not hold.
        _ => return None,
    };
    PARAM_WORDS
        .checked_add(units.checked_mul(3)?)?
        .checked_add(weights)?
        .checked_add(extra)
}

impl Int8LayerRef<'_> {
    /// Whether the arrays fit `units`, `fan_in` and `activation`, and every parameter is in range.
    pub(super) fn is_valid(&self, units: usize, fan_in: usize, activation: Activation) -> bool {
        let extra_ok = match activation {
            Activation::Softmax => self.softmax.is_some() && self.lut.is_none(),
            Activation::Sigmoid | Activation::Tanh => self.lut.is_some() && self.softmax.is_none(),
            Activation::Linear | Activation::Relu | Activation::Relu6 => {
                self.lut.is_none() && self.softmax.is_none()
            }
            _ => false,
        };
        extra_ok
            && Some(self.weights.len()) == units.checked_mul(fan_in)
            && [self.bias.len(), self.multiplier.len(), self.shift.len()] == [units; 3]
            && params_ok(&[self.input, self.output, self.activation_output])
            && self.activation_min <= self.activation_max
            && self.shift.iter().all(|s| (-31..=30).contains(s))
            && self.multiplier.iter().all(|&m| m >= 0)
    }

    /// The layer's data words, in file order.
    pub(super) fn data(&self) -> impl Iterator<Item = [u8; 4]> + '_ {
        let q = |p: QuantParams| [p.scale.to_le_bytes(), p.zero_point.to_le_bytes()];
        let params = [
            q(self.input),
            q(self.output),
            [
                i32::from(self.activation_min).to_le_bytes(),
                i32::from(self.activation_max).to_le_bytes(),
            ],
            q(self.activation_output),
        ];
        let weights = self.weights.chunks(4).map(|c| {
            let mut w = [0u8; 4];
            for (b, &v) in w.iter_mut().zip(c) {
                *b = v as u8;
            }
            w
        });
        let softmax = self
            .softmax
            .iter()
            .flat_map(|p| [p.input_multiplier, p.input_left_shift, p.diff_min])
            .map(i32::to_le_bytes);
        let lut = self.lut.into_iter().flat_map(|t| {
            t.chunks(4).map(|c| {
                let mut w = [0u8; 4];
                for (b, &v) in w.iter_mut().zip(c) {
                    *b = v as u8;
                }
                w
            })
        });
        params
            .into_iter()
            .flatten()
            .chain(self.bias.iter().map(|x| x.to_le_bytes()))
            .chain(self.multiplier.iter().map(|x| x.to_le_bytes()))
            .chain(self.shift.iter().map(|x| x.to_le_bytes()))
            .chain(weights)
            .chain(softmax)
            .chain(lut)
    }
}

fn params_ok(params: &[QuantParams]) -> bool {
    params
        .iter()
        .all(|p| p.scale.is_finite() && p.scale > 0.0 && (-128..=127).contains(&p.zero_point))
}

/// Little-endian `i32`s borrowed from a model file's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct I32s<'a>(&'a [u8]);

impl<'a> I32s<'a> {
    /// The integers in place when the bytes are 4-byte aligned and the machine little-endian
    /// (as [`F32s::as_slice`](super::F32s::as_slice)).
    pub fn as_slice(&self) -> Option<&'a [i32]> {
        if cfg!(target_endian = "little") {
            bytemuck::try_cast_slice(self.0).ok()
        } else {
            None
        }
    }

    /// Number of integers.
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.len() < 4
    }

    /// The integers, in file order.
    pub fn iter(&self) -> impl Iterator<Item = i32> + 'a {
        self.0
            .as_chunks::<4>()
            .0
            .iter()
            .map(|b| i32::from_le_bytes(*b))
    }
}

/// One int8 layer of a [`ModelView`](super::ModelView), borrowed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Int8View<'a> {
    /// The input's quantization.
    pub input: QuantParams,
    /// The fully-connected output's quantization.
    pub output: QuantParams,
    /// The fused activation's clamp.
    pub activation_min: i8,
    /// The fused activation's clamp.
    pub activation_max: i8,
    /// The quantization after the activation.
    pub activation_output: QuantParams,
    /// `units × fan_in` int8 weights, row-major.
    pub weights: &'a [i8],
    /// `units` biases.
    pub bias: I32s<'a>,
    /// `units` multipliers.
    pub multiplier: I32s<'a>,
    /// `units` shifts.
    pub shift: I32s<'a>,
    /// The softmax parameters of a softmax layer.
    pub softmax: Option<SoftmaxParams>,
    /// The table of a sigmoid or tanh layer.
    pub lut: Option<&'a Lut>,
    /// The layer's whole part of the data section, every word above in file order (what
    /// dendrite-core's `Int8WordsRef` reads the layer from when it runs).
    pub words: I32s<'a>,
}

impl<'a> Int8View<'a> {
    /// The layer for dendrite-core's integer kernels, borrowing the file's bytes in place:
    /// `None` when the bytes are not 4-byte aligned in memory (copy the arrays then).
    pub fn dense(&self) -> Option<QuantizedDense<'a>> {
        let activation = match (self.softmax, self.lut) {
            (Some(p), _) => QuantizedActivation::Softmax(p),
            (None, Some(lut)) => QuantizedActivation::Lut(lut),
            (None, None) => QuantizedActivation::None,
        };
        Some(QuantizedDense {
            weights: self.weights,
            bias: self.bias.as_slice()?,
            requantize: Requantize {
                input_zero_point: self.input.zero_point,
                output_zero_point: self.output.zero_point,
                multiplier: self.multiplier.as_slice()?,
                shift: self.shift.as_slice()?,
                activation_min: self.activation_min,
                activation_max: self.activation_max,
            },
            activation,
        })
    }
}

fn word(bytes: &[u8], i: usize) -> Result<[u8; 4], DecodeError> {
    bytes
        .get(4 * i..4 * i + 4)
        .and_then(|b| b.first_chunk::<4>())
        .copied()
        .ok_or(DecodeError::Truncated)
}

/// Reads and checks an int8 layer from exactly its [`words`] of data.
pub(super) fn read<'a>(
    bytes: &'a [u8],
    units: usize,
    fan_in: usize,
    activation: Activation,
) -> Result<Int8View<'a>, DecodeError> {
    let f = |i| word(bytes, i).map(f32::from_le_bytes);
    let n = |i| word(bytes, i).map(i32::from_le_bytes);
    let q = |i| -> Result<QuantParams, DecodeError> {
        Ok(QuantParams {
            scale: f(i)?,
            zero_point: n(i + 1)?,
        })
    };
    let clamp = |v: i32| i8::try_from(v).map_err(|_| DecodeError::Malformed);
    let (input, output, activation_output) = (q(0)?, q(2)?, q(6)?);
    let (activation_min, activation_max) = (clamp(n(4)?)?, clamp(n(5)?)?);
    if !params_ok(&[input, output, activation_output]) {
        return Err(DecodeError::Malformed);
    }
    let at = |start: usize, count: usize| {
        bytes
            .get(4 * start..4 * (start + count))
            .ok_or(DecodeError::Truncated)
    };
    let bias = I32s(at(PARAM_WORDS, units)?);
    let multiplier = I32s(at(PARAM_WORDS + units, units)?);
    let shift = I32s(at(PARAM_WORDS + 2 * units, units)?);
    let start = PARAM_WORDS + 3 * units;
    let count = units.checked_mul(fan_in).ok_or(DecodeError::Malformed)?;
    let weights: &[i8] = bytemuck::cast_slice(
        bytes
            .get(4 * start..4 * start + count)
            .ok_or(DecodeError::Truncated)?,
    );
    let extra = start + count.div_ceil(4);
    let (softmax, lut) = match activation {
        Activation::Softmax => (
            Some(SoftmaxParams {
                input_multiplier: n(extra)?,
                input_left_shift: n(extra + 1)?,
                diff_min: n(extra + 2)?,
            }),
            None,
        ),
        Activation::Sigmoid | Activation::Tanh => {
            let table: &[i8] = bytemuck::cast_slice(at(extra, 64)?);
            (
                None,
                Some(table.first_chunk::<256>().ok_or(DecodeError::Truncated)?),
            )
        }
        Activation::Linear | Activation::Relu | Activation::Relu6 => (None, None),
        _ => return Err(DecodeError::Malformed),
    };
    let shifts_ok = shift.iter().all(|s| (-31..=30).contains(&s));
    if activation_min > activation_max || !shifts_ok || multiplier.iter().any(|m| m < 0) {
        return Err(DecodeError::Malformed);
    }
    Ok(Int8View {
        input,
        output,
        activation_min,
        activation_max,
        activation_output,
        weights,
        bias,
        multiplier,
        shift,
        softmax,
        lut,
        words: I32s(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Aligned, DType, LayerRef, LayerSpec, ModelRef, ModelView};
    use crate::quant::{QuantizedModel, SoftmaxParams};
    use crate::{act, Dense, Network};

    const Q: QuantParams = QuantParams {
        scale: 0.05,
        zero_point: -3,
    };
    const SOFTMAX_OUT: QuantParams = QuantParams {
        scale: 1.0 / 256.0,
        zero_point: -128,
    };

    /// A 3-2-2 int8 model (relu, then softmax), edited by `edit`, encoded.
    fn try_encode(
        edit: impl Fn(&mut [Int8LayerRef<'_>; 2]),
    ) -> Result<Vec<u8>, crate::format::EncodeError> {
        try_encode_hidden(Activation::Relu, edit)
    }

    /// As [`try_encode`], with `hidden` the first layer's activation.
    fn try_encode_hidden(
        hidden: Activation,
        edit: impl Fn(&mut [Int8LayerRef<'_>; 2]),
    ) -> Result<Vec<u8>, crate::format::EncodeError> {
        let softmax = SoftmaxParams::new(1.0, 0.05);
        let mut int8 = [
            Int8LayerRef {
                weights: &[1, -2, 3, 127, -127, 0],
                bias: &[10, -20],
                multiplier: &[1 << 30, 1 << 30],
                shift: &[-3, -2],
                input: Q,
                output: Q,
                activation_min: -3,
                activation_max: 127,
                activation_output: Q,
                softmax: None,
                lut: None,
            },
            Int8LayerRef {
                weights: &[5, 6, -7, 8],
                bias: &[0, 1],
                multiplier: &[1 << 30, 3 << 29],
                shift: &[-1, -1],
                input: Q,
                output: Q,
                activation_min: -128,
                activation_max: 127,
                activation_output: SOFTMAX_OUT,
                softmax: Some(softmax),
                lut: None,
            },
        ];
        edit(&mut int8);
        let spec = |units, activation, name| LayerSpec {
            units,
            activation,
            name,
        };
        let layers = [
            LayerRef {
                spec: spec(2, hidden, "hidden"),
                kernel: &[],
                bias: &[],
            },
            LayerRef {
                spec: spec(2, Activation::Softmax, "out"),
                kernel: &[],
                bias: &[],
            },
        ];
        let model = ModelRef {
            input: 3,
            mean: &[0.0; 3],
            std: &[1.0; 3],
            layers: &layers,
            int8: &int8,
            ..ModelRef::default()
        };
        let mut bytes = vec![0; model.encoded_len()?];
        model.encode(&mut bytes)?;
        Ok(bytes)
    }

    fn encode(edit: impl Fn(&mut [Int8LayerRef<'_>; 2])) -> Vec<u8> {
        try_encode(edit).expect("valid model")
    }

    /// Overwrites the data section's `word`-th word (mean and std are words 0 to 5) and fixes
    /// the checksum.
    fn patch(bytes: &mut [u8], word: usize, value: i32) {
        let words = 6
            + super::words(2, 3, Activation::Relu).unwrap()
            + super::words(2, 2, Activation::Softmax).unwrap();
        let at = bytes.len() - 4 - 4 * words + 4 * word;
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        let n = bytes.len() - 4;
        let crc = crate::format::crc32(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn an_int8_relu6_layer_is_a_clamp_in_a_version_3_file() {
        let bytes = try_encode_hidden(Activation::Relu6, |_| {}).expect("relu6 has an int8 form");
        assert_eq!(bytes[4], 3);
        let relu = encode(|_| {});
        // The same file as the relu one, but for the version and the activation's index.
        let differ: Vec<usize> = (0..bytes.len() - 4)
            .filter(|&i| bytes[i] != relu[i])
            .collect();
        assert_eq!(differ, [4, 9]);
        let view = ModelView::from_bytes(&bytes).expect("valid");
        let hidden = view.layers().next().expect("two layers");
        assert_eq!(hidden.activation, Activation::Relu6);
        let q = hidden.int8.expect("an int8 layer");
        assert!(q.softmax.is_none() && q.lut.is_none());
    }

    #[test]
    fn int8_layers_of_activations_without_an_int8_form_are_refused() {
        for activation in Activation::ALL.into_iter().skip(6) {
            let err = try_encode_hidden(activation, |_| {}).unwrap_err();
            assert_eq!(
                err,
                crate::format::EncodeError::InvalidShape,
                "{activation}"
            );
            // Written anyway (a relu file with the index changed): refused when read.
            let mut bytes = encode(|_| {});
            bytes[4] = 3;
            bytes[9] = activation as u8;
            let n = bytes.len() - 4;
            let crc = crate::format::crc32(&bytes[..n]);
            bytes[n..].copy_from_slice(&crc.to_le_bytes());
            let err = ModelView::from_bytes(&bytes).unwrap_err();
            assert_eq!(err, DecodeError::Malformed, "{activation}");
        }
    }

    #[test]
    fn int8_layers_round_trip_and_run_in_place() {
        let bytes = encode(|_| {});
        let mut aligned = Aligned([0u8; 512]);
        aligned.0[..bytes.len()].copy_from_slice(&bytes);
        let view = ModelView::from_prefix(&aligned.0).expect("valid");
        let layers: Vec<_> = view.layers().collect();
        assert!(layers
            .iter()
            .all(|l| l.dtype == DType::I8 && l.kernel.is_empty()));
        let q = layers[0].int8.expect("int8");
        assert_eq!(q.weights, &[1, -2, 3, 127, -127, 0]);
        assert_eq!(q.bias.iter().collect::<Vec<_>>(), [10, -20]);
        assert_eq!(q.shift.iter().collect::<Vec<_>>(), [-3, -2]);
        assert_eq!((q.activation_min, q.input), (-3, Q));
        assert_eq!(
            layers[1].int8.unwrap().softmax,
            Some(SoftmaxParams::new(1.0, 0.05))
        );
        // In place (aligned), the layers run through the integer kernels.
        let dense: Vec<_> = layers
            .iter()
            .map(|l| l.int8.unwrap().dense().expect("aligned"))
            .collect();
        let model = QuantizedModel {
            input: Q,
            layers: &dense,
            output: SOFTMAX_OUT,
        };
        let mut scratch = [0i8; 16];
        let mut out = [0i8; 2];
        model
            .predict_quantized(&[10, 20, -30], &mut scratch, &mut out)
            .expect("runs");
        // Two probabilities in units of 1/256 from -128: they sum to about 1.
        let sum: i32 = out.iter().map(|&v| i32::from(v) + 128).sum();
        assert!((254..=257).contains(&sum), "{out:?}");
    }

    #[test]
    fn decoder_refuses_int8_parameters_out_of_range() {
        // Words of the first layer after mean and std: 6 input scale, 7 input zero point, ...,
        // 10 and 11 the clamp, 14.. biases, 16.. multipliers, 18.. shifts.
        for (word, value) in [
            (7, 128),
            (6, f32::NAN.to_bits() as i32),
            (6, 0),
            (10, 200),
            (11, -100),
            (18, 31),
            (16, -1),
        ] {
            let mut bytes = encode(|_| {});
            patch(&mut bytes, word, value);
            assert_eq!(
                ModelView::from_bytes(&bytes).unwrap_err(),
                DecodeError::Malformed,
                "word {word} = {value}"
            );
        }
    }

    #[test]
    fn encoder_refuses_inconsistent_int8_layers() {
        let refused = [
            try_encode(|l| {
                l[0].input = QuantParams {
                    scale: 0.05,
                    zero_point: 128,
                }
            }),
            try_encode(|l| {
                l[1].output = QuantParams {
                    scale: f32::NAN,
                    zero_point: 0,
                }
            }),
            try_encode(|l| l[0].bias = &[1]),
            try_encode(|l| l[1].softmax = None),
            try_encode(|l| l[0].shift = &[-40, 0]),
            try_encode(|l| {
                l[0].activation_min = 100;
                l[0].activation_max = 50;
            }),
        ];
        for r in refused {
            assert_eq!(r.unwrap_err(), crate::format::EncodeError::InvalidShape);
        }
    }

    #[test]
    fn typed_f32_network_refuses_an_int8_model() {
        let bytes = encode(|_| {});
        let mut network: Network<3, crate::Chain<3, 2, act::Relu, Dense<2, 2, act::Softmax>>> =
            Network::new(crate::Chain::new(Dense::zeroed(), Dense::zeroed()));
        assert_eq!(
            network.load_bytes(&bytes),
            Err(DecodeError::UnsupportedLayer { dtype: 1 })
        );
    }
}
