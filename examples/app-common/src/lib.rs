//! What Dendrite's example applications share (`examples/firmware-app`, on QEMU with a polled
//! UART, and `examples/firmware-app-embassy`, on the nRF52840-DK with embassy's async UARTE): the
//! recorded trace they feed the model and the JSON line they print for each window.
//!
//! The trace is a CSV file that the application's build script turns into a Rust table with
//! [`build::write_trace`] (feature `build`, a build-dependency); the program includes it and
//! takes its [`windows`]. Each window's line is
//!
//! ```text
//! {"inputs":[1.42,1.05,-0.88],"outputs":[0.12975296,0.87024707],"class":1}
//! ```
//!
//! with every float in its shortest form that reads back to the same bits, written in pieces
//! through a closure ([`write_line`], for a polled UART) or into a buffer ([`format_line`], for
//! a DMA transfer):
//!
//! ```
//! use dendrite_app_common::{format_line, line_capacity, windows};
//!
//! static TRACE: [&[f32]; 2] = [&[1.42, 1.05, -0.88, 1.0], &[0.5]];
//! const LINE: usize = line_capacity(3, 2);
//!
//! let mut buf = [0u8; LINE];
//! for x in windows::<3>(&TRACE) {
//!     let outputs = [0.25, 0.75]; // MODEL.predict(&x)
//!     let line = format_line(&mut buf, &x, &outputs, 1).unwrap();
//!     assert_eq!(line, b"{\"inputs\":[1.42,1.05,-0.88],\"outputs\":[0.25,0.75],\"class\":1}\n");
//! }
//! ```
// The build scripts' side uses std; it is documented whatever the features.
#![cfg_attr(not(any(test, doc, feature = "build")), no_std)]
#![forbid(unsafe_code)]

#[cfg(any(feature = "build", doc))]
pub mod build;
mod line;

pub use line::{format_line, line_capacity, write_decimal, write_line, LineTooLong, NO_WINDOW};

/// The windows of a trace: the first `IN` values of each row, in order. A row with fewer values
/// is not a window and is skipped.
pub fn windows<'t, const IN: usize>(
    trace: &'t [&'t [f32]],
) -> impl Iterator<Item = [f32; IN]> + 't {
    trace
        .iter()
        .filter_map(|row| <[f32; IN]>::try_from(row.get(..IN)?).ok())
}

#[cfg(test)]
mod tests {
    use super::windows;

    #[test]
    fn windows_are_the_leading_values_of_the_rows_long_enough() {
        let trace: [&[f32]; 4] = [&[1.0, 2.0, 3.0], &[4.0], &[5.0, 6.0], &[]];
        let got: Vec<[f32; 2]> = windows::<2>(&trace).collect();
        assert_eq!(got, [[1.0, 2.0], [5.0, 6.0]]);
        assert_eq!(windows::<4>(&trace).count(), 0);
    }
}
