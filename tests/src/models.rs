//! Deterministic model files and inputs, and the ways the scenarios damage model files.

use dendrite_core::format::{self, LayerRef, LayerSpec, ModelRef, Task};
use dendrite_core::Activation;

/// A xorshift32 generator: the same stream on every machine, no dependency.
#[derive(Clone, Debug)]
pub struct Xorshift(u32);

impl Xorshift {
    /// A generator from a non-zero seed (zero is replaced by a fixed constant).
    pub fn new(seed: u32) -> Self {
        Self(if seed == 0 { 0x2545_f491 } else { seed })
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// A value uniform in `[low, high)`, on a grid of 1/100,000 of the range.
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        let unit = (self.next_u32() % 100_000) as f32 / 100_000.0;
        low + (high - low) * unit
    }
}

/// `n` random inputs of `width` values in `[-200, 200)`: far outside the training data as well
/// as inside it, so that every activation regime (and softmax saturation) is exercised.
pub fn random_inputs(n: usize, width: usize, seed: u32) -> Vec<Vec<f32>> {
    let mut rng = Xorshift::new(seed);
    (0..n)
        .map(|_| (0..width).map(|_| rng.uniform(-200.0, 200.0)).collect())
        .collect()
}

/// A valid model file of the given architecture with weights drawn from `seed` (uniform in
/// [-1, 1)), standardization mean 0.5 and std 2 on every input, no labels.
///
/// # Panics
/// When the architecture cannot be encoded (more layers than the format holds).
pub fn synthetic(input: u16, layers: &[(u16, Activation)], seed: u32) -> Vec<u8> {
    synthetic_for(input, layers, seed, Task::Classification)
}

/// As [`synthetic`], for `task` (a regression model's targets' standardization, an anomaly
/// threshold).
///
/// # Panics
/// As [`synthetic`]; when the task does not fit the architecture.
pub fn synthetic_for(
    input: u16,
    layers: &[(u16, Activation)],
    seed: u32,
    task: Task<&[f32]>,
) -> Vec<u8> {
    let mut rng = Xorshift::new(seed);
    let mut fan_in = usize::from(input);
    let arrays: Vec<(Vec<f32>, Vec<f32>)> = layers
        .iter()
        .map(|&(units, _)| {
            let n = usize::from(units);
            let kernel = (0..n * fan_in).map(|_| rng.uniform(-1.0, 1.0)).collect();
            fan_in = n;
            (kernel, (0..n).map(|_| rng.uniform(-0.1, 0.1)).collect())
        })
        .collect();
    let refs: Vec<LayerRef> = layers
        .iter()
        .zip(&arrays)
        .map(|(&(units, activation), (kernel, bias))| LayerRef {
            spec: LayerSpec {
                units,
                activation,
                name: "dense",
            },
            kernel,
            bias,
        })
        .collect();
    let n = usize::from(input);
    let (mean, std) = (vec![0.5; n], vec![2.0; n]);
    let model = ModelRef {
        input,
        labels: "",
        mean: &mean,
        std: &std,
        layers: &refs,
        task,
        ..ModelRef::default()
    };
    let len = model.encoded_len().expect("an encodable architecture");
    let mut bytes = vec![0; len];
    model.encode(&mut bytes).expect("a buffer of encoded_len");
    bytes
}

/// `model` with one weight byte flipped: the stored CRC-32 no longer matches.
pub fn corrupted(model: &[u8]) -> Vec<u8> {
    let mut bytes = model.to_vec();
    let at = bytes.len() - 8; // inside the last layer's bias, before the CRC trailer
    bytes[at] ^= 0x40;
    bytes
}

/// `model` declaring format `version` (a one-byte varint, so below 128), with its CRC-32
/// recomputed: only the version is wrong.
pub fn with_version(model: &[u8], version: u8) -> Vec<u8> {
    assert!(version < 128, "a one-byte varint");
    let mut bytes = model.to_vec();
    // Magic `DNDR`, then the version as a postcard varint.
    bytes[4] = version;
    let body = bytes.len() - 4;
    let crc = format::crc32(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    bytes
}
