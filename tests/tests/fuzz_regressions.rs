//! Replays every committed fuzz input (seed corpora and past crashes) through the fuzz targets'
//! bodies: what fuzzing once found stays fixed.

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable corpus directory").path();
            let data = std::fs::read(&path).expect("readable corpus file");
            body(&data);
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for fuzz target {target}");
}

#[test]
fn model_decode_corpus_replays_cleanly() {
    replay("model_decode", dendrite_tests::fuzz::model_decode);
}

#[test]
fn frame_decode_corpus_replays_cleanly() {
    replay("frame_decode", dendrite_tests::fuzz::frame_decode);
}

#[test]
fn csv_read_corpus_replays_cleanly() {
    replay("csv_read", dendrite_tests::fuzz::csv_read);
}

#[test]
fn spec_parse_corpus_replays_cleanly() {
    replay("spec_parse", dendrite_tests::fuzz::spec_parse);
}

#[test]
fn firmware_serve_corpus_replays_cleanly() {
    replay("firmware_serve", |data| {
        dendrite_tests::fuzz::firmware_serve(data);
    });
}

#[test]
fn protocol_diff_corpus_replays_cleanly() {
    replay("protocol_diff", dendrite_tests::fuzz::protocol_diff);
}

#[test]
fn keras_read_corpus_replays_cleanly() {
    replay("keras_read", dendrite_tests::fuzz::keras_read);
}

#[test]
fn tflite_read_corpus_replays_cleanly() {
    replay("tflite_read", dendrite_tests::fuzz::tflite_read);
}
