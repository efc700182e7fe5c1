//! Activation functions, applied in place to a layer's outputs.
//!
//! Every transcendental goes through `libm`, never `f32::exp` and friends: std's versions differ
//! between platforms by an ulp now and then, `libm` gives the same bits on the host and on the
//! Cortex-M target.

use act::Act as _;
use serde::{Deserialize, Serialize};

/// The activation that follows a dense layer, with Keras' names.
///
/// On the wire (model file, serial protocol) it is postcard's enum index, so the order of the
/// variants is part of the format and must never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// `y = z`.
    Linear,
    /// `y = max(z, 0)`.
    Relu,
    /// `y = 1 / (1 + exp(-z))`.
    Sigmoid,
    /// `y = tanh(z)`.
    Tanh,
    /// `y_i = exp(z_i - max z) / Σ_j exp(z_j - max z)`, over the whole layer.
    Softmax,
    /// `y = min(max(z, 0), 6)`.
    Relu6,
    /// `y = z` for `z > 0`, else `0.2 z` (Keras' `leaky_relu` with its default slope).
    LeakyRelu,
    /// `y = z` for `z >= 0`, else `exp(z) - 1` (Keras' `elu` with `alpha = 1`).
    Elu,
    /// `y = λ z` for `z >= 0`, else `λ α (exp(z) - 1)`, with `λ ≈ 1.0507` and `α ≈ 1.6733`.
    Selu,
    /// `y = ln(1 + exp(z))`.
    Softplus,
    /// `y = z / (1 + |z|)`.
    Softsign,
    /// `y = z sigmoid(z)`, which Keras also calls `swish`.
    Silu,
    /// `y = z Φ(z) = z erfc(-z / √2) / 2`, the exact form (Keras' `gelu`, `approximate=False`).
    Gelu,
    /// `y = relu6(z + 3) / 6`.
    HardSigmoid,
    /// `y = z relu6(z + 3) / 6`, which Keras also calls `hard_swish`.
    HardSilu,
    /// `y = exp(z)`.
    Exponential,
}

impl Activation {
    /// Every activation, in wire order.
    pub const ALL: [Activation; 16] = [
        Activation::Linear,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
        Activation::Relu6,
        Activation::LeakyRelu,
        Activation::Elu,
        Activation::Selu,
        Activation::Softplus,
        Activation::Softsign,
        Activation::Silu,
        Activation::Gelu,
        Activation::HardSigmoid,
        Activation::HardSilu,
        Activation::Exponential,
    ];

    /// Keras' name for the activation (`"relu"`, `"softmax"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::Relu6 => "relu6",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Elu => "elu",
            Activation::Selu => "selu",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Silu => "silu",
            Activation::Gelu => "gelu",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::HardSilu => "hard_silu",
            Activation::Exponential => "exponential",
        }
    }

    /// The activation Keras calls `name`, if there is one: its [`name`](Self::name), or one of
    /// Keras' aliases (`"swish"` for silu, `"hard_swish"` for hard_silu).
    ///
    /// ```
    /// use dendrite_core::Activation;
    /// assert_eq!(Activation::from_name("relu"), Some(Activation::Relu));
    /// assert_eq!(Activation::from_name("swish"), Some(Activation::Silu));
    /// assert_eq!(Activation::from_name("mish"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "swish" => Some(Activation::Silu),
            "hard_swish" => Some(Activation::HardSilu),
            _ => Self::ALL.into_iter().find(|a| a.name() == name),
        }
    }

    /// Whether the activation is one of the five the model file format version 2 knows
    /// (linear, relu, sigmoid, tanh, softmax); the others need version 3.
    pub const fn is_v2(self) -> bool {
        matches!(
            self,
            Activation::Linear
                | Activation::Relu
                | Activation::Sigmoid
                | Activation::Tanh
                | Activation::Softmax
        )
    }

    /// Applies the activation to a layer's pre-activations `z`, in place.
    ///
    /// Runs exactly the code of the matching [`act`] marker type, so a host that picks the
    /// activation at run time computes the bits the target's typed layers compute.
    #[inline(always)]
    pub fn apply(self, z: &mut [f32]) {
        match self {
            Activation::Linear => act::Linear::apply(z),
            Activation::Relu => act::Relu::apply(z),
            Activation::Sigmoid => act::Sigmoid::apply(z),
            Activation::Tanh => act::Tanh::apply(z),
            Activation::Softmax => act::Softmax::apply(z),
            Activation::Relu6 => act::Relu6::apply(z),
            Activation::LeakyRelu => act::LeakyRelu::apply(z),
            Activation::Elu => act::Elu::apply(z),
            Activation::Selu => act::Selu::apply(z),
            Activation::Softplus => act::Softplus::apply(z),
            Activation::Softsign => act::Softsign::apply(z),
            Activation::Silu => act::Silu::apply(z),
            Activation::Gelu => act::Gelu::apply(z),
            Activation::HardSigmoid => act::HardSigmoid::apply(z),
            Activation::HardSilu => act::HardSilu::apply(z),
            Activation::Exponential => act::Exponential::apply(z),
        }
    }
}

