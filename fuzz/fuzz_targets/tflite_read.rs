//! TFLite flatbuffers, as `dendrite import m.tflite` reads them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::tflite_read(data));
