//! Dendrite firmware for QEMU's MPS2 boards (mps2-an386 Cortex-M4F by default; mps2-an385
//! Cortex-M3, mps2-an500 Cortex-M7, mps2-an505 Cortex-M33): boots, validates the model in the
//! WEIGHTS region, and serves predictions over UART0 until the emulator stops.
//!
//! ```text
//! cargo run --release   # the runner in .cargo/config.toml starts qemu-system-arm
//! cargo run-an385       # the same application on another board (aliases in .cargo/config.toml)
//! ```
#![no_std]
#![no_main]

mod board;

// The soft-float core links faster `__aeabi_fadd`/`fsub`/`fmul` (same bits as compiler-builtins').
#[cfg(dendrite_board = "mps2-an385")]
use dendrite_softfloat as _;

use board::Board;
use cortex_m_rt::entry;
use dendrite_core::protocol::Fault;
use dendrite_firmware::{network, Buffers, Platform, Server};

dendrite_firmware::architecture_symbol!();

/// The board's services for the application.
struct Mps2 {
    timer: board::cmsdk::Timer,
}

impl Platform for Mps2 {
    const TICK_HZ: u32 = board::TICK_HZ;

    fn ticks(&mut self) -> u32 {
        self.timer.now()
    }

    fn weights(&self) -> &[u8] {
        board::weights_region()
    }

    fn stack_usage(&self) -> (u32, u32) {
        board::stack::high_water_mark()
    }

    fn force_fault(&mut self, fault: Fault) {
        #[cfg(feature = "fault-injection")]
        match fault {
            Fault::Panic => panic!("fault injected on request"),
            Fault::HardFault => board::force_hard_fault(),
            Fault::StackOverflow => board::force_stack_overflow(),
        }
        #[cfg(not(feature = "fault-injection"))]
        let _ = fault;
    }
}

#[entry]
fn main() -> ! {
    // cortex-m-rt hands these to `main` as `&'static mut`: zero-initialized statics in .bss, so
    // the network's weights and the frame buffers never pass through the stack.
    static mut NETWORK: network::Model = network::Model::new();
    static mut BUFFERS: Buffers = Buffers::new();

    board::stack::paint();
    // Keeps the architecture's name in the image, for `dendrite flash`.
    core::hint::black_box(&DENDRITE_ARCHITECTURE);
    let Board {
        mut serial,
        timer,
        mut led,
    } = Board::take();
    let mut platform = Mps2 { timer };
    let mut server = Server::new(NETWORK, BUFFERS, board::NAME, &platform);
    // The UART never ends its input; its errors are `Infallible`.
    let _ = server.serve(&mut serial, &mut platform, &mut led);
    board::exit::exit(0)
}
