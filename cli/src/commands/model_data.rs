//! Reading a CSV file for a trained model: its features in the model's input order, its labels
//! among the model's classes.

use anyhow::Result;
use dendrite_trainer::data::{read_csv, CsvColumns, Dataset};
use dendrite_trainer::evaluation::class_names;
use dendrite_trainer::HostModel;
use std::path::Path;

/// Reads `path` for `model`: the label column (if named) mapped to the model's classes, the
/// features checked against the model's input width. The features are `features` if given,
/// else the model's feature names matched by name (any column order, other columns ignored, a
/// missing one refused by name), else (a model without names) every column but the label, in
/// file order.
pub fn read_for_model(
    model: &HostModel,
    path: &Path,
    label: Option<&str>,
    features: Option<&[String]>,
) -> Result<Dataset> {
    let named = model.features();
    let features = match features {
        Some(f) => Some(f),
        None if !named.is_empty() => {
            if let Some(label) = label.filter(|l| named.iter().any(|n| n == l)) {
                anyhow::bail!(
                    "{}: --label {label} is one of the model's input features ({}): name the \
                     label column",
                    path.display(),
                    named.join(", ")
                );
            }
            Some(named)
        }
        None => None,
    };
    let classes = class_names(model);
    let columns = CsvColumns {
        label,
        features,
        classes: Some(&classes),
    };
    let data = read_csv(path, &columns)?;
    anyhow::ensure!(
        data.x.ncols() == model.input(),
        "{}: {} feature columns ({}), but the model takes {} inputs: {}",
        path.display(),
        data.x.ncols(),
        data.features.join(", "),
        model.input(),
        if label.is_none() {
            "name the label column with --label, or pick the features with --features"
        } else {
            "pick the features with --features A,B,C"
        }
    );
    Ok(data)
}

/// Reads every column of `path` as numbers: the features (`features` if given, else the model's
/// feature names, else every column) and, when features are named, the `extra` columns (a
/// regression's targets, an anomaly label), which the caller takes out with
/// [`Dataset::take_columns`].
pub fn read_numeric(
    model: &HostModel,
    path: &Path,
    features: Option<&[String]>,
    extra: &[String],
) -> Result<Dataset> {
    let named: Option<Vec<String>> = match features {
        Some(f) => Some(f.to_vec()),
        None if !model.features().is_empty() => Some(model.features().to_vec()),
        None => None,
    };
    let features = named.map(|mut f| {
        f.extend(extra.iter().cloned());
        f
    });
    let columns = CsvColumns {
        label: None,
        features: features.as_deref(),
        classes: None,
    };
    Ok(read_csv(path, &columns)?)
}
