//! A Dendrite model inside a firmware application: read a sensor, run the network, report.
//!
//! The model is compiled in with one line (`dendrite_core::model!`), its weights read in place
//! from flash; the "sensor" is a recorded trace (`traces/seed.csv`, built in by `build.rs`).
//! For each window (a line of the trace) the program prints one JSON line over UART0:
//!
//! ```text
//! {"inputs":[1.42,1.05,-0.88],"outputs":[0.12,0.88],"class":1}
//! ```
//!
//! Every float is printed in its shortest form that reads back to the same bits; the trace's
//! windows and the line are `dendrite-app-common`'s, shared with the embassy variant
//! (`examples/firmware-app-embassy`).
//!
//! `cargo run --release` runs it under QEMU (mps2-an386, Cortex-M4F). Any model file and trace:
//! `DENDRITE_MODEL=/path/to/model.postcard DENDRITE_TRACE=/path/to/trace.csv cargo run --release`.
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};

// The model: `models/seed.postcard`, or the file `DENDRITE_MODEL` names. Checked at compile time.
dendrite_core::model!(Model, "models/seed.postcard", env = "DENDRITE_MODEL");

// `TRACE`: one row of numbers per line of the recorded trace (build.rs).
include!(concat!(env!("OUT_DIR"), "/trace.rs"));

/// The network, weights in flash: a `const` constructor, so this static is in flash too.
static MODEL: Model = Model::new();

#[entry]
fn main() -> ! {
    let mut uart = Uart::take();
    #[cfg(feature = "measure")]
    measure::report(&mut uart);
    let mut windows = 0u32;
    // The first INPUT values of each line; a shorter line is not a window.
    for x in dendrite_app_common::windows::<{ Model::INPUT }>(&TRACE) {
        let outputs = MODEL.predict(&x);
        let class = MODEL.class(&outputs);
        dendrite_app_common::write_line(&mut |b| uart.write(b), &x, &outputs, class);
        windows += 1;
    }
    if windows == 0 {
        uart.write(dendrite_app_common::NO_WINDOW);
        exit(1);
    }
    exit(0)
}

/// The RAM of one forward pass, measured by painting the stack below the caller's frame.
#[cfg(feature = "measure")]
mod measure {
    use super::{Model, Uart, MODEL, TRACE};

    const PAINT: u32 = 0xDEAD_BEEF;
    /// How deep below the caller's frame the paint goes: more than the largest forward pass.
    const DEPTH: usize = 16 * 1024;

    /// Paints `[from - DEPTH, own stack pointer - 16)`; returns the lowest painted address.
    #[inline(never)]
    fn paint(from: usize) -> usize {
        let top = (cortex_m::register::msp::read() as usize - 16) & !3;
        let bottom = from - DEPTH;
        let mut addr = bottom;
        while addr < top {
            // SAFETY: free stack below this function's frame (the RAM is 64 KiB, the program's
            // deepest use a few hundred bytes above it); word-aligned addresses.
            unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
            addr += 4;
        }
        bottom
    }

    /// Runs one forward pass on the first window and prints how many bytes of stack below its
    /// caller's frame it touched.
    pub fn report(uart: &mut Uart) {
        let Some(x) = dendrite_app_common::windows::<{ Model::INPUT }>(&TRACE).next() else {
            return;
        };
        let sp = cortex_m::register::msp::read() as usize;
        let bottom = paint(sp);
        core::hint::black_box(MODEL.predict(core::hint::black_box(&x)));
        let mut lowest = bottom;
        // SAFETY: the painted words, read back; nothing runs below this frame meanwhile.
        while lowest < sp && unsafe { core::ptr::read_volatile(lowest as *const u32) } == PAINT {
            lowest += 4;
        }
        uart.write(b"{\"network_ram_bytes\":");
        uart.write_u32((sp - lowest) as u32);
        let (ticks, empty_ticks) = cost();
        uart.write(b",\"passes\":");
        uart.write_u32(PASSES);
        uart.write(b",\"ticks\":");
        uart.write_u32(ticks);
        uart.write(b",\"empty_ticks\":");
        uart.write_u32(empty_ticks);
        uart.write(b"}\n");
    }

