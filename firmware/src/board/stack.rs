//! Stack high-water mark by painting: at boot the free stack is filled with a pattern, and the
//! lowest overwritten word tells how deep the stack ever grew.

/// The paint. Any value works; this one is easy to spot in a memory dump.
const PAINT: u32 = 0xDEAD_BEEF;
/// Bytes left unpainted below the stack pointer at the time of painting, so painting never
/// overwrites the frame of the function doing it.
const MARGIN: usize = 64;

extern "C" {
    /// Lowest address of the stack (end of the static data), from cortex-m-rt's link.x.
    static _stack_end: u32;
    /// Initial stack pointer (top of RAM), from cortex-m-rt's link.x.
    static _stack_start: u32;
}

fn bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their contents.
    (
        core::ptr::addr_of!(_stack_end) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// Fills the unused stack, from the end of the static data up to just below the current stack
/// pointer, with the paint. Call once, early in `main`.
#[inline(never)]
pub fn paint() {
    let (bottom, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp.saturating_sub(MARGIN) & !3;
    let mut addr = bottom;
    while addr < top {
        // SAFETY: [bottom, sp - MARGIN) is RAM between the end of the statics and the live part of
        // the stack: nothing else owns it yet, and the addresses are word-aligned.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
}

/// Deepest stack use since `paint`, in bytes, and the size of the stack region.
pub fn high_water_mark() -> (u32, u32) {
    let (bottom, top) = bounds();
    let mut addr = bottom;
    while addr < top {
        // SAFETY: [bottom, top) is the stack region in RAM, word-aligned; reading it races with
        // nothing (single core, no interrupt handlers).
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != PAINT {
            break;
        }
        addr += 4;
    }
    ((top - addr) as u32, (top - bottom) as u32)
}
