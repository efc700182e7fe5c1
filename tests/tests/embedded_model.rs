//! `dendrite_core::model!`: the typed network it generates from a model file computes the host's
//! bits (`HostModel`), with the weights compiled in and read in place from a region.

use dendrite_core::format::{Aligned, DecodeError};
use dendrite_tests::models::random_inputs;
use dendrite_trainer::HostModel;

dendrite_core::model!(Seed, "../firmware/models/seed.postcard");
dendrite_core::model!(Wide, "models/16-32-32-4.postcard");
dendrite_core::model!(Binary, "models/8-16-1.postcard");
dendrite_core::model!(Deep, "models/5-12-7-3.postcard");
dendrite_core::model!(Single, "models/6-3.postcard");
// Architecture only: the weights come from a region at run time.
dendrite_core::model!(SeedShape, "../firmware/models/seed.postcard", region);

static SEED_FILE: &Aligned<[u8]> = &Aligned(*include_bytes!("../../firmware/models/seed.postcard"));
static WIDE_FILE: &Aligned<[u8]> = &Aligned(*include_bytes!("../models/16-32-32-4.postcard"));

const SAMPLES: usize = 10_000;

fn host(path: &str) -> HostModel {
    HostModel::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("a valid fixture")
}

/// Checks `predict` against the host on random inputs, bit for bit, and `class` against
/// `class_of` on the host's outputs.
macro_rules! check {
    ($net:expr, $ty:ty, $path:expr, $seed:expr) => {{
        let net = $net;
        let host = host($path);
        assert_eq!(<$ty>::INPUT, host.input());
        assert_eq!(<$ty>::OUTPUT, host.output());
        assert_eq!(<$ty>::ARCHITECTURE, host.architecture().to_string());
        let last = host.layers().last().expect("layers").activation;
        for x in random_inputs(SAMPLES, <$ty>::INPUT, $seed) {
            let expected = host.predict(&x).expect("host prediction");
            let x: [f32; <$ty>::INPUT] = x.try_into().expect("width");
            let got = net.predict(&x);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&expected), "{} on {x:?}", $path);
            // Into the caller's array: the same bits, every value overwritten.
            let mut into = [f32::NAN; <$ty>::OUTPUT];
            net.predict_into(&x, &mut into);
            assert_eq!(bits(&into), bits(&expected), "{} into, on {x:?}", $path);
            assert_eq!(net.class(&got), dendrite_core::class_of(&expected, last));
        }
    }};
}

#[test]
fn compiled_in_models_compute_the_hosts_bits() {
    check!(Seed::new(), Seed, "../firmware/models/seed.postcard", 1);
    check!(Wide::new(), Wide, "models/16-32-32-4.postcard", 2);
    check!(Binary::new(), Binary, "models/8-16-1.postcard", 3);
    check!(Deep::new(), Deep, "models/5-12-7-3.postcard", 4);
    check!(Single::new(), Single, "models/6-3.postcard", 5);
}

#[test]
fn models_from_a_region_compute_the_hosts_bits() {
    let seed = SeedShape::from_region(&SEED_FILE.0).expect("the seed model");
    check!(seed, SeedShape, "../firmware/models/seed.postcard", 6);
    // A region is longer than the model: what follows it is ignored.
    let mut region = WIDE_FILE.0.to_vec();
    region.resize(region.len() + 64, 0xFF);
    let region: &'static [u8] = Box::leak(region.into_boxed_slice());
    let wide = Wide::from_region(region).expect("the 16-32-32-4 model");
    check!(wide, Wide, "models/16-32-32-4.postcard", 7);
}

