use super::*;
use crate::act::{Linear, Relu, Sigmoid, Softmax, Tanh};
use crate::format::{Aligned, Int8LayerRef, LayerRef, LayerSpec, ModelRef};
use crate::quant::{lut_populate, quantize_multiplier, Lut, QuantizedModel, SoftmaxParams};
use crate::Activation;

/// xorshift64: deterministic pseudo-random parameters.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn i8(&mut self) -> i8 {
        self.next() as i8
    }

    /// Uniform in `[lo, hi)`.
    fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// One layer's owned parameters.
struct Layer {
    units: usize,
    activation: Activation,
    weights: Vec<i8>,
    bias: Vec<i32>,
    multiplier: Vec<i32>,
    shift: Vec<i32>,
    input: QuantParams,
    output: QuantParams,
    activation_output: QuantParams,
    clamp: (i8, i8),
    lut: Option<Box<Lut>>,
}

/// A random int8 model of widths `widths` and the activations given, per-channel scaling.
fn random_layers(rng: &mut Rng, widths: &[usize], activations: &[Activation]) -> Vec<Layer> {
    let mut input = QuantParams {
        scale: rng.f32(0.01, 0.1),
        zero_point: i32::from(rng.i8()) / 2,
    };
    let mut layers = Vec::new();
    for (w, &activation) in widths.windows(2).zip(activations) {
        let (fan_in, units) = (w[0], w[1]);
        let output = QuantParams {
            scale: rng.f32(0.02, 0.2),
            zero_point: i32::from(rng.i8()) / 2,
        };
        let (multiplier, shift) = (0..units)
            .map(|_| {
                let weight_scale = rng.f32(0.001, 0.02);
                quantize_multiplier(
                    f64::from(input.scale) * f64::from(weight_scale) / f64::from(output.scale),
                )
            })
            .unzip();
        let clamp = if activation == Activation::Relu {
            (output.zero_point as i8, 127)
        } else {
            (-128, 127)
        };
        let (activation_output, lut) = match activation {
            Activation::Softmax | Activation::Sigmoid => (
                QuantParams {
                    scale: 1.0 / 256.0,
                    zero_point: -128,
                },
                None,
            ),
            Activation::Tanh => (
                QuantParams {
                    scale: 1.0 / 128.0,
                    zero_point: 0,
                },
                None,
            ),
            _ => (output, None),
        };
        let lut = match activation {
            Activation::Sigmoid => Some(Box::new(lut_populate(
                output.scale,
                output.zero_point,
                activation_output.scale,
                activation_output.zero_point,
                |x| 1.0 / (1.0 + libm::expf(-x)),
            ))),
            Activation::Tanh => Some(Box::new(lut_populate(
                output.scale,
                output.zero_point,
                activation_output.scale,
                activation_output.zero_point,
                libm::tanhf,
            ))),
            _ => lut,
        };
        layers.push(Layer {
            units,
            activation,
            weights: (0..units * fan_in).map(|_| rng.i8().max(-127)).collect(),
            bias: (0..units).map(|_| (rng.next() as i32) >> 20).collect(),
            multiplier,
            shift,
            input,
            output,
            activation_output,
            clamp,
            lut,
        });
        input = activation_output;
    }
    layers
}

/// The model file of `layers` with the standardization given, in an aligned buffer.
fn encode(layers: &[Layer], mean: &[f32], std: &[f32]) -> Aligned<[u8; 4096]> {
    let names: Vec<String> = (0..layers.len()).map(|i| format!("dense_{i}")).collect();
    let refs: Vec<LayerRef<'_>> = layers
        .iter()
        .zip(&names)
        .map(|(l, name)| LayerRef {
            spec: LayerSpec {
                units: l.units as u16,
                activation: l.activation,
                name,
            },
            kernel: &[],
            bias: &[],
        })
        .collect();
    let int8: Vec<Int8LayerRef<'_>> = layers
        .iter()
        .map(|l| Int8LayerRef {
            weights: &l.weights,
            bias: &l.bias,
            multiplier: &l.multiplier,
            shift: &l.shift,
            input: l.input,
            output: l.output,
            activation_min: l.clamp.0,
            activation_max: l.clamp.1,
            activation_output: l.activation_output,
            softmax: (l.activation == Activation::Softmax)
                .then(|| SoftmaxParams::new(1.0, f64::from(l.output.scale))),
            lut: l.lut.as_deref(),
        })
        .collect();
    let model = ModelRef {
        input: mean.len() as u16,
        mean,
        std,
        layers: &refs,
        int8: &int8,
        ..ModelRef::default()
    };
    let mut out = Aligned([0u8; 4096]);
    model.encode(&mut out.0).expect("valid model");
    out
}

