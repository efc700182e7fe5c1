//! The firmware's request handler, byte by byte, with every answer checked against the host's
//! prediction of it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dendrite_tests::fuzz::firmware_serve(data);
});
