//! Dendrite firmware for the Nordic nRF52840-DK (nRF52840, Cortex-M4F at 64 MHz): the
//! board-agnostic application of `dendrite-firmware` with the nRF HAL's UARTE0 (TX P0.06,
//! RX P0.08: the interface MCU's virtual COM port, 115200 baud) as its serial link and LED1
//! (P0.13) as its class pin. The model lives in the last 32 KiB of flash (the board table's
//! WEIGHTS region), written separately. Board support (stack guard and high-water mark, WEIGHTS
//! region, panic and HardFault) is dendrite-runtime's.
//!
//! ```text
//! cargo run --release    # flashes through the on-board J-Link with probe-rs
//! ```
#![no_std]
#![no_main]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod uart;

use cortex_m::peripheral::DWT;
use cortex_m_rt::entry;
use dendrite_firmware::{Buffers, RuntimePlatform, Server};
use nrf_hal_common::gpio::{p0, Level};
use nrf_hal_common::pac;
use nrf_hal_common::uarte::{Baudrate, Parity, Pins, Uarte};

dendrite_firmware::architecture_symbol!();

#[entry]
fn main() -> ! {
    // A zero-initialized static in .bss: the frame buffers never touch the stack (the weights
    // are read in place from the weights region).
    static mut BUFFERS: Buffers = Buffers::new();

    dendrite_runtime::start();
    core::hint::black_box(&DENDRITE_ARCHITECTURE);
    let (Some(dp), Some(mut cp)) = (pac::Peripherals::take(), cortex_m::Peripherals::take()) else {
        dendrite_runtime::halt()
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
    // The board table's tick rate is the core clock: the cycle counter counts it.
    let mut platform = RuntimePlatform::new(DWT::cycle_count);
    let mut server = Server::new(BUFFERS, dendrite_runtime::NAME, &platform);
    // Returns only if the transmitter fails.
    let _ = server.serve(&mut serial, &mut platform, &mut led);
    dendrite_runtime::halt()
}
