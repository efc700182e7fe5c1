use super::*;
use crate::act::{Linear, Relu, Sigmoid, Softmax, Tanh};
use crate::{Activation, Chain, Dense, Network};

const K1: [f32; 12] = [
    0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, 1.1, -1.2,
];
const K2: [f32; 8] = [0.5, -0.5, 0.25, -0.25, -0.5, 0.5, -0.25, 0.25];

fn seed_like(labels: &str) -> Vec<u8> {
    let layers = [
        LayerRef {
            spec: LayerSpec {
                units: 4,
                activation: Activation::Relu,
                name: "Dense1",
            },
            kernel: &K1,
            bias: &[0.01, 0.02, 0.03, 0.04],
        },
        LayerRef {
            spec: LayerSpec {
                units: 2,
                activation: Activation::Softmax,
                name: "Dense2",
            },
            kernel: &K2,
            bias: &[0.1, -0.1],
        },
    ];
    let model = ModelRef {
        input: 3,
        labels,
        mean: &[0.0; 3],
        std: &[1.0; 3],
        layers: &layers,
        ..ModelRef::default()
    };
    let mut bytes = vec![0; model.encoded_len().unwrap()];
    assert_eq!(model.encode(&mut bytes).unwrap(), bytes.len());
    bytes
}

fn tiny() -> Vec<u8> {
    let layers = [LayerRef {
        spec: LayerSpec {
            units: 1,
            activation: Activation::Sigmoid,
            name: "o",
        },
        kernel: &[1.0, -2.0],
        bias: &[0.5],
    }];
    let model = ModelRef {
        input: 2,
        labels: "",
        mean: &[0.0, 1.0],
        std: &[1.0, 2.0],
        layers: &layers,
        ..ModelRef::default()
    };
    let mut bytes = vec![0; model.encoded_len().unwrap()];
    model.encode(&mut bytes).unwrap();
    bytes
}

