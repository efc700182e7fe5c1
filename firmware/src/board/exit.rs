//! Ending a QEMU run with a status code, through ARM semihosting.

/// `SYS_EXIT_EXTENDED`: like `SYS_EXIT`, but the sub-code reaches the host, so QEMU exits with
/// any status, not just 0 or 1 (ARM semihosting specification, 6.5).
const SYS_EXIT_EXTENDED: usize = 0x20;
/// `ADP_Stopped_ApplicationExit`: the reason code for a normal application exit.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;

/// Ends the QEMU run after a HardFault with [`STATUS_HARD_FAULT`]. Its parameter block is in
/// flash, not on the stack: after a stack overflow the stack pointer is past the stack.
pub fn exit_after_fault() -> ! {
    static BLOCK: [usize; 2] = [ADP_STOPPED_APPLICATION_EXIT, STATUS_HARD_FAULT as usize];
    // SAFETY: as in `exit`; the block is a static, valid for the whole run.
    unsafe {
        cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &BLOCK);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

/// Ends the QEMU run with `status` as the process exit code. Spins if no debugger or emulator
/// answers the semihosting call (on a real board without a probe the call itself faults, and the
/// HardFault handler ends here again, so the core stops instead of running on).
pub fn exit(status: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, status as usize];
    // SAFETY: the parameter block is the two words SYS_EXIT_EXTENDED reads; it lives across the
    // call, and the call does not return under QEMU.
    unsafe {
        cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

/// Exit status of a run ended by a panic.
pub const STATUS_PANIC: u32 = 101;
/// Exit status of a run ended by a HardFault.
pub const STATUS_HARD_FAULT: u32 = 102;
