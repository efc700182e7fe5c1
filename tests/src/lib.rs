//! `dendrite-tests`: Dendrite's end-to-end test support.
//!
//! The scenarios live in `tests/tests/`: the trainer's model files run by the firmware under
//! `qemu-system-arm`, compared with the host bit for bit; the fuzz corpora replayed as
//! regression tests. This library holds what they share, and the bodies of the fuzz targets in
//! `fuzz/`, so that fuzzing and CI exercise the very same code.
#![warn(missing_docs)]

pub mod fuzz;
