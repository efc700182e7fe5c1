//! A polled UART's byte loops, written once for every UART the runtime drives (the CMSDK UART of
//! the MPS2 boards, the nRF51's): a driver says whether a byte waits and whether the transmitter
//! takes one ([`Port`]); [`Polled`] makes that the `embedded-io` reader and writer the
//! application speaks, and the `embedded-hal-nb` serial port.

use core::convert::Infallible;
use embedded_hal_nb::nb;

/// A UART's registers, as the byte loops of [`Polled`] need them.
pub trait Port {
    /// Whether a received byte waits to be taken.
    fn rx_ready(&self) -> bool;

    /// Takes the waiting byte. Called only when [`rx_ready`](Self::rx_ready) said one waits.
    fn read_byte(&self) -> u8;

    /// Whether the transmitter takes a byte now (and, when it takes none, is still sending).
    fn tx_ready(&self) -> bool;

    /// Hands the transmitter one byte. Called only when [`tx_ready`](Self::tx_ready) said it
    /// takes one; a UART that can only be polled for the end of a byte waits for it here.
    fn write_byte(&self, byte: u8);
}

/// A UART driven by polling its [`Port`]: no interrupts, no buffering beyond the hardware's.
pub struct Polled<P>(P);

impl<P: Port> Polled<P> {
    /// The UART of `port`, set up by its driver.
    pub const fn new(port: P) -> Self {
        Self(port)
    }
}

impl<P> embedded_io::ErrorType for Polled<P> {
    type Error = Infallible;
}

impl<P: Port> embedded_io::Read for Polled<P> {
    /// Blocks until at least one byte arrived, then takes what is there without waiting more.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.0.rx_ready() {}
        let mut n = 0;
        for slot in buf.iter_mut() {
            if n > 0 && !self.0.rx_ready() {
                break;
            }
            *slot = self.0.read_byte();
            n += 1;
        }
        Ok(n)
    }
}

impl<P: Port> embedded_io::ReadReady for Polled<P> {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.0.rx_ready())
    }
}

impl<P: Port> embedded_io::Write for Polled<P> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for &byte in buf {
            while !self.0.tx_ready() {}
            self.0.write_byte(byte);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        while !self.0.tx_ready() {}
        Ok(())
    }
}

impl<P: Port> embedded_io::WriteReady for Polled<P> {
    fn write_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.0.tx_ready())
    }
}

impl<P> embedded_hal_nb::serial::ErrorType for Polled<P> {
    type Error = Infallible;
}

impl<P: Port> embedded_hal_nb::serial::Read<u8> for Polled<P> {
    fn read(&mut self) -> nb::Result<u8, Infallible> {
        if self.0.rx_ready() {
            Ok(self.0.read_byte())
        } else {
            Err(nb::Error::WouldBlock)
        }
    }
}

impl<P: Port> embedded_hal_nb::serial::Write<u8> for Polled<P> {
    fn write(&mut self, word: u8) -> nb::Result<(), Infallible> {
        if self.0.tx_ready() {
            self.0.write_byte(word);
            Ok(())
        } else {
            Err(nb::Error::WouldBlock)
        }
    }

    fn flush(&mut self) -> nb::Result<(), Infallible> {
        if self.0.tx_ready() {
            Ok(())
        } else {
            Err(nb::Error::WouldBlock)
        }
    }
}

#[cfg(test)]
mod tests;