type Net<'a> = Int8NetworkRef<
    'a,
    5,
    3,
    Int8ChainRef<
        'a,
        5,
        9,
        Relu,
        Int8ChainRef<
            'a,
            9,
            6,
            Tanh,
            Int8ChainRef<'a, 6, 7, Sigmoid, Int8DenseRef<'a, 7, 3, Softmax>>,
        >,
    >,
>;
const WIDTHS: [usize; 5] = [5, 9, 6, 7, 3];
const ACTIVATIONS: [Activation; 4] = [
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Softmax,
];

/// A [`Dot`] that sums in another order and folds the offset in afterwards, as a DSP kernel
/// does (`Σ w·x + offset · Σ w`): the same bits as [`Scalar`] by the contract.
struct Reordered;

impl Dot for Reordered {
    fn dot_rows(x: &[i8], input_offset: i32, weights: &[i8], out: &mut [i32]) {
        for (acc, row) in out.iter_mut().zip(weights.chunks_exact(x.len())) {
            let (mut wx, mut w_sum) = (0i32, 0i32);
            for (&w, &xi) in row.iter().zip(x).rev() {
                wx = wx.wrapping_add(i32::from(w) * i32::from(xi));
                w_sum = w_sum.wrapping_add(i32::from(w));
            }
            *acc = wx.wrapping_add(w_sum.wrapping_mul(input_offset));
        }
    }
}

/// A model file of [`WIDTHS`] and [`ACTIVATIONS`] with f32 layers (every weight 0.5).
fn f32_file_of_the_architecture() -> Aligned<[u8; 4096]> {
    let specs: Vec<LayerRef<'_>> = WIDTHS
        .windows(2)
        .zip(ACTIVATIONS)
        .map(|(w, activation)| LayerRef {
            spec: LayerSpec {
                units: w[1] as u16,
                activation,
                name: "d",
            },
            kernel: Box::leak(vec![0.5; w[0] * w[1]].into_boxed_slice()),
            bias: Box::leak(vec![0.0; w[1]].into_boxed_slice()),
        })
        .collect();
    let f32_model = ModelRef {
        input: 5,
        mean: &[0.0; 5],
        std: &[1.0; 5],
        layers: &specs,
        ..ModelRef::default()
    };
    let mut f32_file = Aligned([0u8; 4096]);
    f32_model.encode(&mut f32_file.0).unwrap();
    f32_file
}

#[test]
fn in_place_network_computes_the_slice_models_bits() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..20 {
        let layers = random_layers(&mut rng, &WIDTHS, &ACTIVATIONS);
        let mean: Vec<f32> = (0..5).map(|_| rng.f32(-2.0, 2.0)).collect();
        let std: Vec<f32> = (0..5).map(|_| rng.f32(0.5, 3.0)).collect();
        let file = encode(&layers, &mean, &std);
        let net = Net::from_region(&file.0).expect("an int8 model of this architecture");
        assert_eq!(net.input_quantization(), layers[0].input);
        assert_eq!(net.output_quantization(), layers[3].activation_output);
        // The host's path: slices, standardization, then `QuantizedModel::predict`.
        let view = ModelView::from_prefix(&file.0).unwrap();
        let dense: Vec<_> = view
            .layers()
            .map(|l| l.int8.unwrap().dense().unwrap())
            .collect();
        let host = QuantizedModel {
            input: layers[0].input,
            layers: &dense,
            output: layers[3].activation_output,
        };
        let mut scratch = vec![0i8; host.predict_scratch_len()];
        for _ in 0..200 {
            let x: [f32; 5] = core::array::from_fn(|_| rng.f32(-8.0, 8.0));
            let mut standardized = x;
            kernel::standardize(&mut standardized, &mean, &std);
            let mut want = [0.0f32; 3];
            host.predict(&standardized, &mut scratch, &mut want)
                .unwrap();
            let got = net.predict(&x);
            assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits));
            assert_eq!(net.predict_with::<Reordered>(&x), got);
            // Two buffers, each layer writing into the other: the same bits, with buffers of
            // the widest activation, longer ones, and too short ones (the nested path).
            let width = Net::WIDTH;
            assert_eq!(width, *WIDTHS.iter().max().unwrap());
            for len in [width, width + 3, width - 1] {
                let (mut a, mut b) = (vec![0i8; len], vec![0i8; len]);
                let bits = net.predict_in::<Reordered>(&x, &mut a, &mut b);
                assert_eq!(bits.map(f32::to_bits), want.map(f32::to_bits), "{len}");
                // Into the caller's array: every output overwritten, whatever it held.
                let mut into = [f32::NAN; 3];
                net.predict_into::<Scalar>(&x, &mut a, &mut b, &mut into);
                assert_eq!(into.map(f32::to_bits), want.map(f32::to_bits), "{len}");
            }
            let q = net.predict_quantized(&x);
            let mut q_in = [0i8; 5];
            quantize_all(&standardized, layers[0].input, &mut q_in);
            let mut q_want = [0i8; 3];
            host.predict_quantized(&q_in, &mut scratch, &mut q_want)
                .unwrap();
            assert_eq!(q, q_want);
            assert_eq!(net.forward_quantized::<Reordered>(&q_in), q_want);
            // An odd number of layers leaves the output in the second buffer: the last three.
            let rest = net.layers.rest;
            let mut hidden = [0i8; WIDTHS[1]];
            net.layers.first.forward_into::<Scalar>(&q_in, &mut hidden);
            let (mut a, mut b) = ([0i8; 16], [0i8; 16]);
            a[..WIDTHS[1]].copy_from_slice(&hidden);
            rest.forward_alternating::<Scalar>(&mut a, &mut b);
            assert_eq!(b[..3], q_want);
        }
    }
}

