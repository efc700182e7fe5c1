//! Dendrite firmware for the Nordic nRF52840-DK (nRF52840, Cortex-M4F at 64 MHz): the
//! board-agnostic application of `dendrite-firmware` with the nRF HAL's UARTE0 (TX P0.06,
//! RX P0.08: the interface MCU's virtual COM port, 115200 baud) as its serial link and LED1
//! (P0.13) as its class pin. The model lives in the last 32 KiB of flash (`memory.x`), written
//! separately.
//!
//! ```text
//! cargo run --release    # flashes through the on-board J-Link with probe-rs
//! ```
#![no_std]
#![no_main]

mod uart;

use cortex_m::peripheral::DWT;
use cortex_m_rt::entry;
use dendrite_firmware::{network, Buffers, Platform, Server};
use nrf_hal_common::gpio::{p0, Level};
use nrf_hal_common::pac;
use nrf_hal_common::uarte::{Baudrate, Parity, Pins, Uarte};

dendrite_firmware::architecture_symbol!();

/// The board's services for the application: the cycle counter (64 MHz) and the weights pages.
struct Dk;

impl Platform for Dk {
    const TICK_HZ: u32 = 64_000_000;

    fn ticks(&mut self) -> u32 {
        DWT::cycle_count()
    }

    fn weights(&self) -> &[u8] {
        weights_region()
    }
}

extern "C" {
    static __weights_start: u8;
    static __weights_end: u8;
}

/// The WEIGHTS pages (see `memory.x`), whole: the model file sits at their start.
fn weights_region() -> &'static [u8] {
    // SAFETY: memory.x defines [__weights_start, __weights_end) as flash the firmware never
    // writes and where nothing is linked, so no Rust object aliases it.
    unsafe {
        let start = core::ptr::addr_of!(__weights_start);
        let end = core::ptr::addr_of!(__weights_end) as usize;
        core::slice::from_raw_parts(start, end - start as usize)
    }
}

#[entry]
fn main() -> ! {
    // Zero-initialized statics in .bss: the weights and frame buffers never touch the stack.
    static mut NETWORK: network::Model = network::Model::new();
    static mut BUFFERS: Buffers = Buffers::new();

    core::hint::black_box(&DENDRITE_ARCHITECTURE);
    let (Some(dp), Some(mut cp)) = (pac::Peripherals::take(), cortex_m::Peripherals::take()) else {
        halt()
    };
    cp.DCB.enable_trace();
    cp.DWT.enable_cycle_counter();
    let port0 = p0::Parts::new(dp.P0);
    // LED1 is wired active low: off until the first prediction says otherwise.
    let mut led = port0.p0_13.into_push_pull_output(Level::High).degrade();
    let pins = Pins {
        txd: port0.p0_06.into_push_pull_output(Level::High).degrade(),
        rxd: port0.p0_08.into_floating_input().degrade(),
        cts: None,
        rts: None,
    };
    let uarte = Uarte::new(dp.UARTE0, pins, Parity::EXCLUDED, Baudrate::BAUD115200);
    let mut serial = uart::Serial(uarte);
    let mut platform = Dk;
    let mut server = Server::new(NETWORK, BUFFERS, "nrf52840-dk", &platform);
    // Returns only if the transmitter fails.
    let _ = server.serve(&mut serial, &mut platform, &mut led);
    halt()
}

/// Stops the core (a debugger attached through probe-rs sees where).
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    halt()
}
