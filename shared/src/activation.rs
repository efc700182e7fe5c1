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
}

impl Activation {
    /// Every activation, in wire order.
    pub const ALL: [Activation; 5] = [
        Activation::Linear,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
    ];

    /// Keras' name for the activation (`"relu"`, `"softmax"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }

    /// The activation Keras calls `name`, if there is one.
    ///
    /// ```
    /// use dendrite_core::Activation;
    /// assert_eq!(Activation::from_name("relu"), Some(Activation::Relu));
    /// assert_eq!(Activation::from_name("gelu"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
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
    pub trait Act {
        /// The run-time name of this activation (model files, the protocol).
        const ACTIVATION: Activation;

        /// Applies the activation to a layer's pre-activations `z`, in place.
        fn apply(z: &mut [f32]);
    }

    macro_rules! marker {
        ($(#[$doc:meta] $name:ident => |$z:ident| $body:expr;)*) => {$(
            #[$doc]
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct $name;

            impl Act for $name {
                const ACTIVATION: Activation = Activation::$name;

                #[inline(always)]
                fn apply($z: &mut [f32]) {
                    $body
                }
            }
        )*};
    }

    marker! {
        /// `y = z`.
        Linear => |_z| {};
        /// `y = max(z, 0)`.
        Relu => |z| z.iter_mut().for_each(|v| *v = super::relu(*v));
        /// `y = 1 / (1 + exp(-z))`.
        Sigmoid => |z| z.iter_mut().for_each(|v| *v = super::sigmoid(*v));
        /// `y = tanh(z)`.
        Tanh => |z| z.iter_mut().for_each(|v| *v = libm::tanhf(*v));
        /// `y_i = exp(z_i - max z) / Σ_j exp(z_j - max z)`.
        Softmax => |z| super::softmax(z);
    }
}

/// `max(z, 0)`, written as a comparison: `f32::max` becomes a call to `fmaxf` on cores without
/// a `vmaxnm` instruction (all of ARMv7-M).
#[inline(always)]
fn relu(z: f32) -> f32 {
    if z > 0.0 {
        z
    } else {
        0.0
    }
}

#[inline(always)]
fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-z))
}

/// Softmax with the maximum subtracted first, so `exp` never overflows whatever the logits.
///
/// The largest logit's term is `exp(0)`, exactly 1 in `libm` (and in any correctly rounded
/// exp), so it is written as 1 rather than computed: a two-class softmax costs one `expf`, not
/// two, with the same bits. (For an infinite largest logit the term is 1, not `exp(inf - inf)`,
/// which would be NaN.)
#[inline(always)]
fn softmax(z: &mut [f32]) {
    let mut max = f32::NEG_INFINITY;
    for &v in z.iter() {
        if v > max {
            max = v;
        }
    }
    // -0.0, the identity of addition, lets the compiler drop the first addition: same bits.
    let mut sum = -0.0f32;
    for v in z.iter_mut() {
        *v = if *v == max { 1.0 } else { libm::expf(*v - max) };
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
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
    fn softmax_skips_no_bits_for_the_largest_logit() {
        // exp(0) is exactly 1 in libm: writing it as 1 changes nothing.
        assert_eq!(libm::expf(0.0), 1.0);
        let mut z = [0.5f32, -1.25, 0.5, 3.0];
        Activation::Softmax.apply(&mut z);
        let e: [f32; 4] = [0.5f32, -1.25, 0.5, 3.0].map(|v| libm::expf(v - 3.0));
        let sum = ((e[0] + e[1]) + e[2]) + e[3];
        assert_eq!(z, e.map(|v| v / sum));
    }

    #[test]
    fn markers_name_their_activation() {
        use act::Act;
        assert_eq!(act::Linear::ACTIVATION, Activation::Linear);
        assert_eq!(act::Relu::ACTIVATION, Activation::Relu);
        assert_eq!(act::Sigmoid::ACTIVATION, Activation::Sigmoid);
        assert_eq!(act::Tanh::ACTIVATION, Activation::Tanh);
        assert_eq!(act::Softmax::ACTIVATION, Activation::Softmax);
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