#[test]
fn reordered_dot_gives_the_scalar_bits_on_any_block() {
    let mut rng = Rng(7);
    for n in 1..40 {
        let x: Vec<i8> = (0..n).map(|_| rng.i8()).collect();
        let w: Vec<i8> = (0..n * DOT).map(|_| rng.i8()).collect();
        for offset in [-127, -1, 0, 1, 128] {
            let (mut a, mut b) = ([0i32; DOT], [0i32; DOT]);
            Scalar::dot_rows(&x, offset, &w, &mut a);
            Reordered::dot_rows(&x, offset, &w, &mut b);
            assert_eq!(a, b);
        }
    }
}
const DOT: usize = crate::quant::DOT_BLOCK;

#[test]
fn f32_and_int8_networks_refuse_each_others_files() {
    let mut rng = Rng(99);
    let layers = random_layers(&mut rng, &WIDTHS, &ACTIVATIONS);
    let file = encode(&layers, &[0.0; 5], &[1.0; 5]);
    type F32Net<'a> = crate::NetworkRef<
        'a,
        5,
        crate::ChainRef<
            'a,
            5,
            9,
            Relu,
            crate::ChainRef<
                'a,
                9,
                6,
                Tanh,
                crate::ChainRef<'a, 6, 7, Sigmoid, crate::DenseRef<'a, 7, 3, Softmax>>,
            >,
        >,
    >;
    let refused = F32Net::from_region(&file.0).unwrap_err();
    assert_eq!(refused, DecodeError::UnsupportedLayer { dtype: 1 });
    assert!(refused.to_string().contains("int8 layers"), "{refused}");

    // An f32 model of the same architecture, for the int8 network.
    let f32_file = f32_file_of_the_architecture();
    let refused = Net::from_region(&f32_file.0).unwrap_err();
    assert_eq!(refused, DecodeError::UnsupportedLayer { dtype: 0 });
    assert!(refused.to_string().contains("f32 layers"), "{refused}");

    // Another architecture: a different activation or width.
    type Other<'a> = Int8NetworkRef<
        'a,
        5,
        3,
        Int8ChainRef<
            'a,
            5,
            9,
            Relu,
            Int8ChainRef<
                'a,
                9,
                6,
                Tanh,
                Int8ChainRef<'a, 6, 7, Sigmoid, Int8DenseRef<'a, 7, 3, Linear>>,
            >,
        >,
    >;
    assert_eq!(
        Other::from_region(&file.0).unwrap_err(),
        DecodeError::ArchitectureMismatch
    );
    // Unaligned bytes cannot be read in place.
    let mut shifted = Aligned([0u8; 4097]);
    shifted.0[1..].copy_from_slice(&file.0);
    assert_eq!(
        Net::from_region(&shifted.0[1..]).unwrap_err(),
        DecodeError::Unaligned
    );
}

