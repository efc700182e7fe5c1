//! Board support for QEMU's `mps2-an386` (Cortex-M4F): the only module with `unsafe` code.
//!
//! Everything the board-agnostic application needs comes from here: a serial port
//! (`embedded-io`), a tick source, a pin that shows the predicted class, the WEIGHTS flash region,
//! the stack's high-water mark, and an exit path that ends a QEMU run with a status code.
//! Another MPS2 board (AN385 M3, AN500 M7) differs only in its `memory.x` and this file.

pub mod cmsdk;
pub mod exit;
pub mod stack;

use cortex_m_rt::{exception, ExceptionFrame};

/// The board's name, as the firmware reports it.
pub const NAME: &str = "mps2-an386";

/// Base address of UART0 on MPS2 boards (AN386 TRM, memory map: APB UART0).
const UART0_BASE: usize = 0x4000_4000;
/// Base address of TIMER0 on MPS2 boards.
const TIMER0_BASE: usize = 0x4000_0000;

/// The peripherals the application uses.
pub struct Board {
    /// UART0, the link to the host.
    pub serial: cmsdk::Uart,
    /// TIMER0, a free-running 25 MHz tick counter.
    pub timer: cmsdk::Timer,
    /// The "class LED": the MPS2 FPGA user LEDs are not modelled usefully by QEMU, so a pin
    /// that does nothing.
    pub led: dendrite_firmware::NoPin,
}

impl Board {
    /// Takes the board's peripherals. Call once, from `main`.
    pub fn take() -> Self {
        // SAFETY: called once from `main`, so nothing else owns UART0 or TIMER0; the bases are
        // those of the MPS2 memory map.
        let (serial, timer) =
            unsafe { (cmsdk::Uart::new(UART0_BASE), cmsdk::Timer::new(TIMER0_BASE)) };
        Self {
            serial,
            timer,
            led: dendrite_firmware::NoPin,
        }
    }
}

extern "C" {
    static __weights_start: u8;
    static __weights_end: u8;
}

/// The WEIGHTS flash region (see `memory.x`), whole: the model file sits at its start.
pub fn weights_region() -> &'static [u8] {
    // SAFETY: memory.x defines [__weights_start, __weights_end) as the WEIGHTS region of the
    // code memory: readable, never written by the firmware, and nothing is linked there, so no
    // Rust object aliases it mutably.
    unsafe {
        let start = core::ptr::addr_of!(__weights_start);
        let end = core::ptr::addr_of!(__weights_end) as usize;
        core::slice::from_raw_parts(start, end - start as usize)
    }
}

extern "C" {
    /// cortex-m-rt's handler for exceptions nobody handles.
    fn DefaultHandler();
}

/// The device interrupt vectors: one, the least cortex-m-rt's linker script accepts. The
/// firmware polls UART0 and TIMER0 and never enables an interrupt in the NVIC, so none can be
/// taken; a board that enables one lists its handler here. Without this table cortex-m-rt would
/// emit 240 default entries (960 bytes of flash).
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); 1] = [DefaultHandler];

/// Ends the run with a non-zero status: a HardFault never hangs the emulator.
#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    exit::exit(exit::STATUS_HARD_FAULT)
}

/// Provokes a HardFault (for the test that proves a fault ends the run non-zero).
#[cfg(feature = "fault-injection")]
pub fn force_hard_fault() -> ! {
    cortex_m::asm::udf()
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // No message: formatting would pull in core::fmt (kilobytes of flash). The status says it.
    exit::exit(exit::STATUS_PANIC)
}
