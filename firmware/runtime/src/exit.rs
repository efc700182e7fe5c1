//! Ending a run with a status code, through ARM semihosting: QEMU exits with it, and so does
//! `probe-rs run` on a real board. A real board without a debugger has nobody to answer the
//! semihosting call (the `BKPT` would fault), so there the core just stops ([`crate::halt`]).

/// `SYS_EXIT_EXTENDED`: like `SYS_EXIT`, but the sub-code reaches the host, so QEMU exits with
/// any status, not just 0 or 1 (ARM semihosting specification, 6.5).
const SYS_EXIT_EXTENDED: usize = 0x20;
/// `ADP_Stopped_ApplicationExit`: the reason code for a normal application exit.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;

/// Ends the QEMU run after a HardFault with [`STATUS_HARD_FAULT`]. Its parameter block is in
/// flash, not on the stack: after a stack overflow the stack pointer is past the stack.
pub fn exit_after_fault() -> ! {
    static BLOCK: [usize; 2] = [ADP_STOPPED_APPLICATION_EXIT, STATUS_HARD_FAULT as usize];
    if semihosting_answers() {
        // SAFETY: as in `exit`; the block is a static, valid for the whole run.
        unsafe {
            cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &BLOCK);
        }
    }
    crate::halt()
}

/// [`exit_after_fault`] for the HardFault handler's `bl`, with the C calling convention.
pub extern "C" fn exit_after_fault_entry() -> ! {
    exit_after_fault()
}

/// Whether a semihosting call is answered: always under QEMU; on silicon only with a debugger
/// attached (`DHCSR.C_DEBUGEN`, readable by software from ARMv7-M on; an ARMv6-M board stops
/// without asking).
fn semihosting_answers() -> bool {
    #[cfg(dendrite_emulated)]
    return true;
    #[cfg(all(not(dendrite_emulated), not(dendrite_arch = "v6m")))]
    return cortex_m::peripheral::DCB::is_debugger_attached();
    #[cfg(all(not(dendrite_emulated), dendrite_arch = "v6m"))]
    return false;
}

/// Ends the run with `status` as the exit code of QEMU (or of `probe-rs run`); stops the core
/// when nobody answers semihosting.
pub fn exit(status: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, status as usize];
    if semihosting_answers() {
        // SAFETY: the parameter block is the two words SYS_EXIT_EXTENDED reads; it lives across
        // the call, and the call does not return under QEMU.
        unsafe {
            cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block);
        }
    }
    crate::halt()
}

/// Exit status of a run ended by a panic.
pub const STATUS_PANIC: u32 = 101;
/// Exit status of a run ended by a HardFault.
pub const STATUS_HARD_FAULT: u32 = 102;
