//! Dendrite's firmware runtime, the same on every board: the only crate of the firmware with
//! `unsafe` code, each block with its `// SAFETY:` argument.
//!
//! - [`start`], the start of every board's `main`: paints the stack and arms its guard;
//! - [`stack`]: the guard at the stack's end, chosen by architecture (an MPU region on
//!   ARMv7-M, `MSPLIM` on ARMv8-M, none on ARMv6-M), and the high-water mark by painting;
//! - [`weights_region`]: the WEIGHTS flash region of the board's memory map;
//! - the panic handler and the HardFault handler: both end a QEMU run (or a probe-rs session)
//!   through semihosting with a non-zero status ([`exit`]), or stop the core ([`halt`]);
//! - for the emulated boards, their UART and tick counter ([`emulated`]), the UART's byte loops
//!   written once over its registers ([`polled`]);
//! - the int8 inner products of a fully-connected layer ([`int8`]), an assembly loop per core
//!   (the DSP extension's `SMLAD` on the Cortex-M4, M7 and M33, `MLA` on the M3, `MULS` on the
//!   M0), bit for bit the portable loop's.
//!
//! The board is one of the table's (`dendrite_boards::BOARDS`), chosen by a `board-<name>`
//! feature or the target (`build.rs`), which also writes its `memory.x`: a binary needs only
//! `-Tlink.x` (`cargo::rustc-link-arg-bins=-Tlink.x` in its build script).
#![no_std]
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

#[cfg(target_os = "none")]
pub mod emulated;
#[cfg(target_os = "none")]
pub mod exit;
pub mod int8;
pub mod polled;
#[cfg(target_os = "none")]
pub mod stack;

#[cfg(all(target_os = "none", dendrite_uart = "cmsdk"))]
mod cmsdk;
#[cfg(all(target_os = "none", dendrite_uart = "nrf51"))]
mod nrf51;

pub use dendrite_boards as boards;

/// The board this image is built for, from the table.
pub const BOARD: &dendrite_boards::Board = match dendrite_boards::board(env!("DENDRITE_BOARD")) {
    Some(board) => board,
    None => panic!("build.rs chose a board the table does not have"),
};

/// The board's name, as the firmware reports it.
pub const NAME: &str = BOARD.name;
/// Frequency of the board's tick counter.
pub const TICK_HZ: u32 = BOARD.tick_hz;

/// The start of every board's `main`: paints the free stack (for [`stack::high_water_mark`])
/// and arms the stack guard the core's architecture has. Call first thing in `main`.
#[cfg(target_os = "none")]
pub fn start() {
    stack::paint();
}

#[cfg(target_os = "none")]
extern "C" {
    static __weights_start: u8;
    static __weights_end: u8;
}

/// The WEIGHTS flash region (see the board's `memory.x`), whole: the model file sits at its
/// start.
#[cfg(target_os = "none")]
pub fn weights_region() -> &'static [u8] {
    // SAFETY: memory.x defines [__weights_start, __weights_end) as the board's WEIGHTS region:
    // flash (or code memory) that is readable, never written by the firmware, and where nothing
    // is linked, so no Rust object aliases it mutably and the slice lives as long as the program.
    unsafe {
        let start = core::ptr::addr_of!(__weights_start);
        let end = core::ptr::addr_of!(__weights_end) as usize;
        core::slice::from_raw_parts(start, end - start as usize)
    }
}

/// Stops the core for good (a debugger attached sees where).
#[cfg(target_os = "none")]
pub fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

#[cfg(all(target_os = "none", dendrite_emulated))]
extern "C" {
    /// cortex-m-rt's handler for exceptions nobody handles.
    fn DefaultHandler();
}

/// The emulated boards' device interrupt vectors: one, the least cortex-m-rt's linker script
/// accepts. The firmware polls its UART and timer and never enables an interrupt in the NVIC, so
/// none can be taken. Without this table cortex-m-rt would emit 240 default entries (960 bytes
/// of flash). A real board's PAC supplies its own table.
#[cfg(all(target_os = "none", dendrite_emulated))]
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); 1] = [DefaultHandler];

/// The RP2040's second-stage bootloader: the boot ROM copies these 256 bytes (with their CRC)
/// from the start of flash to RAM and runs them to set up execute-in-place from the QSPI flash.
/// The board's `memory.x` puts `.boot2` in its BOOT2 region.
#[cfg(all(target_os = "none", feature = "board-rp-pico"))]
#[link_section = ".boot2"]
#[no_mangle]
#[used]
pub static BOOT2_FIRMWARE: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

// The HardFault handler: ends the run with a non-zero status, so a HardFault never hangs the
// emulator. It first moves the stack pointer back to the top of the stack, then calls
// `exit::exit_after_fault`: after a stack overflow on a core without a guard (ARMv6-M), the
// stack pointer is below RAM, and a handler that pushed there would fault again, which is a
// lockup (QEMU aborts). It defines cortex-m-rt's `HardFault` symbol, which the vector table
// names, in place of the `#[exception]` macro's Rust function (whose prologue pushes).
//
// SAFETY: the handler never returns, so discarding the interrupted stack is sound; it uses
// only r0 and the stack pointer before calling a Rust function that takes no argument, with
// the stack pointer 8-byte aligned (`_stack_start` is) at a valid stack top.
#[cfg(target_os = "none")]
core::arch::global_asm!(
    ".section .text.HardFault,\"ax\",%progbits",
    ".global HardFault",
    ".type HardFault,%function",
    ".thumb_func",
    "HardFault:",
    "    ldr r0, =_stack_start",
    "    mov sp, r0",
    "    bl {exit}",
    "    .ltorg",
    exit = sym exit::exit_after_fault_entry,
);

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // No message: formatting would pull in core::fmt (kilobytes of flash). The status says it.
    exit::exit(exit::STATUS_PANIC)
}

/// Provokes a HardFault (for the test that proves a fault ends the run non-zero).
#[cfg(all(target_os = "none", feature = "fault-injection"))]
pub fn force_hard_fault() -> ! {
    cortex_m::asm::udf()
}

/// Recurses until the stack overflows (for the test that proves an overflow faults instead of
/// running into the static data).
#[cfg(all(target_os = "none", feature = "fault-injection"))]
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
