//! A model trained in Keras 3 (the seed tutorial, 10 epochs; saved with `model.save`, the
//! fixture trainer/tests/fixtures/keras/seed_trained.keras) imported by Dendrite runs on the
//! emulated Cortex-M4F with the host's outputs, bit for bit.

use dendrite_core::protocol::ModelStatus;
use dendrite_tests::{build, emulator, models};
use dendrite_trainer::keras::KerasModel;
use dendrite_trainer::HostModel;
use std::path::Path;

#[test]
fn keras_trained_model_runs_on_the_device_bit_for_bit() {
    let keras = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trainer/tests/fixtures/keras/seed_trained.keras");
    let imported = KerasModel::load(&keras).expect("the Keras fixture imports");
    let bytes = imported
        .to_model_bytes(vec!["female".to_owned(), "male".to_owned()])
        .expect("a model file");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("keras.postcard");
    std::fs::write(&model, &bytes).expect("writing the model");
    let host = HostModel::load(&model).expect("a valid model file");
    let mut qemu = emulator::boot(build::firmware(), Some(&model));
    let info = qemu.link().info().expect("the firmware describes itself");
    assert_eq!(info.model, ModelStatus::Loaded { crc: host.crc() });
    let inputs = models::random_inputs(1_000, 3, 0x6b65_7261);
    let device = qemu
        .link()
        .predict_batch(&inputs)
        .expect("batch predictions");
    for (x, p) in inputs.iter().zip(&device) {
        let want = host.predict(x).expect("host prediction");
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&p.outputs), bits(&want), "input {x:?}");
    }
}
