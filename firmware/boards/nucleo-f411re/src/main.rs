//! Dendrite firmware for the ST Nucleo-F411RE (STM32F411RE, Cortex-M4F at 100 MHz): the
//! board-agnostic application of `dendrite-firmware` with stm32f4xx-hal's USART2 (PA2/PA3, the
//! ST-LINK's virtual COM port, 115200 baud) as its serial link and the green LED LD2 (PA5) as
//! its class pin. The model lives in flash sector 7 (the board table's WEIGHTS region), written
//! separately. Board support (stack guard and high-water mark, WEIGHTS region, panic and
//! HardFault) is dendrite-runtime's.
//!
//! ```text
//! cargo run --release    # flashes through the ST-LINK with probe-rs (runner in .cargo/config.toml)
//! ```
#![no_std]
#![no_main]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use cortex_m::peripheral::DWT;
use cortex_m_rt::entry;
use dendrite_firmware::{Buffers, RuntimePlatform, Server, SplitSerial};
use stm32f4xx_hal::{pac, prelude::*, rcc::Config};

dendrite_firmware::architecture_symbol!();

/// The core clock, the board table's tick rate: the internal 16 MHz oscillator through the PLL
/// (no crystal needed).
const SYSCLK_HZ: u32 = dendrite_runtime::TICK_HZ;

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
    let mut rcc = dp.RCC.freeze(Config::hsi().sysclk(SYSCLK_HZ.Hz()));
    let gpioa = dp.GPIOA.split(&mut rcc);
    let mut led = gpioa.pa5.into_push_pull_output();
    let Ok(usart) = dp
        .USART2
        .serial((gpioa.pa2, gpioa.pa3), 115_200.bps(), &mut rcc)
    else {
        dendrite_runtime::halt()
    };
    let (tx, rx) = usart.split();
    let mut serial = SplitSerial { rx, tx };
    // The board table's tick rate is the core clock: the cycle counter counts it.
    let mut platform = RuntimePlatform::new(DWT::cycle_count);
    let mut server = Server::new(BUFFERS, dendrite_runtime::NAME, &platform);
    // Returns only if the transmitter fails.
    let _ = server.serve(&mut serial, &mut platform, &mut led);
    dendrite_runtime::halt()
}
