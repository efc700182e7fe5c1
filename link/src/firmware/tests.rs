//! Unit tests of firmware builds.

use super::*;
use crate::QEMU_BOARDS;

/// The sources of this checkout.
fn checkout() -> FirmwareSource {
    FirmwareSource::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../firmware"))
}

fn board(name: &str) -> QemuBoard {
    *QEMU_BOARDS
        .iter()
        .find(|b| b.name == name)
        .expect("an emulated board")
}

#[test]
fn image_key_names_board_architecture_weight_type_and_features() {
    let arch = architecture(&checkout().seed_model()).unwrap();
    let m4f = board("mps2-an386");
    assert_eq!(
        image_key(m4f, Some(&(arch.clone(), DType::F32)), &[]),
        "mps2-an386-3-4-2-relu-softmax"
    );
    // An int8 model of the same architecture needs another network type: another image.
    assert_eq!(
        image_key(m4f, Some(&(arch, DType::I8)), &[]),
        "mps2-an386-int8-3-4-2-relu-softmax"
    );
    assert_eq!(image_key(m4f, None, &[]), "mps2-an386-seed");
    let features = ["fault-injection".to_owned()];
    assert_eq!(
        image_key(board("microbit"), None, &features),
        "microbit-seed-fault-injection"
    );
}

#[test]
fn every_build_compiles_into_one_target_dir_and_keeps_its_own_image() {
    let source = checkout();
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/models");
    let mut builds = Vec::new();
    for &board in QEMU_BOARDS {
        builds.push(FirmwareBuild::default_for(&source, board));
        builds.push(FirmwareBuild::fault_injection(&source, board));
        for model in ["16-32-32-4.postcard", "16-32-32-4.int8.postcard"] {
            let wanted = kind(&models.join(model)).unwrap();
            builds.push(FirmwareBuild {
                image_dir: source
                    .cache_dir()
                    .join(image_key(board, Some(&wanted), &[])),
                model: Some(models.join(model)),
                ..FirmwareBuild::default_for(&source, board)
            });
        }
    }
    let mut images: Vec<PathBuf> = builds.iter().map(FirmwareBuild::elf).collect();
    images.sort();
    images.dedup();
    assert_eq!(images.len(), builds.len(), "two builds share an image");
    for build in &builds {
        let args: Vec<String> = build
            .command()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = args.iter().position(|a| a == "--target-dir").unwrap();
        assert_eq!(Path::new(&args[at + 1]), source.dir().join("target"));
        assert!(build.elf().starts_with(source.cache_dir()));
        assert!(build
            .cargo_output()
            .starts_with(source.dir().join("target")));
    }
}

#[test]
fn builds_sharing_the_target_dir_take_turns() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let first = BuildLock::take(tmp.path()).unwrap();
    let released = std::sync::Arc::new(AtomicBool::new(false));
    let waiter = {
        let dir = tmp.path().to_path_buf();
        let released = std::sync::Arc::clone(&released);
        std::thread::spawn(move || {
            let _second = BuildLock::take(&dir).unwrap();
            released.load(Ordering::SeqCst)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    released.store(true, Ordering::SeqCst);
    drop(first);
    assert!(
        waiter.join().unwrap(),
        "the second lock was taken while the first was held"
    );
}

#[test]
fn an_image_is_replaced_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to) = (tmp.path().join("built"), tmp.path().join("kept/image"));
    std::fs::write(&from, b"first").unwrap();
    copy_atomically(&from, &to).unwrap();
    let reader = std::fs::File::open(&to).unwrap();
    std::fs::write(&from, b"second").unwrap();
    copy_atomically(&from, &to).unwrap();
    assert_eq!(std::fs::read(&to).unwrap(), b"second");
    // A reader that opened the old image keeps reading it.
    assert_eq!(std::io::read_to_string(reader).unwrap(), "first");
    // No partial copies are left behind.
    let left: Vec<_> = std::fs::read_dir(tmp.path().join("kept"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1);
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
