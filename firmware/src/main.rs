//! Dendrite firmware for QEMU's emulated boards (mps2-an386 Cortex-M4F by default; mps2-an385
//! Cortex-M3, mps2-an500 Cortex-M7, mps2-an505 Cortex-M33, microbit Cortex-M0): boots,
//! validates the model in the WEIGHTS region, and serves predictions over the UART until the
//! emulator stops. The board support is dendrite-runtime's.
//!
//! ```text
//! cargo run --release   # the runner in .cargo/config.toml starts qemu-system-arm
//! cargo run-an385       # the same application on another board (aliases in .cargo/config.toml)
//! ```
#![no_std]
#![no_main]
#![forbid(unsafe_code)]
// The firmware never panics on input: no panicking shortcut (the crate has no tests).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo
)]

// The soft-float cores (Cortex-M3, Cortex-M0) link faster `__aeabi_fadd`/`fsub`/`fmul` (same
// bits as compiler-builtins').
#[cfg(dendrite_softfloat)]
use dendrite_softfloat as _;

use cortex_m_rt::entry;
use dendrite_firmware::{Buffers, NoPin, RuntimePlatform, Server};
use dendrite_runtime::emulated::Board;

dendrite_firmware::architecture_symbol!();

#[entry]
fn main() -> ! {
    // cortex-m-rt hands it to `main` as `&'static mut`: a zero-initialized static in .bss, so the
    // frame buffers never pass through the stack. The network's weights stay in the weights
    // region, read in place.
    static mut BUFFERS: Buffers = Buffers::new();

    dendrite_runtime::start();
    // Keeps the architecture's name in the image, for `dendrite flash`.
    core::hint::black_box(&DENDRITE_ARCHITECTURE);
    let Some(Board {
        mut serial,
        mut timer,
    }) = Board::take()
    else {
        dendrite_runtime::halt()
    };
    let mut platform = RuntimePlatform::new(move || timer.now());
    let mut server = Server::new(BUFFERS, dendrite_runtime::NAME, &platform);
    // The UART never ends its input; its errors are `Infallible`. The emulated boards' LEDs are
    // not modelled usefully by QEMU: the class pin does nothing.
    let _ = server.serve(&mut serial, &mut platform, &mut NoPin);
    dendrite_runtime::exit::exit(0)
}