impl core::fmt::Display for Activation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Activations known at compile time: zero-sized marker types for the target's typed layers
/// ([`Dense<IN, OUT, A>`](crate::Dense)), so a network links only the activations it uses (no
/// `tanhf` in a relu/softmax firmware) and its forward pass has no branch on the activation.
pub mod act {
    use super::Activation;

    /// An activation as a type. [`Activation::apply`] dispatches to these implementations.
    ///
    /// An activation is two steps: [`unit`](Act::unit) on each unit's pre-activation, which a
    /// layer applies as it computes the unit (relu, sigmoid, tanh: the whole activation), then
    /// [`layer`](Act::layer) on the whole layer (softmax: the whole activation). Applying each
    /// unit as it comes spares a second pass over the layer; the bits are those of
    /// [`apply`](Act::apply), which runs the two steps one after the other.
    pub trait Act {
        /// The run-time name of this activation (model files, the protocol).
        const ACTIVATION: Activation;

        /// The part of the activation that acts on one unit alone.
        fn unit(z: f32) -> f32;

        /// The part of the activation that acts on the whole layer, after [`unit`](Act::unit)
        /// on each of its units.
        fn layer(z: &mut [f32]);

        /// Applies the activation to a layer's pre-activations `z`, in place.
        #[inline(always)]
        fn apply(z: &mut [f32]) {
            z.iter_mut().for_each(|v| *v = Self::unit(*v));
            Self::layer(z);
        }
    }

    macro_rules! marker {
        ($(#[$doc:meta] $name:ident => |$u:ident| $unit:expr, |$z:ident| $layer:expr;)*) => {$(
            #[$doc]
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct $name;

            impl Act for $name {
                const ACTIVATION: Activation = Activation::$name;

                #[inline(always)]
                fn unit($u: f32) -> f32 {
                    $unit
                }

                #[inline(always)]
                fn layer($z: &mut [f32]) {
                    $layer
                }
            }
        )*};
    }

    marker! {
        /// `y = z`.
        Linear => |z| z, |_z| {};
        /// `y = max(z, 0)`.
        Relu => |z| super::relu(z), |_z| {};
        /// `y = 1 / (1 + exp(-z))`.
        Sigmoid => |z| super::sigmoid(z), |_z| {};
        /// `y = tanh(z)`.
        Tanh => |z| libm::tanhf(z), |_z| {};
        /// `y_i = exp(z_i - max z) / Σ_j exp(z_j - max z)`.
        Softmax => |z| z, |z| super::softmax(z);
        /// `y = min(max(z, 0), 6)`.
        Relu6 => |z| super::relu6(z), |_z| {};
        /// `y = z` for `z > 0`, else `0.2 z`.
        LeakyRelu => |z| super::leaky_relu(z), |_z| {};
        /// `y = z` for `z >= 0`, else `exp(z) - 1`.
        Elu => |z| super::elu(z), |_z| {};
        /// `y = λ z` for `z >= 0`, else `λ α (exp(z) - 1)`.
        Selu => |z| super::selu(z), |_z| {};
        /// `y = ln(1 + exp(z))`.
        Softplus => |z| super::softplus(z), |_z| {};
        /// `y = z / (1 + |z|)`.
        Softsign => |z| z / (1.0 + libm::fabsf(z)), |_z| {};
        /// `y = z sigmoid(z)`.
        Silu => |z| z * super::sigmoid(z), |_z| {};
        /// `y = z erfc(-z / √2) / 2`.
        Gelu => |z| super::gelu(z), |_z| {};
        /// `y = relu6(z + 3) / 6`.
        HardSigmoid => |z| super::hard_sigmoid(z), |_z| {};
        /// `y = z relu6(z + 3) / 6`.
        HardSilu => |z| z * super::hard_sigmoid(z), |_z| {};
        /// `y = exp(z)`.
        Exponential => |z| libm::expf(z), |_z| {};
    }
}

