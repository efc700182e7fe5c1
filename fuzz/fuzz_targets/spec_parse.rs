//! Model spec files (TOML), as `dendrite train --spec` reads them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dendrite_tests::fuzz::spec_parse(data));
