//! `dendrite-tests`: Dendrite's end-to-end test support.
//!
//! The scenarios live in `tests/tests/`: the trainer's model files run by the firmware under
//! `qemu-system-arm`, compared with the host bit for bit; the fuzz corpora replayed as
//! regression tests. This library holds what they share (building the command line and the
//! firmware once, deterministic models and inputs, starting the emulator with timeouts), and the
//! bodies of the fuzz targets in `fuzz/`, so that fuzzing and CI exercise the very same code.
//!
//! ```no_run
//! use dendrite_tests::{build, emulator};
//!
//! let mut qemu = emulator::boot(build::firmware(), Some(&build::seed_model()));
//! let p = qemu.link().predict(&[0.0, 0.0, 0.0]).unwrap();
//! assert_eq!(p.class, Some(0)); // female
//! ```

pub mod build;
pub mod emulator;
pub mod fuzz;
pub mod models;
pub mod oracle;
