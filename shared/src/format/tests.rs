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
    let expected: [u8; 49] = [
        b'D', b'N', b'D', b'R', // magic
        1,                      // version
        2,                      // input width
        1, 1, 2, 1, b'o',       // 1 layer: 1 unit, sigmoid, name "o"
        0,                      // no labels
        8, 0, 0, 0, 0, 0, 0, 0x80, 0x3f,       // mean [0, 1]
        8, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40,    // std [1, 2]
        1, 8, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, // kernel [1, -2]
        4, 0, 0, 0, 0x3f,                      // bias [0.5]
        0, 0, 0, 0,                            // CRC-32, patched below
    ];
    let mut expected = expected;
    let crc = crc32(&expected[..45]);
    expected[45..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(tiny(), expected);
    // zlib's CRC-32 of b"123456789" is the catalogue's check value.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
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
    let mut bytes = tiny();
    bytes[5] = 3; // input width 3, but mean, std and kernel are sized for 2
    reseal(&mut bytes);
    assert_eq!(
        ModelView::from_bytes(&bytes).unwrap_err(),
        DecodeError::Malformed
    );
}

#[test]
fn rejects_zero_std() {
    let mut bytes = tiny();
    bytes[26..30].copy_from_slice(&0.0f32.to_le_bytes()); // std[1]
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