#[test]
fn a_region_of_another_architecture_or_unaligned_is_refused() {
    assert_eq!(
        SeedShape::from_region(&WIDE_FILE.0).map(|_| ()),
        Err(DecodeError::ArchitectureMismatch)
    );
    // The same file one byte off a 4-byte boundary: valid, but not readable in place.
    let len = SEED_FILE.0.len();
    let buffer: &'static mut [u8] = Box::leak(vec![0u8; len + 4].into_boxed_slice());
    let start = (0..4)
        .find(|o| (buffer.as_ptr() as usize + o) % 4 == 1)
        .expect("an offset");
    buffer[start..start + len].copy_from_slice(&SEED_FILE.0);
    let shifted: &'static [u8] = &buffer[start..start + len];
    assert_eq!(
        SeedShape::from_region(shifted).map(|_| ()),
        Err(DecodeError::Unaligned)
    );
    let mut corrupt = SEED_FILE.0.to_vec();
    let at = corrupt.len() - 8;
    corrupt[at] ^= 0x40;
    let corrupt: &'static [u8] = Box::leak(corrupt.into_boxed_slice());
    assert!(matches!(
        SeedShape::from_region(corrupt),
        Err(DecodeError::CrcMismatch { .. })
    ));
}

#[test]
fn constants_come_from_the_file() {
    let host = host("../firmware/models/seed.postcard");
    assert_eq!(Seed::CLASSES.to_vec(), host.labels().to_vec());
    let (mean, std) = host.standardization();
    assert_eq!(Seed::MEAN.to_vec(), mean.to_vec());
    assert_eq!(Seed::STD.to_vec(), std.to_vec());
    assert_eq!(Seed::CRC, host.crc());
    let net = Seed::new();
    assert_eq!(net.class_name(1), host.labels().get(1).map(String::as_str));
    let inputs = [[1.5; Seed::INPUT], [-0.5; Seed::INPUT]];
    let mut outputs = [[0.0; Seed::OUTPUT]; 2];
    assert_eq!(net.predict_batch(&inputs, &mut outputs), 2);
    assert_eq!(outputs[1], net.predict(&inputs[1]));
}

// int8 model files: Dendrite's quantization of the 16-32-32-4 model, and TFLite files made by
// TensorFlow's converter, imported.
dendrite_core::model!(WideInt8, "models/16-32-32-4.int8.postcard");
dendrite_core::model!(WideInt8Shape, "models/16-32-32-4.int8.postcard", region);
dendrite_core::model!(TfliteSoftmax, "models/tflite/dense_softmax.int8.postcard");
dendrite_core::model!(
    TflitePerTensor,
    "models/tflite/dense_softmax.int8_per_tensor.postcard"
);
dendrite_core::model!(TfliteSigmoid, "models/tflite/dense_sigmoid.int8.postcard");
dendrite_core::model!(TfliteTanh, "models/tflite/dense_tanh.int8.postcard");
dendrite_core::model!(TfliteRegression, "models/tflite/regression.int8.postcard");

static WIDE_INT8_FILE: &Aligned<[u8]> =
    &Aligned(*include_bytes!("../models/16-32-32-4.int8.postcard"));

fn host_int8(path: &str) -> dendrite_trainer::quantize::QuantizedModel {
    let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("a fixture");
    dendrite_trainer::quantize::QuantizedModel::from_model_bytes(&bytes).expect("an int8 model")
}

/// [`check!`] for an int8 model: `predict` against the host's int8 path
/// (`dendrite_trainer::quantize::QuantizedModel`, dendrite-core's `QuantizedModel`) bit for
/// bit, `predict_quantized` against its int8 outputs, `class` against `class_of`.
macro_rules! check_int8 {
    ($net:expr, $ty:ty, $path:expr, $seed:expr) => {{
        let net = $net;
        let host = host_int8($path);
        assert_eq!(<$ty>::DTYPE, dendrite_core::format::DType::I8);
        assert_eq!(<$ty>::INPUT, host.int8.inputs());
        assert_eq!(<$ty>::OUTPUT, host.int8.outputs());
        let last = <$ty>::LAYERS[<$ty>::LAYERS.len() - 1].1;
        let output_q = host.int8.output().expect("layers");
        assert_eq!(<$ty>::OUTPUT_QUANTIZATION, output_q);
        for x in random_inputs(SAMPLES, <$ty>::INPUT, $seed) {
            let expected = host.predict(&x).expect("host prediction");
            let x: [f32; <$ty>::INPUT] = x.try_into().expect("width");
            let got = net.predict(&x);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&expected), "{} on {x:?}", $path);
            // Into the caller's array, with the portable kernel named: the same bits.
            let mut into = [f32::NAN; <$ty>::OUTPUT];
            net.predict_into_with::<dendrite_core::quant::Scalar>(&x, &mut into);
            assert_eq!(bits(&into), bits(&expected), "{} into, on {x:?}", $path);
            let q = net.predict_quantized(&x);
            let requantized: Vec<i8> = expected
                .iter()
                .map(|&v| dendrite_core::quant::quantize(v, output_q.scale, output_q.zero_point))
                .collect();
            assert_eq!(q.to_vec(), requantized, "{}", $path);
            assert_eq!(net.class(&got), dendrite_core::class_of(&expected, last));
        }
    }};
}

