//! The HAL's blocking UARTE as an `embedded-io` 0.6 port (the HAL implements 0.7's traits, on
//! split halves with static buffers; the application speaks 0.6).

use nrf_hal_common::uarte::{Instance, Uarte};

/// A UARTE transfer failed.
#[derive(Debug)]
pub struct TransferError;

impl embedded_io::Error for TransferError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

/// The UARTE, one byte at a time in, in RAM-buffered chunks out (EasyDMA reads only RAM).
pub struct Serial<T: Instance>(pub Uarte<T>);

impl<T: Instance> embedded_io::ErrorType for Serial<T> {
    type Error = TransferError;
}

impl<T: Instance> embedded_io::Read for Serial<T> {
    /// Waits for one byte. A receive error (framing, overrun) reads as the frame delimiter,
    /// byte 0: the damaged frame gets its one error response and serving goes on.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, TransferError> {
        let Some(slot) = buf.first_mut() else {
            return Ok(0);
        };
        let mut byte = [0u8; 1];
        *slot = match self.0.read(&mut byte) {
            Ok(()) => byte[0],
            Err(_) => 0,
        };
        Ok(1)
    }
}

impl<T: Instance> embedded_io::Write for Serial<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, TransferError> {
        let mut chunk = [0u8; 64];
        for part in buf.chunks(chunk.len()) {
            let staged = chunk.get_mut(..part.len()).ok_or(TransferError)?;
            staged.copy_from_slice(part);
            self.0.write(staged).map_err(|_| TransferError)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), TransferError> {
        Ok(())
    }
}