/// Rewrites the CRC trailer so a deliberately edited body passes the checksum.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn golden_bytes_of_a_tiny_model() {
    #[rustfmt::skip]
    let expected: [u8; 52] = [
        b'D', b'N', b'D', b'R', // magic
        2,                      // version
        2,                      // input width
        0,                      // no feature names
        1, 1, 2, 1, b'o', 0,    // 1 layer: 1 unit, sigmoid, name "o", f32 weights
        0,                      // task: classification
        0,                      // no labels
        0, 0, 0, 0,             // threshold 0.0
        0,                      // no padding: the data starts at offset 20
        0, 0, 0, 0, 0, 0, 0x80, 0x3f,       // mean [0, 1]
        0, 0, 0x80, 0x3f, 0, 0, 0, 0x40,    // std [1, 2]
        0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0,    // kernel [1, -2]
        0, 0, 0, 0x3f,                      // bias [0.5]
        0, 0, 0, 0,                         // CRC-32, patched below
    ];
    let mut expected = expected;
    let crc = crc32(&expected[..48]);
    expected[48..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(tiny(), expected);
    // zlib's CRC-32 of b"123456789" is the catalogue's check value.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

/// A model file built field by field, so tests can write what the encoder refuses: `header` is
/// everything after the version, `data` the data section.
fn raw_model(header: &[u8], data: &[f32]) -> Vec<u8> {
    let mut bytes = b"DNDR\x02".to_vec();
    bytes.extend_from_slice(header);
    let pad = encode::padding(bytes.len());
    bytes.push(pad as u8);
    bytes.extend(core::iter::repeat_n(0, pad));
    bytes.extend(data.iter().flat_map(|v| v.to_le_bytes()));
    bytes.extend_from_slice(&[0; 4]);
    reseal(&mut bytes);
    bytes
}

/// The tiny model's header after the version, with `features`, `task` and `labels` of choice.
fn tiny_header(features: &str, task: u8, labels: &str) -> Vec<u8> {
    postcard::to_allocvec(&(
        2u16,
        features,
        vec![(1u16, Activation::Sigmoid, "o", 0u8)],
        task,
        labels,
        0.0f32,
    ))
    .unwrap()
}

const TINY_DATA: [f32; 7] = [0.0, 1.0, 1.0, 2.0, 1.0, -2.0, 0.5];

#[test]
fn raw_models_match_the_encoder() {
    assert_eq!(raw_model(&tiny_header("", 0, ""), &TINY_DATA), tiny());
}

#[test]
fn the_data_section_is_aligned_whatever_the_header_length() {
    for name_len in 0..8 {
        let features = format!("{}\nb", "a".repeat(name_len + 1));
        let layers = [LayerRef {
            spec: LayerSpec {
                units: 1,
                activation: Activation::Linear,
                name: "o",
            },
            kernel: &[1.0, 2.0],
            bias: &[0.0],
        }];
        let model = ModelRef {
            input: 2,
            features: &features,
            mean: &[0.0; 2],
            std: &[1.0; 2],
            layers: &layers,
            ..ModelRef::default()
        };
        let mut bytes = vec![0; model.encoded_len().unwrap() + 4];
        // An aligned buffer: a Vec<u32>'s bytes.
        let mut words = vec![0u32; bytes.len() / 4 + 1];
        let n = model.encode(&mut bytes).unwrap();
        let aligned: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        aligned[..n].copy_from_slice(&bytes[..n]);
        let view = ModelView::from_bytes(&aligned[..n]).unwrap();
        let layer = view.layers().next().unwrap();
        assert_eq!(
            layer.kernel.as_slice(),
            Some(&[1.0f32, 2.0][..]),
            "name length {name_len}"
        );
        assert_eq!(view.mean().as_slice(), Some(&[0.0f32; 2][..]));
        assert_eq!(
            view.features().collect::<Vec<_>>(),
            [features.split('\n').next().unwrap(), "b"]
        );
    }
}

#[test]
fn regression_and_anomaly_models_keep_their_task() {
    let layers = [LayerRef {
        spec: LayerSpec {
            units: 2,
            activation: Activation::Linear,
            name: "o",
        },
        kernel: &[1.0, 2.0, 3.0, 4.0],
        bias: &[0.0, 0.5],
    }];
    let base = ModelRef {
        input: 2,
        mean: &[0.0; 2],
        std: &[1.0; 2],
        layers: &layers,
        ..ModelRef::default()
    };
    let regression = ModelRef {
        labels: "speed\ntorque",
        task: Task::Regression {
            mean: &[10.0, -1.0],
            std: &[2.0, 0.5],
        },
        ..base
    };
    let mut bytes = vec![0; regression.encoded_len().unwrap()];
    regression.encode(&mut bytes).unwrap();
    let view = ModelView::from_bytes(&bytes).unwrap();
    let Task::Regression { mean, std } = view.task() else {
        panic!("not a regression model")
    };
    assert_eq!(mean.iter().collect::<Vec<_>>(), [10.0, -1.0]);
    assert_eq!(std.iter().collect::<Vec<_>>(), [2.0, 0.5]);
    assert_eq!(view.classes().collect::<Vec<_>>(), ["speed", "torque"]);
    let mut y = [1.0, 2.0];
    destandardize(&mut y, mean.iter(), std.iter());
    assert_eq!(y, [12.0, 0.0]);

    let anomaly = ModelRef {
        task: Task::Anomaly { threshold: 0.25 },
        ..base
    };
    let mut bytes = vec![0; anomaly.encoded_len().unwrap()];
    anomaly.encode(&mut bytes).unwrap();
    let view = ModelView::from_bytes(&bytes).unwrap();
    assert_eq!(view.task(), Task::Anomaly { threshold: 0.25 });
    assert_eq!(reconstruction_error(&[1.0, 2.0], &[0.0, 4.0]), 2.5);

    let bad = |m: ModelRef<'_>| m.encoded_len().unwrap_err();
    assert_eq!(
        bad(ModelRef {
            labels: "a",
            ..anomaly
        }),
        EncodeError::InvalidLabels
    );
    assert_eq!(
        bad(ModelRef {
            task: Task::Regression {
                mean: &[0.0],
                std: &[1.0]
            },
            ..base
        }),
        EncodeError::InvalidShape
    );
    assert_eq!(
        bad(ModelRef {
            task: Task::Regression {
                mean: &[0.0; 2],
                std: &[1.0, 0.0]
            },
            ..base
        }),
        EncodeError::InvalidNormalization
    );
    assert_eq!(
        bad(ModelRef {
            task: Task::Anomaly { threshold: -1.0 },
            ..base
        }),
        EncodeError::InvalidNormalization
    );
    assert_eq!(
        bad(ModelRef {
            task: Task::Anomaly {
                threshold: f32::NAN
            },
            ..base
        }),
        EncodeError::NonFinite
    );
    assert_eq!(
        bad(ModelRef {
            features: "x",
            ..base
        }),
        EncodeError::InvalidLabels
    );
}

#[test]
fn rejects_names_that_do_not_fit_the_widths() {
    let good = raw_model(&tiny_header("a\nb", 0, "no\nyes"), &TINY_DATA);
    assert!(ModelView::from_bytes(&good).is_ok());
    for (features, task, labels) in [
        ("a", 0, ""),
        ("a\n", 0, ""),
        ("", 0, "a\nb\nc"),
        ("", 1, "a\nb"),
        ("", 2, ""),
    ] {
        let bytes = raw_model(&tiny_header(features, task, labels), &TINY_DATA);
        let data_ok = task != 1; // a regression model also needs the targets' standardization
        if data_ok {
            assert_eq!(
                ModelView::from_bytes(&bytes).unwrap_err(),
                DecodeError::Malformed,
                "{features:?} {task} {labels:?}"
            );
        }
    }
    // An anomaly model whose output is narrower than its input cannot reconstruct it.
    assert_eq!(
        ModelView::from_bytes(&raw_model(&tiny_header("", 2, ""), &TINY_DATA)).unwrap_err(),
        DecodeError::Malformed
    );
    // An unknown task.
    assert_eq!(
        ModelView::from_bytes(&raw_model(&tiny_header("", 3, ""), &TINY_DATA)).unwrap_err(),
        DecodeError::Malformed
    );
}

#[test]
fn rejects_layers_of_an_unknown_weight_type() {
    let header = postcard::to_allocvec(&(
        2u16,
        "",
        vec![(1u16, Activation::Sigmoid, "o", 9u8)],
        0u8,
        "",
        0.0f32,
    ))
    .unwrap();
    assert_eq!(
        ModelView::from_bytes(&raw_model(&header, &TINY_DATA)).unwrap_err(),
        DecodeError::UnsupportedLayer { dtype: 9 }
    );
}

#[test]
fn rejects_padding_that_is_not_canonical() {
    let mut bytes = tiny();
    bytes[19] = 1; // one padding byte claimed where none belongs
    reseal(&mut bytes);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::Malformed
    );
}