#[test]
fn int8_models_compiled_in_and_from_a_region_compute_the_hosts_bits() {
    check_int8!(
        WideInt8::new(),
        WideInt8,
        "models/16-32-32-4.int8.postcard",
        8
    );
    let region = WideInt8Shape::from_region(&WIDE_INT8_FILE.0).expect("the int8 model");
    check_int8!(region, WideInt8Shape, "models/16-32-32-4.int8.postcard", 9);
    let path = "models/tflite/dense_softmax.int8.postcard";
    check_int8!(TfliteSoftmax::new(), TfliteSoftmax, path, 10);
    let path = "models/tflite/dense_softmax.int8_per_tensor.postcard";
    check_int8!(TflitePerTensor::new(), TflitePerTensor, path, 11);
    let path = "models/tflite/dense_sigmoid.int8.postcard";
    check_int8!(TfliteSigmoid::new(), TfliteSigmoid, path, 12);
    let path = "models/tflite/dense_tanh.int8.postcard";
    check_int8!(TfliteTanh::new(), TfliteTanh, path, 13);
    let path = "models/tflite/regression.int8.postcard";
    check_int8!(TfliteRegression::new(), TfliteRegression, path, 14);
}

#[test]
fn int8_models_give_tflites_interpreter_outputs() {
    use dendrite_tests::models::TfliteRecord;
    macro_rules! same_as_tflite {
        ($net:expr, $ty:ty, $name:expr) => {{
            let net = $net;
            let record = TfliteRecord::load($name);
            assert!(record.int8_io);
            for (x, want) in record.inputs.iter().zip(&record.outputs) {
                let x: [i8; <$ty>::INPUT] = std::array::from_fn(|i| x[i] as i8);
                let want: Vec<i8> = want.iter().map(|&v| v as i8).collect();
                assert_eq!(net.forward_quantized(&x).to_vec(), want, "{}", $name);
            }
        }};
    }
    same_as_tflite!(TfliteSoftmax::new(), TfliteSoftmax, "dense_softmax.int8");
    same_as_tflite!(
        TflitePerTensor::new(),
        TflitePerTensor,
        "dense_softmax.int8_per_tensor"
    );
    same_as_tflite!(TfliteSigmoid::new(), TfliteSigmoid, "dense_sigmoid.int8");
    same_as_tflite!(TfliteTanh::new(), TfliteTanh, "dense_tanh.int8");
    same_as_tflite!(TfliteRegression::new(), TfliteRegression, "regression.int8");
}

#[test]
fn f32_and_int8_types_refuse_each_others_regions() {
    let int8 = Seed::from_region(&WIDE_INT8_FILE.0).map(|_| ());
    assert_eq!(int8, Err(DecodeError::ArchitectureMismatch));
    // The same architecture, the other weight type: refused with the reason.
    assert_eq!(
        Wide::from_region(&WIDE_INT8_FILE.0).map(|_| ()),
        Err(DecodeError::UnsupportedLayer { dtype: 1 })
    );
    assert_eq!(
        WideInt8Shape::from_region(&WIDE_FILE.0).map(|_| ()),
        Err(DecodeError::UnsupportedLayer { dtype: 0 })
    );
    assert_eq!(Wide::DTYPE, dendrite_core::format::DType::F32);
}
