//! Keras files (`.keras` archives, legacy `.h5` models, weights), as `dendrite import` reads them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::keras_read(data));