#[test]
fn refuses_version_1_files_saying_they_are_older() {
    let mut bytes = tiny();
    bytes[4] = 1;
    reseal(&mut bytes);
    let err = ModelView::from_bytes(&bytes).unwrap_err();
    assert_eq!(err, DecodeError::UnsupportedVersion { found: 1 });
    assert!(err.to_string().contains("older"), "{err}");
}

#[test]
fn round_trip_keeps_every_field() {
    let bytes = seed_like("female\nmale");
    let view = ModelView::from_bytes(&bytes).unwrap();
    assert_eq!(view.input(), 3);
    assert_eq!(view.architecture().to_string(), "3-4-2 relu/softmax");
    assert_eq!(view.architecture().param_count(), 26);
    assert_eq!(view.classes().collect::<Vec<_>>(), ["female", "male"]);
    let layers: Vec<_> = view.layers().collect();
    assert_eq!(layers[0].name(), "Dense1");
    assert_eq!(layers[0].kernel.iter().collect::<Vec<_>>(), K1);
    assert_eq!(layers[1].bias.iter().collect::<Vec<_>>(), [0.1, -0.1]);
    assert_eq!(view.len(), bytes.len());
    assert_eq!(view.crc(), crc32(&bytes[..bytes.len() - 4]));
}

#[test]
fn rejects_empty_and_blank_regions() {
    assert_eq!(ModelView::from_bytes(&[]).unwrap_err(), DecodeError::Empty);
    assert_eq!(
        ModelView::from_prefix(&[0xFF; 64]).unwrap_err(),
        DecodeError::Empty
    );
    assert_eq!(
        ModelView::from_prefix(&[0; 64]).unwrap_err(),
        DecodeError::Empty
    );
}