    /// Forward passes timed by [`cost`].
    const PASSES: u32 = 10_000;

    /// TIMER0 ticks (25 MHz) of [`PASSES`] forward passes on a zero input, then of an empty loop
    /// of as many turns. Under `qemu-system-arm -icount shift=0` (one instruction per virtual
    /// nanosecond) a tick is 40 instructions: instructions per inference are
    /// `(ticks - empty_ticks) × 40 / passes`, as `cargo xtask cost` counts the server firmware's.
    fn cost() -> (u32, u32) {
        const CTRL: usize = 0x4000_0000;
        const VALUE: usize = 0x4000_0004;
        const RELOAD: usize = 0x4000_0008;
        let now = || {
            // SAFETY: VALUE, a read-only register of the CMSDK timer TIMER0 of this board.
            unsafe { core::ptr::read_volatile(VALUE as *const u32) }
        };
        // SAFETY: TIMER0's CTRL, RELOAD and VALUE registers; nothing else uses the timer.
        unsafe {
            core::ptr::write_volatile(CTRL as *mut u32, 0);
            core::ptr::write_volatile(RELOAD as *mut u32, u32::MAX);
            core::ptr::write_volatile(VALUE as *mut u32, u32::MAX);
            core::ptr::write_volatile(CTRL as *mut u32, 1);
        }
        let x = [0.0f32; Model::INPUT];
        let start = now();
        for _ in 0..PASSES {
            core::hint::black_box(MODEL.predict(core::hint::black_box(&x)));
        }
        let middle = now();
        for _ in 0..PASSES {
            core::hint::black_box(core::hint::black_box(&x));
        }
        let end = now();
        // The timer counts down.
        (start.wrapping_sub(middle), middle.wrapping_sub(end))
    }
}

/// QEMU's mps2-an386 UART0, a CMSDK APB UART: polled, transmit only.
struct Uart;

impl Uart {
    const BASE: usize = 0x4000_4000;
    const DATA: usize = Self::BASE;
    const STATE: usize = Self::BASE + 0x04;
    const CTRL: usize = Self::BASE + 0x08;
    const BAUDDIV: usize = Self::BASE + 0x10;

    /// Enables the transmitter. Called once, from `main`.
    fn take() -> Self {
        // SAFETY: BAUDDIV and CTRL are 32-bit registers of UART0 on this board; nothing else in
        // the program touches the UART. 25 MHz / 217 is 115200 baud (QEMU refuses below 16).
        unsafe {
            core::ptr::write_volatile(Self::BAUDDIV as *mut u32, 217);
            core::ptr::write_volatile(Self::CTRL as *mut u32, 1);
        }
        Uart
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            // SAFETY: STATE and DATA are UART0's registers; bit 0 of STATE is "transmit full".
            unsafe {
                while core::ptr::read_volatile(Self::STATE as *const u32) & 1 != 0 {}
                core::ptr::write_volatile(Self::DATA as *mut u32, u32::from(b));
            }
        }
    }

    /// `n` in decimal.
    #[cfg(feature = "measure")]
    fn write_u32(&mut self, n: u32) {
        dendrite_app_common::write_decimal(&mut |b| self.write(b), n as usize);
    }
}

/// Ends the QEMU run with `status` (semihosting `SYS_EXIT_EXTENDED`); on a board without a
/// debugger, replace this with what your application does when it is done.
fn exit(status: u32) -> ! {
    let block = [0x20026usize, status as usize];
    // SAFETY: the parameter block is the two words SYS_EXIT_EXTENDED (0x20) reads, alive across
    // the call, which does not return under QEMU.
    unsafe {
        cortex_m_semihosting::syscall(0x20, &block);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(101)
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    exit(102)
}

extern "C" {
    /// cortex-m-rt's handler for exceptions nobody handles.
    fn DefaultHandler();
}

/// The device interrupt vectors: one, the least cortex-m-rt's linker script accepts (no
/// interrupt is enabled).
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); 1] = [DefaultHandler];
