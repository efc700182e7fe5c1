//! Requests out, responses in, one at a time.

use dendrite_core::format::Architecture;
use dendrite_core::protocol::{
    self, CostReport, DeviceError, DeviceInfo, FrameError, FrameReceiver, Limits, Prediction,
    Request, Response, SelfCheckReport,
};
use std::io::{self, Read, Write};

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Reading from or writing to the port failed.
    #[error("serial link: {0}")]
    Io(#[from] io::Error),
    /// A serial port could not be opened.
    #[error("opening serial port {port} at {baud} baud: {source}")]
    Open {
        /// The port's name.
        port: String,
        /// The baud rate asked for.
        baud: u32,
        /// Why it failed.
        source: serialport::Error,
    },
    /// The device did not answer in time.
    #[error("the device did not answer in time")]
    Timeout,
    /// The port closed (the device or emulator stopped).
    #[error("the device closed the link (did it stop or crash?)")]
    Closed,
    /// The device answered with bytes that are not a valid response frame.
    #[error("the device sent an invalid frame ({0})")]
    BadFrame(FrameError),
    /// The device refused the request.
    #[error("the device refused the request: {0}")]
    Device(DeviceError),
    /// The device answered with a response of the wrong kind.
    #[error("the device answered {0} to a {1} request")]
    Unexpected(&'static str, &'static str),
    /// The device speaks another version of the protocol than this host: its answers cannot
    /// be read.
    #[error(
        "the device's firmware speaks protocol version {device}, this dendrite speaks version \
         {host}: build and flash the firmware from this version of dendrite"
    )]
    ProtocolMismatch {
        /// The device's [`PROTOCOL_VERSION`](dendrite_core::protocol::PROTOCOL_VERSION).
        device: u16,
        /// This host's.
        host: u16,
    },
    /// An input has more values than the device's model takes (its frames would not hold it).
    #[error("an input has {found} values; the device's model takes {width}")]
    InputTooWide {
        /// The input's values.
        found: usize,
        /// The device's input width.
        width: usize,
    },
}

/// The host side of the serial link, over any byte stream.
///
/// Sends one request, reads exactly one response. The port's own timeout (an
/// [`io::ErrorKind::TimedOut`] or [`io::ErrorKind::WouldBlock`] from `read`) becomes
/// [`LinkError::Timeout`].
///
/// Its frame bounds are the device's [`Limits`], which follow from the architecture the
/// firmware was built for: learned from the first [`info`](Self::info) (asked for by the first
/// prediction if need be) or given with [`set_architecture`](Self::set_architecture).
pub struct Link<P> {
    port: P,
    limits: Option<Limits>,
    rx: FrameReceiver<Vec<u8>>,
}

impl<P: Read + Write> Link<P> {
    /// A link over `port`.
    pub fn new(port: P) -> Self {
        Self {
            port,
            limits: None,
            // Until the architecture is known: room for every answer but predictions.
            rx: FrameReceiver::with_buffer(vec![0; Limits::new(0, 0).frame]),
        }
    }

    /// Sizes the link for a firmware built for `architecture`.
    pub fn set_architecture(&mut self, architecture: &Architecture) {
        let limits = Limits::for_architecture(architecture);
        if self.limits != Some(limits) {
            self.rx = FrameReceiver::with_buffer(vec![0; limits.frame]);
            self.limits = Some(limits);
        }
    }

    /// The device's limits, asking for its architecture if it is not known yet.
    ///
    /// # Errors
    /// As [`info`](Self::info).
    pub fn limits(&mut self) -> Result<Limits, LinkError> {
        match self.limits {
            Some(limits) => Ok(limits),
            None => {
                self.info()?;
                Ok(self.limits.unwrap_or(Limits::new(0, 0)))
            }
        }
    }

    fn frame_len(&self) -> usize {
        self.limits.unwrap_or(Limits::new(0, 0)).frame
    }

    /// The port.
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Sends `request` and waits for its response (which may be [`Response::Error`]).
    ///
    /// # Errors
    /// I/O errors, a timeout, a closed port or an invalid frame from the device.
    pub fn request(&mut self, request: &Request) -> Result<Response, LinkError> {
        // A leading terminator closes whatever partial frame the device may hold.
        let mut wire = vec![0; 1 + self.frame_len()];
        let len = protocol::encode(request, &mut wire[1..])
            .map_err(LinkError::BadFrame)?
            .len();
        self.port.write_all(&wire[..1 + len])?;
        self.port.flush()?;
        self.receive()
    }

