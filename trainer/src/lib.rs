//! Dendrite trainer.
