//! Serial frames (COBS) and protocol messages, as the firmware receives them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::frame_decode(data));