/// `max(z, 0)`, computed on the bits: a negative number (sign bit set, `-0.0` included) becomes
/// `+0.0`, anything else is kept. Three instructions on a Cortex-M4F (move to a core register,
/// clear on the sign, move back) where a comparison takes five; `f32::max` would even be a call
/// to `fmaxf` on ARMv7-M, which has no `vmaxnm`. Equal to `if z > 0.0 { z } else { 0.0 }` for
/// every number; a NaN keeps its bits (so a poisoned input stays visible).
#[inline(always)]
fn relu(z: f32) -> f32 {
    let bits = z.to_bits();
    // All ones when the sign bit is set, else zero.
    let negative = ((bits as i32) >> 31) as u32;
    f32::from_bits(bits & !negative)
}

#[inline(always)]
fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-z))
}

/// `min(max(z, 0), 6)`, as TensorFlow's `relu6`; a NaN keeps its bits, as in [`relu`].
#[inline(always)]
fn relu6(z: f32) -> f32 {
    let r = relu(z);
    if r > 6.0 {
        6.0
    } else {
        r
    }
}

/// Keras' `leaky_relu` slope, its default `negative_slope`.
pub const LEAKY_RELU_SLOPE: f32 = 0.2;

#[inline(always)]
fn leaky_relu(z: f32) -> f32 {
    if z > 0.0 {
        z
    } else {
        LEAKY_RELU_SLOPE * z
    }
}

/// `exp(z) - 1` below 0, through `expm1f`: exact to an ulp near 0, where `expf(z) - 1` loses
/// the low bits (TensorFlow's kernel computes `exp(z) - 1`; the two agree within its float noise).
#[inline(always)]
fn elu(z: f32) -> f32 {
    if z < 0.0 {
        libm::expm1f(z)
    } else {
        z
    }
}

/// SELU's `λ`, TensorFlow's `scale` rounded to f32.
pub const SELU_SCALE: f32 = 1.050_701;
/// SELU's `λ α`, TensorFlow's `scale_alpha` rounded to f32 (one rounding, not two).
pub const SELU_SCALE_ALPHA: f32 = 1.758_099_3;

#[inline(always)]
fn selu(z: f32) -> f32 {
    if z < 0.0 {
        SELU_SCALE_ALPHA * libm::expm1f(z)
    } else {
        SELU_SCALE * z
    }
}

/// Past this magnitude softplus is `z` (above) or `exp(z)` (below) within f32's epsilon:
/// TensorFlow's threshold, `-(ln(f32::EPSILON) + 2)`.
const SOFTPLUS_THRESHOLD: f32 = 13.942_385;

/// `ln(1 + exp(z))` with TensorFlow's three branches: `z` above the threshold (no overflow of
/// `exp`), `exp(z)` below its negative (where `log1p` would only round), `log1p(exp(z))` between.
#[inline(always)]
fn softplus(z: f32) -> f32 {
    if z > SOFTPLUS_THRESHOLD {
        z
    } else if z < -SOFTPLUS_THRESHOLD {
        libm::expf(z)
    } else {
        libm::log1pf(libm::expf(z))
    }
}

/// `z Φ(z)` as TensorFlow writes it: `0.5 z erfc(-z / √2)` (erfc keeps the far negative tail's
/// small values where `1 + erf` would cancel to 0).
#[inline(always)]
fn gelu(z: f32) -> f32 {
    0.5 * z * libm::erfcf(-z * core::f32::consts::FRAC_1_SQRT_2)
}