#[test]
fn rejects_model_with_wrong_magic() {
    let mut bytes = seed_like("");
    bytes[0] = b'X';
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::WrongMagic
    );
}

#[test]
fn rejects_model_with_unknown_version() {
    let mut bytes = seed_like("");
    bytes[4] = 7;
    reseal(&mut bytes);
    let err = ModelView::from_bytes(&bytes).unwrap_err();
    assert_eq!(err, DecodeError::UnsupportedVersion { found: 7 });
}

#[test]
fn rejects_truncated_model_at_every_length() {
    let bytes = seed_like("female\nmale");
    for n in 1..bytes.len() {
        let err = ModelView::from_bytes(&bytes[..n]).unwrap_err();
        assert_eq!(err, DecodeError::Truncated, "truncated to {n} bytes");
    }
}

#[test]
fn rejects_trailing_bytes_but_prefix_reads_them() {
    let mut bytes = seed_like("");
    let len = bytes.len();
    bytes.extend_from_slice(&[0xFF; 16]);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::TrailingBytes
    );
    assert_eq!(ModelView::from_prefix(&bytes).unwrap().len(), len);
}

#[test]
fn rejects_model_with_wrong_crc() {
    let mut bytes = seed_like("");
    let n = bytes.len();
    bytes[n - 10] ^= 0x01; // a bit of the last bias
    assert!(matches!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::CrcMismatch { .. }
    ));
}

#[test]
fn rejects_non_finite_weights() {
    let mut bytes = seed_like("");
    let n = bytes.len();
    bytes[n - 8..n - 4].copy_from_slice(&f32::NAN.to_le_bytes()); // the last bias
    reseal(&mut bytes);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::NonFinite
    );
}

#[test]
fn rejects_inconsistent_shapes() {
    // Input width 0, with a data section sized for it.
    let header = postcard::to_allocvec(&(
        0u16,
        "",
        vec![(1u16, Activation::Sigmoid, "o", 0u8)],
        0u8,
        "",
        0.0f32,
    ))
    .unwrap();
    assert_eq!(
        ModelView::from_bytes(&raw_model(&header, &[0.5])).unwrap_err(),
        DecodeError::Malformed
    );
    // A layer of 0 units.
    let header = postcard::to_allocvec(&(
        2u16,
        "",
        vec![(0u16, Activation::Sigmoid, "o", 0u8)],
        0u8,
        "",
        0.0f32,
    ))
    .unwrap();
    assert_eq!(
        ModelView::from_bytes(&raw_model(&header, &[0.0, 1.0, 1.0, 2.0])).unwrap_err(),
        DecodeError::Malformed
    );
    // Input width 3 where the data is sized for 2: the data section ends early.
    let mut bytes = tiny();
    bytes[5] = 3;
    reseal(&mut bytes);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::Truncated
    );
}

#[test]
fn rejects_zero_std() {
    let mut bytes = tiny();
    bytes[32..36].copy_from_slice(&0.0f32.to_le_bytes()); // std[1]
    reseal(&mut bytes);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::InvalidNormalization
    );
}

