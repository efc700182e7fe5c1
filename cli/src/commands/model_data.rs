//! Reading a CSV file for a trained model: its features in the model's input order, its labels
//! among the model's classes.

use anyhow::Result;
use dendrite_trainer::data::{read_csv, CsvColumns, Dataset};
use dendrite_trainer::evaluation::class_names;
use dendrite_trainer::HostModel;
use std::path::Path;

/// Reads `path` for `model`: the label column (if named) mapped to the model's classes, the
/// features (`features`, else every other column) checked against the model's input width.
pub fn read_for_model(
    model: &HostModel,
    path: &Path,
    label: Option<&str>,
    features: Option<&[String]>,
) -> Result<Dataset> {
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
