//! Where `dendrite` finds the firmware sources: `DENDRITE_FIRMWARE_DIR`, else the checkout it was
//! built from; when they are missing it says in one line how to point at them.

use std::path::Path;
use std::process::Command;

fn seed_model() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../firmware/models/seed.postcard")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn missing_firmware_sources_are_one_line_that_names_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_dendrite"))
        .args(["predict", "--model", &seed_model(), "--qemu", "0", "0", "0"])
        .env("DENDRITE_FIRMWARE_DIR", "/nonexistent/firmware")
        .env_remove("DENDRITE_FIRMWARE")
        .output()
        .expect("dendrite runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("/nonexistent/firmware") && stderr.contains("DENDRITE_FIRMWARE_DIR"),
        "{stderr}"
    );
}
