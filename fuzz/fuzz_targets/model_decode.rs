//! Model-file decoding, as the firmware runs it on its weights region.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::model_decode(data));
