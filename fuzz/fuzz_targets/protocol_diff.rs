//! The device's hand-written request decoder and response encoder against serde's.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::protocol_diff(data));