    /// Reads bytes until one response frame is complete: the answer to a request written
    /// directly to the [port](Self::port_mut) (raw or damaged frames, in tests).
    ///
    /// # Errors
    /// I/O errors, a timeout, a closed port or an invalid frame from the device.
    pub fn receive(&mut self) -> Result<Response, LinkError> {
        let mut byte = [0u8; 1];
        // A device that babbles (bytes that never close a frame, or empty frames) is not
        // answering: past two frames' worth of bytes it is an error, never an endless read.
        for _ in 0..2 * self.frame_len() {
            match self.port.read(&mut byte) {
                Ok(0) => return Err(LinkError::Closed),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    self.rx.clear();
                    return Err(LinkError::Timeout);
                }
                Err(e) => return Err(e.into()),
            }
            if let Some(frame) = self.rx.push(byte[0]) {
                let frame = frame.map_err(LinkError::BadFrame)?;
                return protocol::decode::<Response>(frame).map_err(LinkError::BadFrame);
            }
        }
        self.rx.clear();
        Err(LinkError::BadFrame(FrameError::TooLong))
    }

    /// The firmware's description: architecture, model status, versions. A device must speak
    /// this host's [`PROTOCOL_VERSION`](protocol::PROTOCOL_VERSION) (every version lays out this
    /// answer alike, so any device's version can be read).
    ///
    /// # Errors
    /// As [`request`](Self::request); [`LinkError::Device`] when refused;
    /// [`LinkError::ProtocolMismatch`] when the device speaks another protocol version.
    pub fn info(&mut self) -> Result<DeviceInfo, LinkError> {
        match self.request(&Request::Info)? {
            Response::Info(info) if info.protocol != protocol::PROTOCOL_VERSION => {
                Err(LinkError::ProtocolMismatch {
                    device: info.protocol,
                    host: protocol::PROTOCOL_VERSION,
                })
            }
            Response::Info(info) => {
                self.set_architecture(&info.architecture);
                Ok(info)
            }
            other => Err(unexpected(other, "info")),
        }
    }

    /// Runs the device's model on one raw input.
    ///
    /// # Errors
    /// As [`request`](Self::request); [`LinkError::Device`] when refused (wrong width, NaN, no
    /// valid model), [`LinkError::InputTooWide`] before sending anything.
    pub fn predict(&mut self, x: &[f32]) -> Result<Prediction, LinkError> {
        let limits = self.limits()?;
        check_width(x, limits)?;
        match self.request(&Request::Predict(x.to_vec()))? {
            Response::Prediction(p) => Ok(p),
            other => Err(unexpected(other, "predict")),
        }
    }

    /// Runs the device's model on many inputs, as many per request as the device takes
    /// ([`Limits::batch`]), in order.
    ///
    /// # Errors
    /// As [`predict`](Self::predict); the first refusal stops the batch.
    pub fn predict_batch<X: AsRef<[f32]>>(
        &mut self,
        xs: &[X],
    ) -> Result<Vec<Prediction>, LinkError> {
        let limits = self.limits()?;
        let mut out = Vec::with_capacity(xs.len());
        for chunk in xs.chunks(limits.batch) {
            let batch = chunk
                .iter()
                .map(|x| check_width(x.as_ref(), limits).map(|()| x.as_ref().to_vec()))
                .collect::<Result<Vec<_>, _>>()?;
            match self.request(&Request::PredictBatch(batch))? {
                Response::Batch(ps) => out.extend(ps),
                other => return Err(unexpected(other, "batch")),
            }
        }
        Ok(out)
    }

    /// Asks the device to re-validate its weights region and report its stack use.
    ///
    /// # Errors
    /// As [`request`](Self::request).
    pub fn self_check(&mut self) -> Result<SelfCheckReport, LinkError> {
        match self.request(&Request::SelfCheck)? {
            Response::SelfCheck(report) => Ok(report),
            other => Err(unexpected(other, "self-check")),
        }
    }

    /// Times `iterations` forward passes on the device.
    ///
    /// # Errors
    /// As [`request`](Self::request); [`LinkError::Device`] without a valid model.
    pub fn cost(&mut self, iterations: u32) -> Result<CostReport, LinkError> {
        match self.request(&Request::Cost { iterations })? {
            Response::Cost(report) => Ok(report),
            other => Err(unexpected(other, "cost")),
        }
    }
}

/// Refuses, before sending, an input wider than the device's frames hold.
fn check_width(x: &[f32], limits: Limits) -> Result<(), LinkError> {
    if x.len() > limits.inputs {
        return Err(LinkError::InputTooWide {
            found: x.len(),
            width: limits.inputs,
        });
    }
    Ok(())
}

fn unexpected(response: Response, asked: &'static str) -> LinkError {
    match response {
        Response::Error(e) => LinkError::Device(e),
        Response::Info(_) => LinkError::Unexpected("info", asked),
        Response::Prediction(_) => LinkError::Unexpected("a prediction", asked),
        Response::Batch(_) => LinkError::Unexpected("a batch", asked),
        Response::SelfCheck(_) => LinkError::Unexpected("a self-check", asked),
        Response::Cost(_) => LinkError::Unexpected("a cost report", asked),
    }
}

#[cfg(test)]
mod tests;
