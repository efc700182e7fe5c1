//! Unit tests of firmware builds.

use super::*;
use crate::QEMU_BOARDS;

/// The sources of this checkout.
fn checkout() -> FirmwareSource {
    FirmwareSource::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../firmware"))
}

#[test]
fn cache_key_names_board_and_architecture() {
    let arch = architecture(&checkout().seed_model()).unwrap();
    assert_eq!(
        cache_key(&(arch.clone(), DType::F32), QEMU_BOARDS[0]),
        "mps2-an386-3-4-2-relu-softmax"
    );
    // An int8 model of the same architecture needs another network type: another build.
    assert_eq!(
        cache_key(&(arch, DType::I8), QEMU_BOARDS[0]),
        "mps2-an386-int8-3-4-2-relu-softmax"
    );
}

#[test]
fn weight_type_tells_int8_models_from_f32_ones() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/models");
    assert_eq!(weight_type(&checkout().seed_model()).unwrap(), DType::F32);
    assert_eq!(
        weight_type(&models.join("16-32-32-4.int8.postcard")).unwrap(),
        DType::I8
    );
}

#[test]
fn a_missing_model_file_is_named_in_the_error() {
    let err = architecture(Path::new("/nonexistent/model.postcard")).unwrap_err();
    assert!(
        err.to_string().starts_with("/nonexistent/model.postcard: "),
        "{err}"
    );
}

#[test]
fn missing_sources_say_in_one_line_how_to_point_at_them() {
    let source = FirmwareSource::new("/nonexistent/firmware");
    let err = FirmwareBuild::default_for(&source, QEMU_BOARDS[0])
        .build()
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, FirmwareError::NoSources(_)), "{message}");
    assert!(message.contains(FIRMWARE_DIR_ENV), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn the_cache_is_in_the_checkout_target_directory() {
    let source = FirmwareSource::new("/src/dendrite/firmware");
    assert_eq!(
        source.cache_dir(),
        Path::new("/src/dendrite/target/firmware-cache")
    );
}

#[test]
fn a_pinned_model_this_build_cannot_read_is_replaced() {
    let seed = checkout().seed_model();
    let arch = kind(&seed).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().to_path_buf();
    // What an older format version left behind: bytes this build refuses.
    std::fs::write(cache.join("architecture.postcard"), b"DNDR\x01\x00stale").unwrap();
    let pinned = pin_model(&seed, &arch, &cache).unwrap();
    assert_eq!(kind(&pinned).unwrap(), arch);
    assert_eq!(
        std::fs::read(&pinned).unwrap(),
        std::fs::read(&seed).unwrap()
    );
    // A good copy is kept as it is.
    let again = pin_model(&seed, &arch, &cache).unwrap();
    assert_eq!(again, pinned);
}
