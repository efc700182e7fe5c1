//! The stack: a guard at its end, so an overflow faults instead of running into other data, and
//! its high-water mark by painting (at boot the free stack is filled with a pattern, and the
//! lowest overwritten word tells how deep the stack ever grew).
//!
//! The guard is the lowest [`GUARD`] bytes of the stack region, chosen by the core's
//! architecture: an MPU region without access on ARMv7-M (M3, M4, M7), the stack limit register
//! `MSPLIM` on ARMv8-M (M33), none on ARMv6-M (M0, M0+). The first push into it faults, and the
//! HardFault handler ends the run. The board's `memory.x` may also place the stack below the
//! static data (mps2-an386 and microbit do), so that even without the guard an overflow leaves
//! RAM rather than overwriting `.data` and `.bss`.

/// The paint. Any value works; this one is easy to spot in a memory dump.
const PAINT: u32 = 0xDEAD_BEEF;
/// Bytes left unpainted below the stack pointer at the time of painting, so painting never
/// overwrites the frame of the function doing it.
const MARGIN: usize = 64;
/// Size of the guard: the smallest MPU region, which must also be aligned to its size.
const GUARD: usize = 32;

extern "C" {
    /// Lowest address of the stack, from `memory.x` or cortex-m-rt's link.x.
    static _stack_end: u32;
    /// Initial stack pointer (top of the stack region), from `memory.x` or cortex-m-rt's link.x.
    static _stack_start: u32;
}

/// The usable stack, above the guard: `(bottom, top)`.
fn bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their contents.
    let end = core::ptr::addr_of!(_stack_end) as usize;
    let top = core::ptr::addr_of!(_stack_start) as usize;
    (guard_base(end) + GUARD, top)
}

/// The guard's address: the stack's end rounded up to the guard's alignment.
const fn guard_base(stack_end: usize) -> usize {
    (stack_end + GUARD - 1) & !(GUARD - 1)
}

/// Fills the unused stack, from just above the guard up to just below the current stack
/// pointer, with the paint, then arms the guard. Called once, by [`crate::start`].
#[inline(never)]
pub fn paint() {
    let (bottom, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp.saturating_sub(MARGIN) & !3;
    let mut addr = bottom;
    while addr < top {
        // SAFETY: [bottom, sp - MARGIN) is RAM between the guard and the live part of the
        // stack: nothing else owns it yet, and the addresses are word-aligned.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
    arm_guard(bottom - GUARD);
}

/// Makes [`GUARD`] bytes at `base` inaccessible with MPU region 0 (ARMv7-M PMSA, B3.5 of the
/// ARMv7-M Architecture Reference Manual), through the `cortex-m` crate's MPU register block.
/// The default memory map stays in force elsewhere (`PRIVDEFENA`), and the MPU is off in the
/// HardFault handler (`HFNMIENA` clear), which can then end the run whatever the stack pointer.
/// A core without an MPU (`MPU_TYPE.DREGION` zero) gets no guard.
#[cfg(dendrite_arch = "v7m")]
fn arm_guard(base: usize) {
    const CTRL_ENABLE: u32 = 1;
    const CTRL_PRIVDEFENA: u32 = 1 << 2;
    // XN, AP = 0b000 (no access), SIZE = 4 (2^(4+1) = 32 bytes), ENABLE.
    const RASR_GUARD: u32 = (1 << 28) | (4 << 1) | 1;
    // SAFETY: MPU::PTR is the MPU's register block in the System Control Space, always mapped on
    // ARMv7-M; reading TYPE has no side effect.
    let mpu = unsafe { &*cortex_m::peripheral::MPU::PTR };
    let regions = (mpu._type.read() >> 8) & 0xFF;
    if regions == 0 {
        return;
    }
    // SAFETY: written once at boot, before any exception handler runs; region 0 covers only the
    // guard, which nothing uses, and everything else keeps the default memory map.
    unsafe {
        mpu.rnr.write(0);
        mpu.rbar.write(base as u32);
        mpu.rasr.write(RASR_GUARD);
        mpu.ctrl.write(CTRL_ENABLE | CTRL_PRIVDEFENA);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// Sets the main stack's limit register above the guard: ARMv8-M faults (STKOF) on any push
/// below it, exception entry included.
#[cfg(dendrite_arch = "v8m")]
fn arm_guard(base: usize) {
    // SAFETY: MSPLIM only bounds the stack pointer; the stack lives above the limit.
    unsafe { cortex_m::register::msplim::write((base + GUARD) as u32) };
}

/// ARMv6-M has no stack limit register, and the Cortex-M0 no MPU: no guard. Painting still
/// gives the high-water mark, and a board whose stack sits below its static data (the
/// micro:bit's `memory.x`) faults on an overflow anyway, on the unmapped address below RAM.
#[cfg(dendrite_arch = "v6m")]
fn arm_guard(_base: usize) {}

/// Deepest stack use since `paint`, in bytes, and the size of the usable stack.
pub fn high_water_mark() -> (u32, u32) {
    let (bottom, top) = bounds();
    let addr = lowest_touched(bottom, top);
    ((top - addr) as u32, (top - bottom) as u32)
}

/// The lowest word of the usable stack that is not paint: the deepest the stack has grown since
/// [`paint`] (the top when it never grew). Inlined, so that calling it after [`used_by`]'s `f`
/// leaves no frame of its own below the stack pointer.
#[inline(always)]
fn lowest_touched(bottom: usize, top: usize) -> usize {
    let mut addr = bottom;
    // SAFETY: [bottom, top) is the stack above the guard, in RAM, word-aligned; reading it
    // races with nothing (single core, no interrupt handlers).
    while addr < top && unsafe { core::ptr::read_volatile(addr as *const u32) } == PAINT {
        addr += 4;
    }
    addr
}

/// Runs `f` and returns how many bytes of stack it used below the caller's frame: the free
/// stack is painted just before, from the deepest mark left so far up to the current stack
/// pointer, and the lowest word `f` changed gives its depth. The high-water mark of
/// [`high_water_mark`] is kept: `f` either goes deeper than any use so far, and is the new mark,
/// or the former mark is written back.
///
/// `f` is called through a function that is never inlined, so everything it puts on the stack
/// (its frames, its locals, what it returns) lies below the stack pointer read here.
#[inline(never)]
pub fn used_by(f: &mut dyn FnMut()) -> u32 {
    let (bottom, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize & !3;
    let deepest = lowest_touched(bottom, sp);
    let mut addr = deepest;
    while addr < sp {
        // SAFETY: [deepest, sp) is free stack below this function's frame (this loop calls
        // nothing, so nothing else lives below the stack pointer), word-aligned.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
    call(f);
    let lowest = lowest_touched(bottom, sp);
    if deepest < lowest {
        // `f` stayed above the deepest use so far, whose mark the paint covered: written back.
        // SAFETY: `deepest` is a word of free stack below `f`'s reach, word-aligned.
        unsafe { core::ptr::write_volatile(deepest as *mut u32, !PAINT) };
    }
    (sp - lowest) as u32
}

/// Calls `f` in a frame of its own, below the stack pointer [`used_by`] read.
#[inline(never)]
fn call(f: &mut dyn FnMut()) {
    f();
}