/// `relu6(z + 3) / 6`, divided as TensorFlow divides (not multiplied by a rounded `1/6`).
#[inline(always)]
fn hard_sigmoid(z: f32) -> f32 {
    relu6(z + 3.0) / 6.0
}

/// Softmax with the maximum subtracted first, so `exp` never overflows whatever the logits.
///
/// The largest logit's term is `exp(0)`, exactly 1, so it is written as 1 rather than computed:
/// a two-class softmax costs one exponential, not two. (For an infinite largest logit the term
/// is 1, not `exp(inf - inf)`, which would be NaN.) The other terms go through [`exp_nonpositive`].
#[inline(always)]
fn softmax(z: &mut [f32]) {
    let Some((&first, rest)) = z.split_first() else {
        return;
    };
    let mut max = first;
    for &v in rest {
        if v > max {
            max = v;
        }
    }
    // -0.0, the identity of addition, lets the compiler drop the first addition: same bits.
    let mut sum = -0.0f32;
    let term = |v: &mut f32| {
        *v = if *v == max {
            1.0
        } else {
            exp_nonpositive(*v - max)
        };
        sum += *v;
    };
    // Written out where floats are instructions (an FPU, `eabihf`). On soft float an exponential
    // is a dozen calls, and a copy of it per output costs more than the loop saves (the seed on
    // the Cortex-M3: 2,386 instructions written out, 2,329 as a loop).
    if cfg!(target_abi = "eabihf") {
        each(z, term);
    } else {
        z.iter_mut().for_each(term);
    }
    each(z, |v| *v /= sum);
}

/// `f` on each element of `z`, first to last. A layer of at most 4 elements (a classifier's
/// outputs, most often) is written out element by element: straight-line code at any
/// optimization level when the width is known at compile time, where `opt-level = "s"` would
/// keep a loop.
#[inline(always)]
fn each(z: &mut [f32], mut f: impl FnMut(&mut f32)) {
    match z {
        [a] => f(a),
        [a, b] => {
            f(a);
            f(b);
        }
        [a, b, c] => {
            f(a);
            f(b);
            f(c);
        }
        [a, b, c, d] => {
            f(a);
            f(b);
            f(c);
            f(d);
        }
        _ => z.iter_mut().for_each(f),
    }
}

/// `ln 2` split in two (Cody and Waite): `LN2_HI` has 8 trailing zero bits, so `k * LN2_HI` is
/// exact for the `|k| <= 128` used here. The fdlibm constants, as in `libm::expf`.
const LN2_HI: f32 = 6.931_457_5e-1; // 0x3f31_7200
const LN2_LO: f32 = 1.428_606_8e-6; // 0x35bf_be8e
/// `1 / ln 2`.
const INV_LN2: f32 = core::f32::consts::LOG2_E;
/// `1.5 * 2^23`: adding it rounds a float of magnitude below `2^22` to an integer, which then
/// sits in the low bits of the sum.
const ROUNDER: f32 = 12_582_912.0;
/// Below this, `exp(x)` is under `2^-126`, the smallest normal float.
const EXP_MIN: f32 = -87.336_55;

