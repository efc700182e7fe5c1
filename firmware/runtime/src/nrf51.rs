//! Drivers for the Nordic nRF51 UART and TIMER, as the micro:bit (nRF51822) has them.
//! Register map: nRF51 Series Reference Manual v3.0, chapters 29 (UART) and 18 (TIMER). Tasks
//! are triggered by writing 1; events are set by the peripheral and cleared by writing 0.

use core::ptr::{read_volatile, write_volatile};

/// Offsets of the UART registers from its base address.
mod uart_reg {
    pub const TASKS_STARTRX: usize = 0x000;
    pub const TASKS_STARTTX: usize = 0x008;
    pub const EVENTS_RXDRDY: usize = 0x108;
    pub const EVENTS_TXDRDY: usize = 0x11C;
    pub const ENABLE: usize = 0x500;
    pub const PSELTXD: usize = 0x50C;
    pub const PSELRXD: usize = 0x514;
    pub const RXD: usize = 0x518;
    pub const TXD: usize = 0x51C;
    pub const BAUDRATE: usize = 0x524;
    /// ENABLE: the UART (as opposed to disabled, 0).
    pub const ENABLE_ENABLED: u32 = 4;
    /// BAUDRATE: 115200 baud.
    pub const BAUD_115200: u32 = 0x01D7_E000;
    /// The micro:bit's interface MCU link: TX on P0.24, RX on P0.25.
    pub const PIN_TX: u32 = 24;
    pub const PIN_RX: u32 = 25;
}

/// The nRF51 UART's registers: a byte is read when `EVENTS_RXDRDY` says one waits in `RXD` (the
/// receiver holds up to six), written by waiting for `EVENTS_TXDRDY` after each `TXD` write (the
/// byte loops are [`Polled`](crate::polled::Polled)'s).
pub struct Uart {
    base: usize,
}

impl Uart {
    /// Takes the UART at `base`: pins, 115200 baud, enabled, receiver and transmitter started.
    ///
    /// # Safety
    /// `base` must be the base address of an nRF51 UART, and no other code may use that UART
    /// while the returned value lives.
    pub(crate) unsafe fn new(base: usize) -> Self {
        use uart_reg::*;
        let uart = Self { base };
        uart.write_reg(PSELTXD, PIN_TX);
        uart.write_reg(PSELRXD, PIN_RX);
        uart.write_reg(BAUDRATE, BAUD_115200);
        uart.write_reg(ENABLE, ENABLE_ENABLED);
        uart.write_reg(EVENTS_RXDRDY, 0);
        uart.write_reg(EVENTS_TXDRDY, 0);
        uart.write_reg(TASKS_STARTRX, 1);
        uart.write_reg(TASKS_STARTTX, 1);
        uart
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract makes `base` an nRF51 UART owned by `self`; every offset used
        // is one of its 32-bit registers, so the address is valid, aligned and device memory.
        unsafe { read_volatile((self.base + offset) as *const u32) }
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: as in `read_reg`; writing a task, an event or a configuration register has no
        // effect on memory.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }
}

impl crate::polled::Port for Uart {
    fn rx_ready(&self) -> bool {
        self.read_reg(uart_reg::EVENTS_RXDRDY) != 0
    }

    /// Takes the waiting byte: the event is cleared first, and set again by the peripheral if
    /// another byte waits behind this one.
    fn read_byte(&self) -> u8 {
        self.write_reg(uart_reg::EVENTS_RXDRDY, 0);
        // RXD is 8 bits wide; the upper bits read as zero.
        self.read_reg(uart_reg::RXD) as u8
    }

    /// Always: [`write_byte`](crate::polled::Port::write_byte) returns once the byte is out.
    fn tx_ready(&self) -> bool {
        true
    }

    /// Writes `TXD` and waits for `EVENTS_TXDRDY`: the event is the only word of the byte's end.
    fn write_byte(&self, byte: u8) {
        self.write_reg(uart_reg::EVENTS_TXDRDY, 0);
        self.write_reg(uart_reg::TXD, u32::from(byte));
        while self.read_reg(uart_reg::EVENTS_TXDRDY) == 0 {}
    }
}

/// Offsets of the TIMER registers from its base address.
mod timer_reg {
    pub const TASKS_START: usize = 0x000;
    pub const TASKS_STOP: usize = 0x004;
    pub const TASKS_CLEAR: usize = 0x00C;
    pub const TASKS_CAPTURE0: usize = 0x040;
    pub const MODE: usize = 0x504;
    pub const BITMODE: usize = 0x508;
    pub const PRESCALER: usize = 0x510;
    pub const CC0: usize = 0x540;
    /// MODE: timer (as opposed to counter, 1).
    pub const MODE_TIMER: u32 = 0;
    /// BITMODE: 32 bits.
    pub const BITMODE_32: u32 = 3;
}

/// An nRF51 TIMER run as a free-running 32-bit counter at 16 MHz (prescaler 0; under
/// `qemu-system-arm -icount shift=0` one tick is 62.5 instructions), read through capture
/// register 0.
pub struct Timer {
    base: usize,
}

impl Timer {
    /// Takes the timer at `base`, sets it up and starts it from zero.
    ///
    /// # Safety
    /// `base` must be the base address of an nRF51 TIMER that no other code uses while the
    /// returned value lives.
    pub(crate) unsafe fn new(base: usize) -> Self {
        use timer_reg::*;
        let timer = Self { base };
        timer.write_reg(TASKS_STOP, 1);
        timer.write_reg(MODE, MODE_TIMER);
        timer.write_reg(BITMODE, BITMODE_32);
        timer.write_reg(PRESCALER, 0);
        timer.write_reg(TASKS_CLEAR, 1);
        timer.write_reg(TASKS_START, 1);
        timer
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: `new`'s contract makes `base` an nRF51 TIMER owned by `self`; the offsets are
        // its 32-bit registers.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }

    /// The ticks counted since `new`, wrapping.
    pub fn now(&mut self) -> u32 {
        self.write_reg(timer_reg::TASKS_CAPTURE0, 1);
        // SAFETY: as in `write_reg`; CC[0] holds the count the capture task just copied.
        unsafe { read_volatile((self.base + timer_reg::CC0) as *const u32) }
    }
}
