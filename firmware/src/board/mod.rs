//! Board support for QEMU's MPS2 boards: the only module with `unsafe` code.
//!
//! Everything the board-agnostic application needs comes from here: a serial port
//! (`embedded-io`), a tick source, a pin that shows the predicted class, the WEIGHTS flash region,
//! the stack's high-water mark, and an exit path that ends a QEMU run with a status code.
//! The boards share their peripherals (ARM CMSDK UART and timer); they differ in core, memory
//! map (`boards/<board>/memory.x`) and the addresses and clock below, chosen by `build.rs` as
//! `cfg(dendrite_board = "...")`.

pub mod cmsdk;
pub mod exit;
pub mod stack;

use cortex_m_rt::{exception, ExceptionFrame};

/// Where a board's peripherals are and how fast its timer counts.
struct Map {
    name: &'static str,
    uart0: usize,
    timer0: usize,
    tick_hz: u32,
}

/// mps2-an385 (Cortex-M3), mps2-an386 (Cortex-M4F), mps2-an500 (Cortex-M7): the MPS2 APB
/// peripherals at 0x4000_0000 and a 25 MHz system clock (QEMU's hw/arm/mps2.c).
#[cfg(not(dendrite_board = "mps2-an505"))]
const fn mps2(name: &'static str) -> Map {
    Map {
        name,
        uart0: 0x4000_4000,
        timer0: 0x4000_0000,
        tick_hz: 25_000_000,
    }
}

#[cfg(dendrite_board = "mps2-an385")]
const MAP: Map = mps2("mps2-an385");
#[cfg(dendrite_board = "mps2-an386")]
const MAP: Map = mps2("mps2-an386");
#[cfg(dendrite_board = "mps2-an500")]
const MAP: Map = mps2("mps2-an500");
/// mps2-an505 (Cortex-M33, the IoTKit): the core runs Secure, so its peripherals are used
/// through their Secure aliases (address bit 28 set); UART0 sits in the FPGA's APB expansion
/// and the system clock is 20 MHz (QEMU's hw/arm/mps2-tz.c).
#[cfg(dendrite_board = "mps2-an505")]
const MAP: Map = Map {
    name: "mps2-an505",
    uart0: 0x5020_0000,
    timer0: 0x5000_0000,
    tick_hz: 20_000_000,
};

/// The board's name, as the firmware reports it.
pub const NAME: &str = MAP.name;
/// Frequency of TIMER0, the tick counter.
pub const TICK_HZ: u32 = MAP.tick_hz;

/// The peripherals the application uses.
pub struct Board {
    /// UART0, the link to the host.
    pub serial: cmsdk::Uart,
    /// TIMER0, a free-running tick counter at [`TICK_HZ`].
    pub timer: cmsdk::Timer,
    /// The "class LED": the MPS2 FPGA user LEDs are not modelled usefully by QEMU, so a pin
    /// that does nothing.
    pub led: dendrite_firmware::NoPin,
}

impl Board {
    /// Takes the board's peripherals. Call once, from `main`.
    pub fn take() -> Self {
        // SAFETY: called once from `main`, so nothing else owns UART0 or TIMER0; the bases are
        // those of the board's memory map.
        let (serial, timer) =
            unsafe { (cmsdk::Uart::new(MAP.uart0), cmsdk::Timer::new(MAP.timer0)) };
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
    exit::exit_after_fault()
}

/// Provokes a HardFault (for the test that proves a fault ends the run non-zero).
#[cfg(feature = "fault-injection")]
pub fn force_hard_fault() -> ! {
    cortex_m::asm::udf()
}

/// Recurses until the stack overflows (for the test that proves an overflow faults instead of
/// running into the static data).
#[cfg(feature = "fault-injection")]
pub fn force_stack_overflow() -> ! {
    #[inline(never)]
    fn deeper(depth: u32) -> u32 {
        let mut frame = [depth; 32];
        core::hint::black_box(&mut frame);
        // `black_box` hides that the condition always holds, so the recursion is not removed.
        let below = if core::hint::black_box(true) {
            deeper(depth.wrapping_add(1))
        } else {
            0
        };
        below.wrapping_add(frame.iter().sum::<u32>())
    }
    deeper(0);
    exit::exit(exit::STATUS_PANIC)
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // No message: formatting would pull in core::fmt (kilobytes of flash). The status says it.
    exit::exit(exit::STATUS_PANIC)
}