/// [`Net`] with each layer kept as one reference to its words in the file
/// ([`crate::Int8WordsRef`]), as `model!` reads a region.
type WordsNet<'a> = Int8NetworkRef<
    'a,
    5,
    3,
    crate::Int8WordsChainRef<
        'a,
        5,
        9,
        { crate::int8_layer_words(9, 5, Activation::Relu) },
        Relu,
        crate::Int8WordsChainRef<
            'a,
            9,
            6,
            { crate::int8_layer_words(6, 9, Activation::Tanh) },
            Tanh,
            crate::Int8WordsChainRef<
                'a,
                6,
                7,
                { crate::int8_layer_words(7, 6, Activation::Sigmoid) },
                Sigmoid,
                crate::Int8WordsRef<
                    'a,
                    7,
                    3,
                    { crate::int8_layer_words(3, 7, Activation::Softmax) },
                    Softmax,
                >,
            >,
        >,
    >,
>;

#[test]
fn layers_kept_as_their_words_compute_the_same_bits_in_a_fraction_of_the_bytes() {
    // One pointer per layer and the standardization's two, against four array references,
    // three quantizations and the activation's parameters per layer.
    let pointer = core::mem::size_of::<usize>();
    assert!(core::mem::size_of::<WordsNet<'_>>() <= 7 * pointer);
    assert!(4 * core::mem::size_of::<WordsNet<'_>>() < core::mem::size_of::<Net<'_>>());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20 {
        let layers = random_layers(&mut rng, &WIDTHS, &ACTIVATIONS);
        let mean: Vec<f32> = (0..5).map(|_| rng.f32(-2.0, 2.0)).collect();
        let std: Vec<f32> = (0..5).map(|_| rng.f32(0.5, 3.0)).collect();
        let file = encode(&layers, &mean, &std);
        let net = Net::from_region(&file.0).expect("an int8 model of this architecture");
        let words = WordsNet::from_region(&file.0).expect("the same model as words");
        assert_eq!(words.input_quantization(), net.input_quantization());
        assert_eq!(words.output_quantization(), net.output_quantization());
        assert_eq!(words.standardization(), net.standardization());
        assert_eq!(WordsNet::WIDTH, Net::WIDTH);
        for _ in 0..200 {
            let x: [f32; 5] = core::array::from_fn(|_| rng.f32(-8.0, 8.0));
            let want = net.predict(&x).map(f32::to_bits);
            assert_eq!(words.predict(&x).map(f32::to_bits), want);
            assert_eq!(words.predict_quantized(&x), net.predict_quantized(&x));
            let (mut a, mut b) = ([0i8; 9], [0i8; 9]);
            let mut into = [f32::NAN; 3];
            words.predict_into::<Reordered>(&x, &mut a, &mut b, &mut into);
            assert_eq!(into.map(f32::to_bits), want);
            let q: [i8; 5] = core::array::from_fn(|_| rng.i8());
            assert_eq!(
                words.forward_quantized::<Scalar>(&q),
                net.forward_quantized::<Scalar>(&q)
            );
        }
    }
}

#[test]
fn layers_kept_as_their_words_refuse_what_the_layers_refuse() {
    let mut rng = Rng(5);
    let layers = random_layers(&mut rng, &WIDTHS, &ACTIVATIONS);
    let file = encode(&layers, &[0.0; 5], &[1.0; 5]);
    // A word count that is not the layer's.
    type Miscounted<'a> = Int8NetworkRef<
        'a,
        5,
        3,
        crate::Int8WordsChainRef<
            'a,
            5,
            9,
            { crate::int8_layer_words(9, 5, Activation::Relu) },
            Relu,
            crate::Int8WordsChainRef<
                'a,
                9,
                6,
                { crate::int8_layer_words(6, 9, Activation::Tanh) + 1 },
                Tanh,
                crate::Int8WordsChainRef<
                    'a,
                    6,
                    7,
                    { crate::int8_layer_words(7, 6, Activation::Sigmoid) },
                    Sigmoid,
                    crate::Int8WordsRef<
                        'a,
                        7,
                        3,
                        { crate::int8_layer_words(3, 7, Activation::Softmax) },
                        Softmax,
                    >,
                >,
            >,
        >,
    >;
    assert_eq!(
        Miscounted::from_region(&file.0).unwrap_err(),
        DecodeError::ArchitectureMismatch
    );
    // Unaligned bytes cannot be read in place.
    let mut shifted = Aligned([0u8; 4097]);
    shifted.0[1..].copy_from_slice(&file.0);
    assert_eq!(
        WordsNet::from_region(&shifted.0[1..]).unwrap_err(),
        DecodeError::Unaligned
    );
    // An f32 model of the architecture: its layers are not int8.
    let f32_file = f32_file_of_the_architecture();
    assert_eq!(
        WordsNet::from_region(&f32_file.0).unwrap_err(),
        DecodeError::UnsupportedLayer { dtype: 0 }
    );
}
