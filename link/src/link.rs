//! Requests out, responses in, one at a time.

use dendrite_core::protocol::{
    self, Batch, CostReport, DeviceError, DeviceInfo, FrameError, FrameReceiver, Input, Prediction,
    Request, Response, SelfCheckReport, MAX_BATCH, MAX_FRAME,
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
    /// An input has more values than the protocol carries.
    #[error("an input has {0} values; the protocol carries at most {max}", max = protocol::MAX_INPUTS)]
    InputTooWide(usize),
}

/// The host side of the serial link, over any byte stream.
///
/// Sends one request, reads exactly one response. The port's own timeout (an
/// [`io::ErrorKind::TimedOut`] or [`io::ErrorKind::WouldBlock`] from `read`) becomes
/// [`LinkError::Timeout`].
pub struct Link<P> {
    port: P,
    rx: FrameReceiver<MAX_FRAME>,
    buf: Vec<u8>,
}

impl<P: Read + Write> Link<P> {
    /// A link over `port`.
    pub fn new(port: P) -> Self {
        Self {
            port,
            rx: FrameReceiver::new(),
            buf: vec![0; MAX_FRAME],
        }
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
        let frame = protocol::encode(request, &mut self.buf).map_err(LinkError::BadFrame)?;
        // A leading terminator closes whatever partial frame the device may hold.
        let mut wire = Vec::with_capacity(frame.len() + 1);
        wire.push(0);
        wire.extend_from_slice(frame);
        self.port.write_all(&wire)?;
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
        for _ in 0..2 * MAX_FRAME {
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

    /// The firmware's description: architecture, model status, versions.
    ///
    /// # Errors
    /// As [`request`](Self::request); [`LinkError::Device`] when refused.
    pub fn info(&mut self) -> Result<DeviceInfo, LinkError> {
        match self.request(&Request::Info)? {
            Response::Info(info) => Ok(info),
            other => Err(unexpected(other, "info")),
        }
    }

    /// Classifies one raw input on the device.
    ///
    /// # Errors
    /// As [`request`](Self::request); [`LinkError::Device`] when refused (wrong width, NaN, no
    /// valid model), [`LinkError::InputTooWide`] before sending anything.
    pub fn predict(&mut self, x: &[f32]) -> Result<Prediction, LinkError> {
        match self.request(&Request::Predict(to_input(x)?))? {
            Response::Prediction(p) => Ok(p),
            other => Err(unexpected(other, "predict")),
        }
    }

    /// Classifies many inputs, [`MAX_BATCH`] per request, in order.
    ///
    /// # Errors
    /// As [`predict`](Self::predict); the first refusal stops the batch.
    pub fn predict_batch<X: AsRef<[f32]>>(
        &mut self,
        xs: &[X],
    ) -> Result<Vec<Prediction>, LinkError> {
        let mut out = Vec::with_capacity(xs.len());
        for chunk in xs.chunks(MAX_BATCH) {
            let batch = chunk
                .iter()
                .map(|x| to_input(x.as_ref()))
                .collect::<Result<Batch, _>>()?;
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

fn to_input(x: &[f32]) -> Result<Input, LinkError> {
    Input::from_slice(x).map_err(|()| LinkError::InputTooWide(x.len()))
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
