//! Writes Keras files for Keras to check: every Keras fixture imported and exported again as
//! `.keras` and `.h5`, and any model files given on the command line, each with
//! `<file>.expected.json` holding inputs and what Dendrite predicts for them (a regression's
//! values in the targets' units). Then
//! `bench/.venv/bin/python bench/keras_fixtures.py --check DIR` loads each file with
//! `keras.models.load_model` and reports the largest difference from Dendrite.
//!
//! ```console
//! $ cargo run -p dendrite-trainer --example keras_export_check -- target/keras-check model.postcard
//! ```

use dendrite_trainer::keras::{self, KerasFormat, KerasModel};
use dendrite_trainer::HostModel;
use serde_json::json;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: keras_export_check DIR [MODEL_FILE…]")?,
    );
    std::fs::create_dir_all(&dir)?;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras");
    let mut models: Vec<(String, HostModel)> = Vec::new();
    for entry in std::fs::read_dir(&fixtures)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".keras") {
            if let Ok(model) = KerasModel::load(&path) {
                let bytes = model.to_model_bytes(Vec::new())?;
                models.push((stem.to_owned(), HostModel::from_bytes(&bytes, &path)?));
            }
        }
    }
    for path in args {
        let name = Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        models.push((name, HostModel::load(&path)?));
    }
    for (name, host) in &models {
        // Inputs around the fixtures' feature scales: 4 + (-3..3) times 1, 10, 0.1, 3 or 100.
        let scale = [1.0f32, 10.0, 0.1, 3.0, 100.0];
        let inputs: Vec<Vec<f32>> = (0..32usize)
            .map(|i| {
                (0..host.input())
                    .map(|j| 4.0 + (((i * 7 + j * 13) % 61) as f32 / 10.0 - 3.0) * scale[j % 5])
                    .collect()
            })
            .collect();
        let outputs: Vec<Vec<f32>> = inputs
            .iter()
            .map(|x| host.predict(x).map(|y| host.values(&y)))
            .collect::<Result<_, _>>()?;
        let model = KerasModel::from_model_file(host);
        for (format, ext) in [(KerasFormat::Keras, "keras"), (KerasFormat::H5, "h5")] {
            let file = dir.join(format!("{name}.{ext}"));
            keras::save(&model, &file, format)?;
            let expected = json!({"inputs": inputs, "outputs": outputs});
            std::fs::write(
                dir.join(format!("{name}.{ext}.expected.json")),
                expected.to_string(),
            )?;
        }
    }
    println!(
        "wrote {} models as .keras and .h5 into {}",
        models.len(),
        dir.display()
    );
    Ok(())
}