#[test]
fn encoder_refuses_what_the_decoder_would() {
    let nan = [f32::NAN, 0.0];
    let spec = LayerSpec {
        units: 1,
        activation: Activation::Linear,
        name: "o",
    };
    let good = [LayerRef {
        spec,
        kernel: &[1.0, 2.0],
        bias: &[0.0],
    }];
    let model = ModelRef {
        input: 2,
        labels: "",
        mean: &[0.0; 2],
        std: &[1.0; 2],
        layers: &good,
        ..ModelRef::default()
    };
    assert_eq!(
        ModelRef {
            mean: &nan,
            ..model
        }
        .encoded_len(),
        Err(EncodeError::NonFinite)
    );
    assert_eq!(
        ModelRef { input: 3, ..model }.encoded_len(),
        Err(EncodeError::InvalidShape)
    );
    assert_eq!(
        ModelRef {
            std: &[1.0, 0.0],
            ..model
        }
        .encoded_len(),
        Err(EncodeError::InvalidNormalization)
    );
    assert_eq!(
        ModelRef {
            labels: "a\nb\nc",
            ..model
        }
        .encoded_len(),
        Err(EncodeError::InvalidLabels)
    );
    assert!(ModelRef {
        labels: "no\nyes",
        ..model
    }
    .encoded_len()
    .is_ok());
    let mut small = [0u8; 8];
    assert_eq!(model.encode(&mut small), Err(EncodeError::BufferTooSmall));
}

type Seed = Network<3, Chain<3, 4, Relu, Dense<4, 2, Softmax>>>;

fn seed_net() -> Seed {
    Network::new(Chain::new(Dense::zeroed(), Dense::zeroed()))
}

#[test]
fn typed_network_loads_and_matches_the_slice_kernel() {
    let bytes = seed_like("");
    let mut net = seed_net();
    net.load_bytes(&bytes).unwrap();
    let x = [0.3f32, -1.2, 2.0];
    let mut h = [0.0f32; 4];
    crate::kernel::dense(&x, &K1, &[0.01, 0.02, 0.03, 0.04], Activation::Relu, &mut h);
    let mut p = [0.0f32; 2];
    crate::kernel::dense(&h, &K2, &[0.1, -0.1], Activation::Softmax, &mut p);
    assert_eq!(net.predict(&x).map(f32::to_bits), p.map(f32::to_bits));
}

#[test]
fn rejects_architecture_that_differs_from_the_type() {
    let bytes = seed_like("");
    let mut other: Network<3, Chain<3, 4, Relu, Dense<4, 3, Softmax>>> =
        Network::new(Chain::new(Dense::zeroed(), Dense::zeroed()));
    assert_eq!(
        other.load_bytes(&bytes),
        Err(DecodeError::ArchitectureMismatch)
    );
    let mut wrong_activation: Network<3, Chain<3, 4, Tanh, Dense<4, 2, Softmax>>> =
        Network::new(Chain::new(Dense::zeroed(), Dense::zeroed()));
    assert_eq!(
        wrong_activation.load_bytes(&bytes),
        Err(DecodeError::ArchitectureMismatch)
    );
    type Deeper = Network<3, Chain<3, 4, Relu, Chain<4, 2, Softmax, Dense<2, 2, Linear>>>>;
    let mut deeper: Deeper = Network::new(Chain::new(
        Dense::zeroed(),
        Chain::new(Dense::zeroed(), Dense::zeroed()),
    ));
    assert_eq!(
        deeper.load_bytes(&bytes),
        Err(DecodeError::ArchitectureMismatch)
    );
    assert_eq!(
        deeper,
        Network::new(Chain::new(
            Dense::zeroed(),
            Chain::new(Dense::zeroed(), Dense::zeroed()),
        )),
        "a refused model leaves the network unchanged"
    );
}

#[test]
fn standardization_is_applied_when_not_identity() {
    let bytes = tiny();
    let mut net: Network<2, Dense<2, 1, Sigmoid>> = Network::new(Dense::zeroed());
    net.load_bytes(&bytes).unwrap();
    // x = (3, 5) → standardized (3, 2) → 3 - 4 + 0.5 = -0.5
    let expected = 1.0 / (1.0 + libm::expf(0.5));
    assert_eq!(net.predict(&[3.0, 5.0])[0], expected);
}

