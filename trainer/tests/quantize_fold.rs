//! The standardization folded into the int8 input quantization, exactly where TFLite's
//! per-tensor scheme allows it, and kept as an f32 step everywhere else.

use dendrite_core::quant::quantize as quantize_value;
use dendrite_trainer::layers::{ActivationLayer, Dense};
use dendrite_trainer::quantize::{
    asymmetric_params, quantize, standardization_step, StandardizationStep,
};
use dendrite_trainer::Activation::{Relu, Softmax};
use dendrite_trainer::{utils, HostModel, Initializer, Loss, Optimizer, Preprocessing, Sequential};
use std::path::Path;

const INPUTS: usize = 5;

/// A 5-12-3 relu/softmax network (random weights: the fold is about arithmetic, not accuracy)
/// stored with the standardization `mean`, `std`.
fn model(mean: Vec<f32>, std: Vec<f32>) -> HostModel {
    let mut rng = utils::set_random_seed(3);
    let mut m = Sequential::new();
    m.add(
        Dense::new(12)
            .input_dim(INPUTS)
            .kernel_initializer(Initializer::random_normal()),
    )
    .unwrap();
    m.add(ActivationLayer::new(Relu)).unwrap();
    m.add(Dense::new(3).kernel_initializer(Initializer::random_normal()))
        .unwrap();
    m.add(ActivationLayer::new(Softmax)).unwrap();
    m.compile(
        Optimizer::from_name("adam").unwrap(),
        Loss::CategoricalCrossentropy,
        &[],
    )
    .unwrap();
    m.build(&mut rng).unwrap();
    let preprocessing = Preprocessing {
        mean,
        std,
        ..Preprocessing::identity(INPUTS)
    };
    let bytes = m.to_model_bytes(&preprocessing).unwrap();
    HostModel::from_bytes(&bytes, Path::new("fold")).unwrap()
}

/// xorshift64: reproducible values of every magnitude.
struct Values(u64);

impl Values {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Mostly in the calibrated range, some far outside it, some tiny, some exactly on the
    /// grid's half steps.
    fn value(&mut self) -> f32 {
        let r = self.next();
        let unit = (r >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
        match r % 8 {
            0 => (unit - 0.5) * 1e6,
            1 => (unit - 0.5) * 1e-30,
            2 => ((r >> 8) % 512) as f32 * 0.5 - 128.0,
            _ => (unit - 0.5) * 24.0,
        }
    }
}

fn calibration(values: &mut Values, rows: usize) -> Vec<f32> {
    (0..rows * INPUTS)
        .map(|_| ((values.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.3) * 10.0)
        .collect()
}

#[test]
fn zero_mean_power_of_two_std_folds_bit_for_bit() {
    let mut values = Values(0x2545_f491_4f6c_dd1d);
    let rows = calibration(&mut values, 200);
    for p in [2.0f32, 0.25, 8.0] {
        let float = model(vec![0.0; INPUTS], vec![p; INPUTS]);
        let folded = quantize(&float, &rows).unwrap();
        assert_eq!(
            standardization_step(&float, &folded),
            StandardizationStep::Folded
        );
        assert!(folded.has_identity_standardization());
        // The unfolded input quantization, derived independently: TFLite's parameters of the
        // standardized calibration range.
        let (lo, hi) = rows
            .iter()
            .map(|&x| x / p)
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let standardized = asymmetric_params(lo, hi);
        let input = folded.int8.input().unwrap();
        assert_eq!(input.scale, standardized.scale * p, "std {p}");
        assert_eq!(input.zero_point, standardized.zero_point);
        for _ in 0..10_000 {
            let x: Vec<f32> = (0..INPUTS).map(|_| values.value()).collect();
            // Standardize in f32, then quantize: what the unfolded model computes.
            let unfolded: Vec<i8> = x
                .iter()
                .map(|&v| quantize_value(v / p, standardized.scale, standardized.zero_point))
                .collect();
            let (_, q) = folded.predict_both(&x).unwrap();
            let want = folded.int8.predict_quantized(&unfolded).unwrap();
            assert_eq!(q, want, "std {p}, input {x:?}");
        }
    }
}

#[test]
fn any_other_standardization_stays_an_f32_step() {
    let mut values = Values(0x9e37_79b9_7f4a_7c15);
    let rows = calibration(&mut values, 100);
    let per_feature = (
        vec![0.5, -1.0, 2.0, 0.0, 3.0],
        vec![1.5, 2.0, 0.5, 1.0, 4.0],
    );
    let cases = [
        // Per feature: TFLite's input quantization is per tensor.
        per_feature,
        // One std, but not a power of two: x / 3 rounds, x / (3 s) rounds differently.
        (vec![0.0; INPUTS], vec![3.0; INPUTS]),
        // A mean: x - m rounds.
        (vec![1.0; INPUTS], vec![2.0; INPUTS]),
        // Powers of two, but not one for all features.
        (vec![0.0; INPUTS], vec![2.0, 2.0, 4.0, 2.0, 2.0]),
    ];
    for (mean, std) in cases {
        let float = model(mean.clone(), std.clone());
        let q = quantize(&float, &rows).unwrap();
        assert_eq!(
            standardization_step(&float, &q),
            StandardizationStep::KeptF32,
            "{mean:?} {std:?}"
        );
        assert_eq!((q.mean.clone(), q.std.clone()), (mean, std));
    }
    let identity = model(vec![0.0; INPUTS], vec![1.0; INPUTS]);
    let q = quantize(&identity, &rows).unwrap();
    assert_eq!(
        standardization_step(&identity, &q),
        StandardizationStep::None
    );
}

#[test]
fn an_int8_model_is_not_quantized_again() {
    let mut values = Values(7);
    let rows = calibration(&mut values, 20);
    let float = model(vec![0.0; INPUTS], vec![1.0; INPUTS]);
    let q = quantize(&float, &rows).unwrap();
    let bytes = q.to_model_file(&float).unwrap();
    let int8 = HostModel::from_bytes(&bytes, Path::new("int8")).unwrap();
    assert!(int8.int8().is_some());
    let err = quantize(&int8, &rows).unwrap_err();
    assert!(err.to_string().contains("already int8"), "{err}");
}
