//! Dendrite firmware for the ST Nucleo-F411RE (STM32F411RE, Cortex-M4F at 100 MHz): the
//! board-agnostic application of `dendrite-firmware` with stm32f4xx-hal's USART2 (PA2/PA3, the
//! ST-LINK's virtual COM port, 115200 baud) as its serial link and the green LED LD2 (PA5) as
//! its class pin. The model lives in flash sector 7 (`memory.x`), written separately.
//!
//! ```text
//! cargo run --release    # flashes through the ST-LINK with probe-rs (runner in .cargo/config.toml)
//! ```
#![no_std]
#![no_main]

use cortex_m::peripheral::DWT;
use cortex_m_rt::entry;
use dendrite_firmware::{network, Buffers, Platform, Server, SplitSerial};
use stm32f4xx_hal::{pac, prelude::*, rcc::Config};

dendrite_firmware::architecture_symbol!();

/// The core clock: the internal 16 MHz oscillator through the PLL (no crystal needed).
const SYSCLK_HZ: u32 = 100_000_000;

/// The board's services for the application: the cycle counter and the weights sector.
struct Nucleo;

impl Platform for Nucleo {
    const TICK_HZ: u32 = SYSCLK_HZ;

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

/// The WEIGHTS sector (see `memory.x`), whole: the model file sits at its start.
fn weights_region() -> &'static [u8] {
    // SAFETY: memory.x defines [__weights_start, __weights_end) as flash sector 7: readable,
    // never written by the firmware, and nothing is linked there, so no Rust object aliases it.
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
    let mut rcc = dp.RCC.freeze(Config::hsi().sysclk(SYSCLK_HZ.Hz()));
    let gpioa = dp.GPIOA.split(&mut rcc);
    let mut led = gpioa.pa5.into_push_pull_output();
    let Ok(usart) = dp
        .USART2
        .serial((gpioa.pa2, gpioa.pa3), 115_200.bps(), &mut rcc)
    else {
        halt()
    };
    let (tx, rx) = usart.split();
    let mut serial = SplitSerial { rx, tx };
    let mut platform = Nucleo;
    let mut server = Server::new(NETWORK, BUFFERS, "nucleo-f411re", &platform);
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