#[test]
fn labels_must_be_one_non_empty_name_per_output() {
    assert!(labels_fit(b"", 3));
    assert!(labels_fit(b"a\nb\nc", 3));
    assert!(
        labels_fit(b"no\nyes", 1),
        "a single sigmoid output names two classes"
    );
    assert!(!labels_fit(b"a\nb", 3));
    assert!(!labels_fit(b"a\n\nc", 3));
    assert!(!labels_fit(b"\nb\nc", 3));
    assert!(!labels_fit(b"a\nb\n", 3));
    assert!(!labels_fit(b"\n", 1));
}

mod reconstruction {
    use super::super::{reconstruction_error, Reconstruction};
    use crate::kernel;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn any_floats(n: usize) -> impl Strategy<Value = Vec<f32>> {
        vec(-1e6f32..1e6, n)
    }

    proptest! {
        /// The device's verdict (standardizing one value at a time, no copy of the input) has
        /// the bits of the host's two steps: `kernel::standardize`, then `reconstruction_error`.
        #[test]
        fn the_one_pass_error_has_the_bits_of_standardize_then_error(
            (x, mean, std, y) in (1usize..40).prop_flat_map(|n| (
                any_floats(n),
                any_floats(n),
                vec(1e-3f32..1e3, n),
                any_floats(n),
            )),
            threshold in 0f32..1e12,
        ) {
            let mut standardized = x.clone();
            kernel::standardize(&mut standardized, &mean, &std);
            let two_steps = reconstruction_error(&standardized, &y);
            let r = Reconstruction::of(&x, &mean, &std, &y, threshold);
            prop_assert_eq!(r.error.to_bits(), two_steps.to_bits());
            prop_assert_eq!(r.anomalous, two_steps > threshold);
        }
    }

    #[test]
    fn an_error_that_is_not_a_number_is_anomalous() {
        let r = Reconstruction::of(&[1.0], &[0.0], &[1.0], &[f32::NAN], 1e30);
        assert!(r.error.is_nan() && r.anomalous);
        let r = Reconstruction::of(&[1.0], &[0.0], &[1.0], &[1.0], 0.0);
        assert_eq!((r.error, r.anomalous), (0.0, false));
    }
}

/// A one-layer model whose layer has `activation`.
fn one_layer(activation: Activation) -> Vec<u8> {
    let layers = [LayerRef {
        spec: LayerSpec {
            units: 1,
            activation,
            name: "o",
        },
        kernel: &[1.0, -2.0],
        bias: &[0.5],
    }];
    let model = ModelRef {
        input: 2,
        mean: &[0.0, 1.0],
        std: &[1.0, 2.0],
        layers: &layers,
        task: Task::Regression {
            mean: &[0.0],
            std: &[1.0],
        },
        ..ModelRef::default()
    };
    let mut bytes = vec![0; model.encoded_len().unwrap()];
    model.encode(&mut bytes).unwrap();
    bytes
}

/// Offset of the one layer's activation index in [`one_layer`]'s bytes: magic, version,
/// input, features, layer count, units.
const ACTIVATION_AT: usize = 9;

#[test]
fn files_are_written_in_the_oldest_version_that_holds_them() {
    for activation in Activation::ALL {
        let bytes = one_layer(activation);
        let want = if activation.is_v2() { 2 } else { 3 };
        assert_eq!(bytes[4], want, "{activation}");
        assert_eq!(bytes[ACTIVATION_AT] as usize, activation as usize);
        let view = ModelView::from_bytes(&bytes).unwrap();
        let layer = view.layers().next().unwrap();
        assert_eq!(layer.activation, activation);
        assert_eq!(layer.kernel.iter().collect::<Vec<_>>(), [1.0, -2.0]);
        assert_eq!(version_of(activation), u16::from(want));
    }
}

