//! `dendrite train --initial-weights FILE` (spec key `initial_weights`).

use anyhow::Result;
use dendrite_trainer::keras;
use dendrite_trainer::spec::ModelSpec;
use dendrite_trainer::Sequential;

/// Sets the model's starting weights from the spec's `initial_weights` file, if it names one.
pub fn apply(model: &mut Sequential, spec: &ModelSpec) -> Result<()> {
    if let Some(path) = &spec.initial_weights {
        keras::set_initial_weights(model, path)?;
        outln!("initial weights: {}", path.display());
    }
    Ok(())
}
