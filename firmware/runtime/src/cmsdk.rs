//! Drivers for the ARM CMSDK APB peripherals that the MPS2 boards (AN385, AN386, AN500) share:
//! the UART and the 32-bit timer. Register map: ARM DDI 0479 (Cortex-M System Design Kit TRM),
//! "APB UART" and "APB timer".

use core::ptr::{read_volatile, write_volatile};

/// Offsets of the UART registers from its base address.
mod uart_reg {
    pub const DATA: usize = 0x00;
    pub const STATE: usize = 0x04;
    pub const CTRL: usize = 0x08;
    pub const BAUDDIV: usize = 0x10;
    /// STATE bit 0: the transmit buffer is full.
    pub const STATE_TX_FULL: u32 = 1 << 0;
    /// STATE bit 1: the receive buffer holds a byte.
    pub const STATE_RX_FULL: u32 = 1 << 1;
    pub const CTRL_TX_EN: u32 = 1 << 0;
    pub const CTRL_RX_EN: u32 = 1 << 1;
}

/// A CMSDK APB UART's registers: one byte each way (the byte loops are
/// [`Polled`](crate::polled::Polled)'s).
pub struct Uart {
    base: usize,
}

impl Uart {
    /// Takes the UART at `base`, enables its transmitter and receiver.
    ///
    /// # Safety
    /// `base` must be the base address of a CMSDK APB UART, and no other code may use that UART
    /// while the returned value lives.
    pub(crate) unsafe fn new(base: usize) -> Self {
        let uart = Self { base };
        // QEMU rejects a divider below 16; the baud rate itself does not matter under emulation,
        // and on silicon 25 MHz / 217 is 115200 baud.
        uart.write_reg(uart_reg::BAUDDIV, 217);
        uart.write_reg(uart_reg::CTRL, uart_reg::CTRL_TX_EN | uart_reg::CTRL_RX_EN);
        uart
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract makes `base` a CMSDK UART owned by `self`; every offset used is
        // one of its 32-bit registers, so the address is valid, aligned and device memory.
        unsafe { read_volatile((self.base + offset) as *const u32) }
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: as in `read_reg`; writing DATA/CTRL/BAUDDIV has no effect on memory.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }
}

impl crate::polled::Port for Uart {
    fn rx_ready(&self) -> bool {
        self.read_reg(uart_reg::STATE) & uart_reg::STATE_RX_FULL != 0
    }

    fn read_byte(&self) -> u8 {
        // The data register is 8 bits wide; the upper bits read as zero.
        self.read_reg(uart_reg::DATA) as u8
    }

    fn tx_ready(&self) -> bool {
        self.read_reg(uart_reg::STATE) & uart_reg::STATE_TX_FULL == 0
    }

    fn write_byte(&self, byte: u8) {
        self.write_reg(uart_reg::DATA, u32::from(byte));
    }
}

/// Offsets of the timer registers from its base address.
mod timer_reg {
    pub const CTRL: usize = 0x00;
    pub const VALUE: usize = 0x04;
    pub const RELOAD: usize = 0x08;
    pub const CTRL_ENABLE: u32 = 1 << 0;
}

/// A CMSDK APB timer run as a free-running 32-bit tick counter at the board's system clock
/// (25 MHz on the AN385/AN386/AN500: under `qemu-system-arm -icount shift=0` one tick is 40
/// instructions; 20 MHz on the AN505: 50 instructions).
pub struct Timer {
    base: usize,
}

impl Timer {
    /// Takes the timer at `base` and starts it counting from its maximum.
    ///
    /// # Safety
    /// `base` must be the base address of a CMSDK APB timer that no other code uses while the
    /// returned value lives.
    pub(crate) unsafe fn new(base: usize) -> Self {
        let timer = Self { base };
        timer.write_reg(timer_reg::CTRL, 0);
        timer.write_reg(timer_reg::RELOAD, u32::MAX);
        timer.write_reg(timer_reg::VALUE, u32::MAX);
        timer.write_reg(timer_reg::CTRL, timer_reg::CTRL_ENABLE);
        timer
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: `new`'s contract makes `base` a CMSDK timer owned by `self`; the offsets are
        // its 32-bit registers.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }
}

impl Timer {
    /// The ticks counted since `new`, wrapping.
    pub fn now(&mut self) -> u32 {
        // SAFETY: as in `write_reg`; VALUE is a read-only view of the counter.
        let value = unsafe { read_volatile((self.base + timer_reg::VALUE) as *const u32) };
        // The hardware counts down; report a count that goes up.
        u32::MAX - value
    }
}
