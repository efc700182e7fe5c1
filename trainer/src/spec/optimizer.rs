//! `[compile] optimizer`: a name with Keras' defaults, or a table of Keras' arguments.

use super::{invalid, SpecError};
use crate::optimizers::{Adam, RmsProp, Sgd};
use crate::Optimizer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// `optimizer = "rmsprop"` or `optimizer = { name = "adam", learning_rate = 0.01, beta_1 = 0.9 }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptimizerTable {
    /// `sgd`, `rmsprop` or `adam`.
    pub name: String,
    /// Step size (default: the optimizer's Keras default).
    pub learning_rate: Option<f32>,
    /// RMSprop's decay of the squared-gradient average.
    pub rho: Option<f32>,
    /// SGD's or RMSprop's momentum.
    pub momentum: Option<f32>,
    /// RMSprop's or Adam's epsilon.
    pub epsilon: Option<f32>,
    /// Adam's decay of the gradient average.
    pub beta_1: Option<f32>,
    /// Adam's decay of the squared-gradient average.
    pub beta_2: Option<f32>,
    /// SGD's Nesterov momentum.
    pub nesterov: Option<bool>,
}

/// The optimizer of a spec (default: RMSprop, as the seed tutorial).
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerSpec(pub OptimizerTable);

impl Default for OptimizerSpec {
    fn default() -> Self {
        OptimizerSpec::named("rmsprop")
    }
}

impl OptimizerSpec {
    /// The optimizer `name` with Keras' defaults.
    pub fn named(name: &str) -> Self {
        OptimizerSpec(OptimizerTable {
            name: name.to_owned(),
            learning_rate: None,
            rho: None,
            momentum: None,
            epsilon: None,
            beta_1: None,
            beta_2: None,
            nesterov: None,
        })
    }

    /// The optimizer, with every argument given checked against the optimizer's own.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming `compile.optimizer.<key>`: an unknown name, an argument the
    /// optimizer does not take, a value out of range.
    pub fn build(&self) -> Result<Optimizer, SpecError> {
        let t = &self.0;
        let key = |k: &str| format!("compile.optimizer.{k}");
        let base = Optimizer::from_name(&t.name).map_err(|e| invalid(key("name"), e))?;
        let positive = |v: Option<f32>, k: &str| match v {
            Some(x) if !(x > 0.0 && x.is_finite()) => {
                Err(invalid(key(k), format!("{x}: give a positive number")))
            }
            _ => Ok(v),
        };
        let unit = |v: Option<f32>, k: &str| match v {
            Some(x) if !(0.0..1.0).contains(&x) => {
                Err(invalid(key(k), format!("{x}: give a number in [0, 1)")))
            }
            _ => Ok(v),
        };
        let lr = positive(t.learning_rate, "learning_rate")?;
        let (rho, momentum) = (unit(t.rho, "rho")?, unit(t.momentum, "momentum")?);
        let epsilon = positive(t.epsilon, "epsilon")?;
        let (beta_1, beta_2) = (unit(t.beta_1, "beta_1")?, unit(t.beta_2, "beta_2")?);
        let refuse = |given: bool, k: &str| -> Result<(), SpecError> {
            if given {
                return Err(invalid(key(k), format!("`{}` takes no `{k}`", t.name)));
            }
            Ok(())
        };
        let optimizer = match base {
            Optimizer::Sgd(d) => {
                refuse(rho.is_some(), "rho")?;
                refuse(epsilon.is_some(), "epsilon")?;
                refuse(beta_1.is_some() || beta_2.is_some(), "beta_1")?;
                Optimizer::Sgd(Sgd {
                    learning_rate: lr.unwrap_or(d.learning_rate),
                    momentum: momentum.unwrap_or(d.momentum),
                    nesterov: t.nesterov.unwrap_or(d.nesterov),
                })
            }
            Optimizer::RmsProp(d) => {
                refuse(beta_1.is_some() || beta_2.is_some(), "beta_1")?;
                refuse(t.nesterov.is_some(), "nesterov")?;
                Optimizer::RmsProp(RmsProp {
                    learning_rate: lr.unwrap_or(d.learning_rate),
                    rho: rho.unwrap_or(d.rho),
                    momentum: momentum.unwrap_or(d.momentum),
                    epsilon: epsilon.unwrap_or(d.epsilon),
                })
            }
            Optimizer::Adam(d) => {
                refuse(rho.is_some(), "rho")?;
                refuse(momentum.is_some(), "momentum")?;
                refuse(t.nesterov.is_some(), "nesterov")?;
                Optimizer::Adam(Adam {
                    learning_rate: lr.unwrap_or(d.learning_rate),
                    beta_1: beta_1.unwrap_or(d.beta_1),
                    beta_2: beta_2.unwrap_or(d.beta_2),
                    epsilon: epsilon.unwrap_or(d.epsilon),
                })
            }
        };
        Ok(optimizer)
    }
}

impl<'de> Deserialize<'de> for OptimizerSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameOrTable;
        impl<'de> Visitor<'de> for NameOrTable {
            type Value = OptimizerSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an optimizer name or a table with `name` and Keras' arguments")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(OptimizerSpec::named(name))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                OptimizerTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(OptimizerSpec)
            }
        }
        deserializer.deserialize_any(NameOrTable)
    }
}
