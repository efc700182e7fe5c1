//! Property tests of the model file: decoding never panics, whatever the bytes, and
//! encoding then decoding gives back every field.

use dendrite_core::format::{DecodeError, LayerRef, LayerSpec, ModelRef, ModelView, Task};
use dendrite_core::Activation;
use proptest::prelude::*;

/// One owned layer: units, activation, name, kernel, bias.
type OwnedLayer = (u16, Activation, String, Vec<f32>, Vec<f32>);

/// An owned model to borrow a [`ModelRef`] from.
#[derive(Debug, Clone)]
struct Owned {
    input: u16,
    features: String,
    labels: String,
    /// 0 classification, 1 regression (with the targets' mean and std), 2 anomaly.
    task: u8,
    target_mean: Vec<f32>,
    target_std: Vec<f32>,
    mean: Vec<f32>,
    std: Vec<f32>,
    layers: Vec<OwnedLayer>,
}

impl Owned {
    fn encode(&self) -> Vec<u8> {
        let layers: Vec<LayerRef> = self
            .layers
            .iter()
            .map(|(units, activation, name, kernel, bias)| LayerRef {
                spec: LayerSpec {
                    units: *units,
                    activation: *activation,
                    name,
                },
                kernel,
                bias,
            })
            .collect();
        let task = match self.task {
            1 => Task::Regression {
                mean: &self.target_mean[..],
                std: &self.target_std[..],
            },
            2 => Task::Anomaly { threshold: 0.5 },
            _ => Task::Classification,
        };
        let model = ModelRef {
            input: self.input,
            features: &self.features,
            labels: &self.labels,
            task,
            mean: &self.mean,
            std: &self.std,
            layers: &layers,
            int8: &[],
        };
        let mut bytes = vec![0; model.encoded_len().expect("valid model")];
        model
            .encode(&mut bytes)
            .expect("buffer sized by encoded_len");
        bytes
    }
}

fn model() -> impl Strategy<Value = Owned> {
    let shapes = prop::collection::vec(
        (
            1u16..=6,
            prop::sample::select(Activation::ALL.to_vec()),
            "[A-Za-z0-9_]{0,12}",
        ),
        1..=8,
    );
    (1u16..=6, shapes, any::<bool>(), 0u8..2).prop_flat_map(|(input, shapes, named, task)| {
        let mut fan_in = input;
        let layers: Vec<_> = shapes
            .into_iter()
            .map(|(units, act, name)| {
                let n = usize::from(units) * usize::from(fan_in);
                fan_in = units;
                (
                    prop::collection::vec(-10.0f32..10.0, n),
                    prop::collection::vec(-1.0f32..1.0, usize::from(units)),
                )
                    .prop_map(move |(k, b)| (units, act, name.clone(), k, b))
            })
            .collect();
        let output = fan_in;
        let labels = if named {
            (0..output)
                .map(|i| format!("class{i}"))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            String::new()
        };
        let features = if named {
            (0..input)
                .map(|i| format!("x{i}"))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            String::new()
        };
        // An anomaly model reconstructs its input: only when the widths allow it.
        let task = if output == input && !named { 2 } else { task };
        let n = usize::from(input);
        let targets = if task == 1 { usize::from(output) } else { 0 };
        (
            layers,
            prop::collection::vec(-5.0f32..5.0, n),
            prop::collection::vec(0.01f32..5.0, n),
            prop::collection::vec(-5.0f32..5.0, targets),
            prop::collection::vec(0.01f32..5.0, targets),
        )
            .prop_map(move |(layers, mean, std, target_mean, target_std)| Owned {
                input,
                features: features.clone(),
                labels: if task == 2 {
                    String::new()
                } else {
                    labels.clone()
                },
                task,
                target_mean,
                target_std,
                mean,
                std,
                layers,
            })
    })
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = ModelView::from_bytes(&bytes);
        let _ = ModelView::from_prefix(&bytes);
    }

    #[test]
    fn decoding_a_damaged_model_never_panics_nor_accepts_it(
        m in model(), at in any::<prop::sample::Index>(), flip in 1u8..=255,
    ) {
        let mut bytes = m.encode();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        // A CRC-32 detects every burst of up to 32 bits: one damaged byte is always refused.
        prop_assert!(ModelView::from_bytes(&bytes).is_err());
    }

    #[test]
    fn encode_then_decode_is_the_identity(m in model()) {
        let bytes = m.encode();
        let view = ModelView::from_bytes(&bytes).map_err(|e: DecodeError| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(view.input(), m.input);
        prop_assert_eq!(view.labels(), m.labels.as_str());
        prop_assert_eq!(view.feature_names(), m.features.as_str());
        prop_assert_eq!(view.task().code(), m.task);
        if let Task::Regression { mean, std } = view.task() {
            prop_assert_eq!(mean.iter().collect::<Vec<_>>(), m.target_mean.clone());
            prop_assert_eq!(std.iter().collect::<Vec<_>>(), m.target_std.clone());
        }
        prop_assert_eq!(view.mean().iter().collect::<Vec<_>>(), m.mean.clone());
        prop_assert_eq!(view.std().iter().collect::<Vec<_>>(), m.std.clone());
        prop_assert_eq!(view.layers().len(), m.layers.len());
        for (got, (units, act, name, kernel, bias)) in view.layers().zip(&m.layers) {
            prop_assert_eq!(got.spec(), LayerSpec { units: *units, activation: *act, name });
            prop_assert_eq!(&got.kernel.iter().collect::<Vec<_>>(), kernel);
            prop_assert_eq!(&got.bias.iter().collect::<Vec<_>>(), bias);
        }
    }
}
