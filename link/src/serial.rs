//! Real boards on a serial port.

use crate::{Link, LinkError};
use std::time::Duration;

/// A board's serial port, as [`open_serial`] opens it.
pub type SerialPort = Box<dyn serialport::SerialPort>;

/// Opens `port` (e.g. `/dev/ttyACM0`) at `baud`, with `timeout` for every read, as a [`Link`].
///
/// # Errors
/// [`LinkError::Open`] when the port cannot be opened.
pub fn open_serial(
    port: &str,
    baud: u32,
    timeout: Duration,
) -> Result<Link<SerialPort>, LinkError> {
    let serial = serialport::new(port, baud)
        .timeout(timeout)
        .open()
        .map_err(|source| LinkError::Open {
            port: port.to_owned(),
            baud,
            source,
        })?;
    Ok(Link::new(serial))
}
