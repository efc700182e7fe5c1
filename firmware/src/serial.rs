//! A serial port out of the halves most HALs split their UARTs into: a receiver that yields one
//! byte at a time (`embedded-hal-nb`) and a transmitter that writes slices (`embedded-io`).

use embedded_hal_nb::nb;
use embedded_hal_nb::serial::Read as ReadByte;
use embedded_io::{ErrorType, Read, Write};

/// A UART's receiver and transmitter as one [`embedded_io`] port, for [`Server::serve`].
///
/// A receive error (framing, noise, overrun) reads as the frame delimiter, byte 0: the frame it
/// damaged ends there and gets its one error response, and serving goes on.
///
/// [`Server::serve`]: crate::Server::serve
#[derive(Debug)]
pub struct SplitSerial<R, W> {
    /// The receiver.
    pub rx: R,
    /// The transmitter.
    pub tx: W,
}

impl<R, W: ErrorType> ErrorType for SplitSerial<R, W> {
    type Error = W::Error;
}

impl<R: ReadByte<u8>, W: ErrorType> SplitSerial<R, W> {
    /// The next byte, waiting for it; 0 after a receive error.
    fn byte(&mut self) -> nb::Result<u8, W::Error> {
        match self.rx.read() {
            Ok(byte) => Ok(byte),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(_)) => Ok(0),
        }
    }
}

impl<R: ReadByte<u8>, W: ErrorType> Read for SplitSerial<R, W> {
    /// Blocks until at least one byte arrived, then takes what is there without waiting more.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, W::Error> {
        let mut n = 0;
        for slot in buf.iter_mut() {
            let byte = if n == 0 {
                nb::block!(self.byte())?
            } else {
                match self.byte() {
                    Ok(byte) => byte,
                    Err(nb::Error::WouldBlock) => break,
                    Err(nb::Error::Other(e)) => return Err(e),
                }
            };
            *slot = byte;
            n += 1;
        }
        Ok(n)
    }
}

impl<R, W: Write> Write for SplitSerial<R, W> {
    /// Blocks until the transmitter took at least one byte. Some HALs' transmitters (as
    /// stm32f4xx-hal's) answer `Ok(0)` while busy; `write_all` would take that for a closed
    /// port, so they are asked again.
    fn write(&mut self, buf: &[u8]) -> Result<usize, W::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.tx.write(buf)?;
            if n > 0 {
                return Ok(n);
            }
        }
    }

    fn flush(&mut self) -> Result<(), W::Error> {
        self.tx.flush()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::convert::Infallible;
    use std::{vec, vec::Vec};

    /// A receiver with a script: a byte, "nothing yet", or a line error, in turn.
    struct Script(Vec<nb::Result<u8, ()>>);

    impl embedded_hal_nb::serial::ErrorType for Script {
        type Error = embedded_hal_nb::serial::ErrorKind;
    }

    impl ReadByte<u8> for Script {
        fn read(&mut self) -> nb::Result<u8, Self::Error> {
            if self.0.is_empty() {
                return Err(nb::Error::WouldBlock);
            }
            self.0
                .remove(0)
                .map_err(|e| e.map(|()| embedded_hal_nb::serial::ErrorKind::FrameFormat))
        }
    }

    /// A transmitter that keeps what it is given, one byte at a time, busy every other call.
    #[derive(Default)]
    struct Sink(Vec<u8>, bool);

    impl ErrorType for Sink {
        type Error = Infallible;
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
            self.1 = !self.1;
            if self.1 {
                return Ok(0);
            }
            self.0.extend(buf.first());
            Ok(buf.len().min(1))
        }
        fn flush(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    #[test]
    fn reads_what_is_there_waiting_only_for_the_first_byte() {
        let script = vec![
            Err(nb::Error::WouldBlock),
            Ok(7),
            Ok(8),
            Err(nb::Error::WouldBlock),
        ];
        let mut serial = SplitSerial {
            rx: Script(script),
            tx: Sink::default(),
        };
        let mut buf = [0u8; 4];
        assert_eq!(serial.read(&mut buf), Ok(2));
        assert_eq!(buf[..2], [7, 8]);
    }

    #[test]
    fn a_line_error_reads_as_a_frame_delimiter() {
        let script = vec![Ok(5), Err(nb::Error::Other(())), Ok(6)];
        let mut serial = SplitSerial {
            rx: Script(script),
            tx: Sink::default(),
        };
        let mut buf = [9u8; 3];
        assert_eq!(serial.read(&mut buf), Ok(3));
        assert_eq!(buf, [5, 0, 6]);
        // write_all over a transmitter that is busy every other call: no Ok(0) reaches it.
        assert_eq!(serial.write_all(b"ok"), Ok(()));
        assert_eq!(serial.tx.0, b"ok");
    }
}
