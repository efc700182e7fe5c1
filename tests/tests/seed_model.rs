//! The committed seed model is what `dendrite train` writes with its defaults, byte for byte.
//!
//! (Byte for byte on every x86_64 machine: the trainer's matrix kernels are its own, SSE2 with a
//! separate multiply and add, and nothing is picked per CPU at run time.)

use dendrite_tests::build;
use std::process::Command;

#[test]
fn dendrite_train_with_defaults_reproduces_the_committed_seed_model() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // No arguments at all: the defaults, writing `model.postcard` in the working directory.
    let output = Command::new(build::dendrite_cli())
        .arg("train")
        .current_dir(dir.path())
        .output()
        .expect("running dendrite train");
    assert!(
        output.status.success(),
        "dendrite train failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let trained = std::fs::read(dir.path().join("model.postcard")).expect("the trained model");
    let committed = std::fs::read(build::seed_model()).expect("the committed seed model");
    assert!(
        trained == committed,
        "`dendrite train` no longer reproduces firmware/models/seed.postcard \
         ({} bytes against {}); if the training change is intended, replace the file with \
         the new model.postcard",
        trained.len(),
        committed.len()
    );
}
