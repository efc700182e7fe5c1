//! The emulated boards' peripherals, driven by the runtime: their UART (`embedded-io`,
//! `embedded-hal-nb`) and their tick counter, at the addresses of the board table. The MPS2
//! boards have ARM CMSDK peripherals, the micro:bit Nordic nRF51 ones. A real board's crate uses
//! its HAL instead.

#[cfg(dendrite_uart = "cmsdk")]
pub use crate::cmsdk::Timer;
#[cfg(dendrite_uart = "nrf51")]
pub use crate::nrf51::Timer;

/// The board's UART, polled: the CMSDK UART's registers on the MPS2 boards.
#[cfg(dendrite_uart = "cmsdk")]
pub type Uart = crate::polled::Polled<crate::cmsdk::Uart>;
/// The board's UART, polled: the nRF51 UART's registers on the micro:bit.
#[cfg(dendrite_uart = "nrf51")]
pub type Uart = crate::polled::Polled<crate::nrf51::Uart>;
#[cfg(dendrite_uart = "cmsdk")]
use crate::cmsdk::Uart as Registers;
#[cfg(dendrite_uart = "nrf51")]
use crate::nrf51::Uart as Registers;

#[cfg(any(dendrite_uart = "cmsdk", dendrite_uart = "nrf51"))]
use dendrite_boards::{Clock, Uart as UartKind};

/// The peripherals the application uses.
#[cfg(any(dendrite_uart = "cmsdk", dendrite_uart = "nrf51"))]
pub struct Board {
    /// The UART of the link to the host.
    pub serial: Uart,
    /// A free-running tick counter at [`crate::TICK_HZ`].
    pub timer: Timer,
}

/// The board's UART base address, from the table.
#[cfg(any(dendrite_uart = "cmsdk", dendrite_uart = "nrf51"))]
const UART_BASE: usize = match crate::BOARD.uart {
    UartKind::Cmsdk { base } | UartKind::Nrf51 { base } => base as usize,
    UartKind::Hal { .. } => panic!("an emulated board's UART is the runtime's"),
};

/// The board's timer base address, from the table.
#[cfg(any(dendrite_uart = "cmsdk", dendrite_uart = "nrf51"))]
const TIMER_BASE: usize = match crate::BOARD.clock {
    Clock::CmsdkTimer { base } | Clock::Nrf51Timer { base } => base as usize,
    Clock::CycleCounter | Clock::Hal { .. } => {
        panic!("an emulated board's timer is the runtime's")
    }
};

#[cfg(any(dendrite_uart = "cmsdk", dendrite_uart = "nrf51"))]
impl Board {
    /// Takes the board's peripherals; `None` on a second call.
    pub fn take() -> Option<Self> {
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        // A load and a store, not a swap: ARMv6-M has no atomic read-modify-write, and the one
        // core takes the board from `main` before any interrupt could.
        if TAKEN.load(core::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        TAKEN.store(true, core::sync::atomic::Ordering::Relaxed);
        // SAFETY: the first and only call (checked above) owns the UART and the timer; the bases
        // are those of the board's memory map, from the table.
        let (registers, timer) = unsafe { (Registers::new(UART_BASE), Timer::new(TIMER_BASE)) };
        Some(Self {
            serial: Uart::new(registers),
            timer,
        })
    }
}
