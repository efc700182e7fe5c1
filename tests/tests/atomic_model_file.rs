//! Writing a model file is atomic: a process killed (SIGKILL) at any moment of a write leaves
//! the path holding a complete, valid model, the previous one or the new one, never a mix.

use dendrite_core::format::ModelView;
use dendrite_tests::build;
use dendrite_tests::models::{self, Xorshift};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const KILLS: usize = 20;

/// The writer example, built once (release).
fn writer() -> PathBuf {
    let root = build::repo();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--release", "-q", "-p", "dendrite-tests"])
        .args(["--example", "write_models"])
        .status()
        .expect("running cargo");
    assert!(status.success(), "building the write_models example");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join("release/examples/write_models")
}

#[test]
fn a_writer_killed_mid_write_leaves_a_complete_model() {
    let writer = writer();
    let layers = [
        (1024, dendrite_core::Activation::Relu),
        (1024, dendrite_core::Activation::Relu),
        (16, dendrite_core::Activation::Softmax),
    ];
    let [a, b] = [1, 2].map(|seed| models::synthetic(16, &layers, seed));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("model.postcard");
    std::fs::write(&path, &a).expect("the first model");
    let mut rng = Xorshift::new(0xC0FFEE);
    let mut interrupted = 0;
    for kill in 0..KILLS {
        let mut child = Command::new(&writer)
            .arg(&path)
            .spawn()
            .expect("starting the writer");
        std::thread::sleep(Duration::from_millis(50 + u64::from(rng.next_u32() % 400)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaping the writer");
        let bytes = std::fs::read(&path).expect("the model file is there");
        assert!(
            ModelView::from_bytes(&bytes).is_ok(),
            "kill {kill}: not a valid model"
        );
        assert!(bytes == a || bytes == b, "kill {kill}: neither model");
        // A write in progress when the process died leaves its temporary file, never the model.
        for entry in std::fs::read_dir(dir.path()).expect("the directory") {
            let entry = entry.expect("an entry").path();
            if entry != path {
                interrupted += 1;
                std::fs::remove_file(entry).expect("removing the temporary file");
            }
        }
    }
    eprintln!("{KILLS} kills, {interrupted} in the middle of a write");
    assert!(interrupted > 0, "no kill landed in the middle of a write");
}
