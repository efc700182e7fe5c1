//! CSV training data, as `dendrite train --data` reads it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::csv_read(data));