#[test]
fn a_version_3_model_round_trips() {
    let layers = [
        LayerRef {
            spec: LayerSpec {
                units: 4,
                activation: Activation::Gelu,
                name: "Dense1",
            },
            kernel: &K1,
            bias: &[0.01, 0.02, 0.03, 0.04],
        },
        LayerRef {
            spec: LayerSpec {
                units: 2,
                activation: Activation::Softmax,
                name: "Dense2",
            },
            kernel: &K2,
            bias: &[0.1, -0.1],
        },
    ];
    let model = ModelRef {
        input: 3,
        labels: "a\nb",
        mean: &[0.0; 3],
        std: &[1.0; 3],
        layers: &layers,
        ..ModelRef::default()
    };
    assert_eq!(model.version(), 3);
    let mut bytes = vec![0; model.encoded_len().unwrap()];
    model.encode(&mut bytes).unwrap();
    assert_eq!(bytes[4], 3);
    let view = ModelView::from_bytes(&bytes).unwrap();
    assert_eq!(view.architecture().to_string(), "3-4-2 gelu/softmax");
    let read: Vec<_> = view.layers().collect();
    assert_eq!(read[0].kernel.iter().collect::<Vec<_>>(), K1);
    assert_eq!(read[1].bias.iter().collect::<Vec<_>>(), [0.1, -0.1]);
    // The same file as the version 2 one of the relu model, but for the version and the index.
    let mut relu = layers;
    relu[0].spec.activation = Activation::Relu;
    let v2 = ModelRef {
        layers: &relu,
        ..model
    };
    let mut old = vec![0; v2.encoded_len().unwrap()];
    v2.encode(&mut old).unwrap();
    let differ: Vec<usize> = (0..bytes.len() - 4)
        .filter(|&i| bytes[i] != old[i])
        .collect();
    assert_eq!(differ, [4, ACTIVATION_AT]);
}

#[test]
fn a_version_2_file_still_reads() {
    // Written by the version 2 writer, before version 3 existed.
    let bytes = include_bytes!("../../../firmware/models/seed.postcard");
    assert_eq!(bytes[4], 2);
    let view = ModelView::from_bytes(bytes).unwrap();
    assert_eq!(view.architecture().to_string(), "3-4-2 relu/softmax");
}

#[test]
fn a_version_2_header_over_a_new_activation_is_malformed() {
    for activation in Activation::ALL.into_iter().filter(|a| !a.is_v2()) {
        let mut bytes = one_layer(activation);
        bytes[4] = 2;
        reseal(&mut bytes);
        assert_eq!(
            ModelView::from_bytes(&bytes).unwrap_err(),
            DecodeError::Malformed,
            "{activation}"
        );
    }
}

#[test]
fn an_unknown_activation_index_is_malformed() {
    let mut bytes = one_layer(Activation::Exponential);
    assert_eq!(bytes[ACTIVATION_AT], 15);
    bytes[ACTIVATION_AT] = Activation::ALL.len() as u8;
    reseal(&mut bytes);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::Malformed
    );
}

#[test]
fn a_newer_version_says_update() {
    let mut bytes = one_layer(Activation::Silu);
    bytes[4] = 4;
    reseal(&mut bytes);
    let err = ModelView::from_bytes(&bytes).unwrap_err();
    assert_eq!(err, DecodeError::UnsupportedVersion { found: 4 });
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(err.to_string().contains("update Dendrite"), "{err}");
}

#[test]
fn int8_layers_take_relu6_and_refuse_the_other_new_activations() {
    assert_eq!(
        int8::words(2, 3, Activation::Relu6),
        int8::words(2, 3, Activation::Relu)
    );
    for activation in Activation::ALL.into_iter().filter(|a| !a.is_v2()) {
        let words = int8::words(2, 3, activation);
        assert_eq!(
            words.is_some(),
            activation == Activation::Relu6,
            "{activation}"
        );
    }
}
