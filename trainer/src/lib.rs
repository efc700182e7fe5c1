//! `dendrite-trainer`: train small dense networks on the desktop the Keras way, and export them
//! as dendrite-core model files that a Cortex-M microcontroller runs bit for bit.
//!
//! Keras' vocabulary and defaults throughout: [`Sequential`], [`layers::Dense`],
//! [`layers::ActivationLayer`], `compile`, `fit`, `evaluate`, `predict`, `summary`. The math is
//! batched f32 on `ndarray`, single-threaded, with Dendrite's own matrix kernels (compiled for
//! the x86_64 baseline, SSE2, with a separate multiply and add; nothing is picked per CPU at run
//! time); every random draw comes from one seeded generator, so a seed gives the same model
//! file byte for byte on every x86_64 machine.
//!
//! Cargo features, both on by default: `plot` (PNG training curves and confusion matrices,
//! [`plot`]) and `progress` (the live progress bar `fit` draws on a terminal). With
//! `default-features = false` the library has no drawing or terminal dependencies, and `fit`
//! still prints one line per epoch.
//!
//! ```
//! use dendrite_trainer::Activation::{Relu, Softmax};
//! use dendrite_trainer::layers::{ActivationLayer, Dense};
//! use dendrite_trainer::{datasets, utils, FitOptions, Initializer, Loss, Metric, Optimizer};
//! use dendrite_trainer::{Sequential, Verbosity};
//!
//! let mut rng = utils::set_random_seed(42);
//! let (data, gender) = datasets::seed(1000, &mut rng);
//! let gender_one_hot = utils::to_categorical(&gender, 2)?;
//!
//! let mut model = Sequential::new();
//! model.add(Dense::new(4).input_dim(3).kernel_initializer(Initializer::random_normal()))?;
//! model.add(ActivationLayer::new(Relu))?;
//! model.add(Dense::new(2).kernel_initializer(Initializer::random_normal()))?;
//! model.add(ActivationLayer::new(Softmax))?;
//! model.compile(Optimizer::from_name("rmsprop")?, Loss::CategoricalCrossentropy, &[Metric::Accuracy])?;
//!
//! let options = FitOptions { epochs: 10, batch_size: 8, verbose: Verbosity::Silent, ..Default::default() };
//! let history = model.fit(&data, &gender_one_hot, &options, &mut rng)?;
//! assert!(history.last("accuracy").unwrap() > 0.7);
//! # Ok::<(), dendrite_trainer::Error>(())
//! ```

pub mod activations;
pub mod callbacks;
pub mod data;
pub mod datasets;
mod error;
pub mod evaluation;
pub mod export;
mod host;
pub mod initializers;
pub mod keras;
pub mod layers;
pub mod limits;
pub mod losses;
pub mod metrics;
mod model;
pub mod optimizers;
#[cfg(feature = "plot")]
pub mod plot;
pub mod quantize;
pub mod regression;
pub mod spec;
pub mod tflite;
pub mod utils;

pub use callbacks::{Callback, History, Logs};
/// An activation function's kind (`relu`, `softmax`, …): dendrite-core's, so the trainer and the
/// model file share one vocabulary. The math on batches is in [`activations`]; the layer that
/// applies one is [`layers::ActivationLayer`].
pub use dendrite_core::Activation;
pub use error::{Error, Result};
pub use export::Preprocessing;
pub use host::{HostLayer, HostModel, PredictBuffers};
pub use initializers::Initializer;
pub use losses::Loss;
pub use metrics::Metric;
pub use model::{ClassWeight, FitOptions, Sequential, Verbosity};
pub use optimizers::Optimizer;

/// The random generator behind every draw: ChaCha8, which gives the same stream on every
/// platform and for every build, so a seed reproduces a model file byte for byte.
pub type SeededRng = rand::rngs::ChaCha8Rng;