/// `exp(x)` for `x <= 0`, the softmax's arguments: relative error below 7.8e-8 (under 1 ulp,
/// checked against f64 in the tests), `exp(0) = 1` exactly, and 0 below `-87.34` (where the
/// true value is a subnormal under `1.2e-38`) and for `-inf`.
///
/// No division and no table: fewer instructions on a Cortex-M4F than `libm::expf`, and none of
/// its 14-cycle division (the softmax models' cost: BENCHMARKS.md). It is part of the shared
/// kernel, so the host and the target compute the same bits. Cephes' `expf` polynomial on
/// `[-ln2/2, ln2/2]` after Cody-Waite reduction, scaled by `2^k` through a multiplication
/// (correct for any `k` in range).
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    if x < EXP_MIN {
        return 0.0;
    }
    // k = round(x / ln 2), by the rounder: the integer lands in the mantissa's low bits.
    let shifted = x * INV_LN2 + ROUNDER;
    let k = shifted.to_bits().wrapping_sub(ROUNDER.to_bits()) as i32;
    let kf = shifted - ROUNDER;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    let r2 = r * r;
    let p = ((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5; // Cephes' 5.0000001201e-1, which rounds to 0.5 in f32

    let e = p * r2 + r + 1.0;
    // 2^k for k in [-126, 127]: the biased exponent in place, an empty mantissa.
    let scale = f32::from_bits(((k + 127) as u32) << 23);
    e * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
    }

    #[test]
    fn softmax_is_stable_for_huge_logits() {
        let mut z = [1000.0f32, 999.0, -1000.0];
        Activation::Softmax.apply(&mut z);
        assert!(z.iter().all(|v| v.is_finite()));
        assert!((z.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((z[0] - 0.731_058_6).abs() < 1e-6, "{z:?}");
        assert_eq!(z[2], 0.0);
    }

    #[test]
    fn softmax_writes_exp_of_zero_as_one() {
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-0.0), 1.0);
        let mut z = [0.5f32, -1.25, 0.5, 3.0];
        Activation::Softmax.apply(&mut z);
        let e: [f32; 4] = [0.5f32, -1.25, 0.5, 3.0].map(|v| exp_nonpositive(v - 3.0));
        let sum = ((e[0] + e[1]) + e[2]) + e[3];
        assert_eq!(z, e.map(|v| v / sum));
    }

    #[test]
    fn exp_nonpositive_is_within_1_ulp_of_f64() {
        // Every 97th float from 0 down to the underflow threshold, and the threshold's neighbours.
        let mut worst = 0.0f64;
        let mut bits = 0x8000_0000u32; // -0.0
        while f32::from_bits(bits) >= EXP_MIN {
            let x = f32::from_bits(bits);
            let want = (x as f64).exp();
            let got = exp_nonpositive(x) as f64;
            worst = worst.max((got - want).abs() / want);
            bits += 97;
        }
        // Measured: 7.7e-8, two thirds of an ulp at 1.0.
        assert!(
            worst < f32::EPSILON as f64,
            "worst relative error {worst:e}"
        );
        assert_eq!(exp_nonpositive(-87.4), 0.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive(f32::NAN).is_nan());
    }

    #[test]
    fn relu_on_bits_equals_the_comparison() {
        for z in [
            -3.5f32,
            -0.0,
            0.0,
            1e-45,
            -1e-45,
            2.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ] {
            let want = if z > 0.0 { z } else { 0.0 };
            assert_eq!(relu(z).to_bits(), want.to_bits(), "relu({z})");
        }
    }

    #[test]
    fn markers_name_their_activation() {
        use act::Act;
        assert_eq!(act::Linear::ACTIVATION, Activation::Linear);
        assert_eq!(act::Relu::ACTIVATION, Activation::Relu);
        assert_eq!(act::Sigmoid::ACTIVATION, Activation::Sigmoid);
        assert_eq!(act::Tanh::ACTIVATION, Activation::Tanh);
        assert_eq!(act::Softmax::ACTIVATION, Activation::Softmax);
        assert_eq!(act::Gelu::ACTIVATION, Activation::Gelu);
        assert_eq!(act::Exponential::ACTIVATION, Activation::Exponential);
    }

    #[test]
    fn wire_order_is_fixed() {
        // The enum index is the model file's and the protocol's: appending is the only change.
        let names = Activation::ALL.map(Activation::name);
        assert_eq!(
            names,
            [
                "linear",
                "relu",
                "sigmoid",
                "tanh",
                "softmax",
                "relu6",
                "leaky_relu",
                "elu",
                "selu",
                "softplus",
                "softsign",
                "silu",
                "gelu",
                "hard_sigmoid",
                "hard_silu",
                "exponential",
            ]
        );
        for (i, a) in Activation::ALL.into_iter().enumerate() {
            assert_eq!(a as usize, i);
            assert_eq!(a.is_v2(), i < 5);
        }
    }

    #[test]
    fn keras_aliases() {
        assert_eq!(Activation::from_name("swish"), Some(Activation::Silu));
        assert_eq!(
            Activation::from_name("hard_swish"),
            Some(Activation::HardSilu)
        );
        assert_eq!(Activation::from_name("mish"), None);
    }

    /// The f64 formulas of Keras 3 / TensorFlow, element by element.
    fn reference(a: Activation, z: f64) -> f64 {
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let relu6 = |z: f64| z.clamp(0.0, 6.0);
        match a {
            Activation::Relu6 => relu6(z),
            Activation::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    0.2 * z
                }
            }
            Activation::Elu => {
                if z < 0.0 {
                    z.exp_m1()
                } else {
                    z
                }
            }
            Activation::Selu => {
                let (scale, alpha) = (1.050_700_987_355_480_5, 1.673_263_242_354_377_3);
                if z < 0.0 {
                    scale * alpha * z.exp_m1()
                } else {
                    scale * z
                }
            }
            Activation::Softplus => z.exp().ln_1p(),
            Activation::Softsign => z / (1.0 + z.abs()),
            Activation::Silu => z * sigmoid(z),
            // Φ(z) by the error function (f64 libm: std has no erf).
            Activation::Gelu => 0.5 * z * libm::erfc(-z / core::f64::consts::SQRT_2),
            Activation::HardSigmoid => relu6(z + 3.0) / 6.0,
            Activation::HardSilu => z * relu6(z + 3.0) / 6.0,
            Activation::Exponential => z.exp(),
            _ => unreachable!("not an element-wise new activation"),
        }
    }

    #[test]
    fn new_activations_match_f64_reference() {
        let zs = [
            -20.0f32, -14.5, -8.0, -3.0, -2.9, -1.5, -0.25, -1e-4, -0.0, 0.0, 1e-4, 0.3, 2.0, 2.9,
            3.0, 5.9, 6.0, 9.0, 14.5, 20.0,
        ];
        for a in Activation::ALL.into_iter().filter(|a| !a.is_v2()) {
            for &z in &zs {
                let mut v = [z];
                a.apply(&mut v);
                let want = reference(a, z as f64);
                // Relative to the value, absolute near 0: a few f32 ulps.
                let abs = (v[0] as f64 - want).abs();
                let err = abs / want.abs().max(1e-30);
                assert!(
                    err < 4.0 * f32::EPSILON as f64 || abs < 1e-7,
                    "{a}({z}) = {}, f64 says {want}",
                    v[0]
                );
            }
        }
    }

    #[test]
    fn new_activations_keep_their_edges() {
        let one = |a: Activation, z: f32| {
            let mut v = [z];
            a.apply(&mut v);
            v[0]
        };
        assert_eq!(one(Activation::Relu6, 7.5), 6.0);
        assert_eq!(one(Activation::Relu6, -0.5).to_bits(), 0.0f32.to_bits());
        assert_eq!(one(Activation::HardSigmoid, -3.0), 0.0);
        assert_eq!(one(Activation::HardSigmoid, 3.0), 1.0);
        assert_eq!(one(Activation::HardSilu, 4.0), 4.0);
        assert_eq!(one(Activation::Softplus, 100.0), 100.0);
        assert_eq!(one(Activation::Softplus, -200.0), 0.0);
        assert_eq!(one(Activation::Elu, -200.0), -1.0);
        assert_eq!(one(Activation::Gelu, -20.0), -0.0);
        assert_eq!(one(Activation::Exponential, 0.0), 1.0);
        for a in Activation::ALL {
            assert!(one(a, f32::NAN).is_nan(), "{a}(NaN)");
        }
    }

    #[test]
    fn activations_match_f64_reference() {
        let zs = [-8.0f32, -1.5, -0.25, 0.0, 0.3, 2.0, 9.0];
        for &z in &zs {
            let mut v = [z];
            Activation::Relu.apply(&mut v);
            assert_eq!(v[0], if z > 0.0 { z } else { 0.0 });
            let mut v = [z];
            Activation::Sigmoid.apply(&mut v);
            let r = 1.0 / (1.0 + (-(z as f64)).exp());
            assert!((v[0] as f64 - r).abs() < 1e-6, "sigmoid({z})");
            let mut v = [z];
            Activation::Tanh.apply(&mut v);
            assert!((v[0] as f64 - (z as f64).tanh()).abs() < 1e-6, "tanh({z})");
            let mut v = [z];
            Activation::Linear.apply(&mut v);
            assert_eq!(v[0], z);
        }
    }
}
