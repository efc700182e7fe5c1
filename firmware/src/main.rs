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
use dendrite_core::protocol::Fault;
use dendrite_firmware::{Buffers, NoPin, Platform, Server};
use dendrite_runtime::emulated::{Board, Timer};

dendrite_firmware::architecture_symbol!();

/// The board's services for the application.
struct Emulated {
    timer: Timer,
}

impl Platform for Emulated {
    const TICK_HZ: u32 = dendrite_runtime::TICK_HZ;

    fn ticks(&mut self) -> u32 {
        self.timer.now()
    }

    fn weights(&self) -> &'static [u8] {
        dendrite_runtime::weights_region()
    }

    fn stack_usage(&self) -> (u32, u32) {
        dendrite_runtime::stack::high_water_mark()
    }

    fn stack_used_by(&mut self, f: &mut dyn FnMut()) -> u32 {
        dendrite_runtime::stack::used_by(f)
    }

    fn force_fault(&mut self, fault: Fault) {
        #[cfg(feature = "fault-injection")]
        match fault {
            Fault::Panic => panic!("fault injected on request"),
            Fault::HardFault => dendrite_runtime::force_hard_fault(),
            Fault::StackOverflow => dendrite_runtime::force_stack_overflow(),
        }
        #[cfg(not(feature = "fault-injection"))]
        let _ = fault;
    }
}

#[entry]
fn main() -> ! {
    // cortex-m-rt hands it to `main` as `&'static mut`: a zero-initialized static in .bss, so the
    // frame buffers never pass through the stack. The network's weights stay in the weights
    // region, read in place.
    static mut BUFFERS: Buffers = Buffers::new();

    dendrite_runtime::start();
    // Keeps the architecture's name in the image, for `dendrite flash`.
    core::hint::black_box(&DENDRITE_ARCHITECTURE);
    let Some(Board { mut serial, timer }) = Board::take() else {
        dendrite_runtime::halt()
    };
    let mut platform = Emulated { timer };
    let mut server = Server::new(BUFFERS, dendrite_runtime::NAME, &platform);
    // The UART never ends its input; its errors are `Infallible`. The emulated boards' LEDs are
    // not modelled usefully by QEMU: the class pin does nothing.
    let _ = server.serve(&mut serial, &mut platform, &mut NoPin);
    dendrite_runtime::exit::exit(0)
}
