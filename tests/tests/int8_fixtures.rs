//! The committed int8 model files of `tests/models/` are what Dendrite's tools make from their
//! sources today: the quantizer on a float model, the TFLite importer on TensorFlow's
//! converter's files. `DENDRITE_BLESS=1 cargo test -p dendrite-tests --test int8_fixtures`
//! rewrites them after a deliberate change of either tool.

use dendrite_tests::models::int8;
use std::path::Path;

fn check(path: &Path, made: &[u8]) {
    if std::env::var_os("DENDRITE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(path, made).expect("writing the fixture");
        return;
    }
    let committed = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        committed == made,
        "{} differs from what the tools make today: rerun with DENDRITE_BLESS=1 if the change \
         is deliberate",
        path.display()
    );
}

#[test]
fn dendrite_quantized_model_is_the_quantizers_output() {
    check(&int8::dir().join("16-32-32-4.int8.postcard"), &int8::wide());
}

#[test]
fn imported_tflite_models_are_the_importers_output() {
    for name in int8::TFLITE_FIXTURES {
        check(
            &int8::dir().join(format!("tflite/{name}.postcard")),
            &int8::tflite(name),
        );
    }
}
