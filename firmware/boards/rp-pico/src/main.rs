//! Dendrite firmware for the Raspberry Pi Pico (RP2040, Cortex-M0+ at 125 MHz): the
//! board-agnostic application of `dendrite-firmware` with rp2040-hal's UART0 (TX GP0, RX GP1,
//! 115200 baud: a USB-serial adapter or a Raspberry Pi Debug Probe's UART) as its serial link and
//! the on-board LED (GP25) as its class pin, timed by the RP2040's 1 MHz TIMER. The model lives
//! in the last 64 KiB of flash (the board table's WEIGHTS region), written separately. Board
//! support (boot2, stack high-water mark, WEIGHTS region, panic and HardFault) is
//! dendrite-runtime's.
//!
//! ```text
//! cargo run --release    # flashes through an SWD probe with probe-rs (.cargo/config.toml)
//! elf2uf2-rs -d ../../target/thumbv6m-none-eabi/release/dendrite-rp-pico   # or USB, BOOTSEL
//! ```
#![no_std]
#![no_main]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

// The soft-float fast paths (same bits as compiler-builtins').
use dendrite_softfloat as _;

use dendrite_firmware::{Buffers, RuntimePlatform, Server, SplitSerial};
use rp2040_hal::clocks::{init_clocks_and_plls, Clock};
use rp2040_hal::fugit::RateExtU32;
use rp2040_hal::gpio::{FunctionUart, Pins};
use rp2040_hal::uart::{
    DataBits, StopBits, UartConfig, UartDevice, UartPeripheral, ValidUartPinout, Writer,
};
use rp2040_hal::{entry, pac, Sio, Timer, Watchdog};

dendrite_firmware::architecture_symbol!();

/// The Pico's crystal.
const XOSC_HZ: u32 = 12_000_000;

/// The HAL's UART transmitter as an `embedded-io` 0.6 writer (the HAL implements 0.7; the
/// application speaks 0.6).
struct Tx<D: UartDevice, P: ValidUartPinout<D>>(Writer<D, P>);

impl<D: UartDevice, P: ValidUartPinout<D>> embedded_io::ErrorType for Tx<D, P> {
    type Error = core::convert::Infallible;
}

impl<D: UartDevice, P: ValidUartPinout<D>> embedded_io::Write for Tx<D, P> {
    /// Waits until every byte is in the transmit FIFO.
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.write_full_blocking(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[entry]
fn main() -> ! {
    // A zero-initialized static in .bss: the frame buffers never touch the stack (the weights
    // are read in place from the weights region).
    static mut BUFFERS: Buffers = Buffers::new();

    dendrite_runtime::start();
    core::hint::black_box(&DENDRITE_ARCHITECTURE);
    let Some(mut pac) = pac::Peripherals::take() else {
        dendrite_runtime::halt()
    };
    let mut watchdog = Watchdog::new(pac.WATCHDOG);
    let Ok(clocks) = init_clocks_and_plls(
        XOSC_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    ) else {
        dendrite_runtime::halt()
    };
    let sio = Sio::new(pac.SIO);
    let pins = Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );
    let mut led = pins.gpio25.into_push_pull_output();
    let uart_pins = (
        pins.gpio0.into_function::<FunctionUart>(),
        pins.gpio1.into_function::<FunctionUart>(),
    );
    let config = UartConfig::new(115_200.Hz(), DataBits::Eight, None, StopBits::One);
    let Ok(uart) = UartPeripheral::new(pac.UART0, uart_pins, &mut pac.RESETS)
        .enable(config, clocks.peripheral_clock.freq())
    else {
        dendrite_runtime::halt()
    };
    let (rx, tx) = uart.split();
    let mut serial = SplitSerial { rx, tx: Tx(tx) };
    let timer = Timer::new(pac.TIMER, &mut pac.RESETS, &clocks);
    // The board table's tick rate: the TIMER's 1 MHz.
    let mut platform = RuntimePlatform::new(move || timer.get_counter_low());
    let mut server = Server::new(BUFFERS, dendrite_runtime::NAME, &platform);
    // Returns only if the transmitter fails.
    let _ = server.serve(&mut serial, &mut platform, &mut led);
    dendrite_runtime::halt()
}
