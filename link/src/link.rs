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
mod tests {
    use super::*;
    use dendrite_core::protocol::{encode, ModelStatus, Predictions, Probabilities};
    use std::io::Cursor;

    /// A port that answers with canned bytes and records what was written.
    struct Canned {
        answer: Cursor<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.answer.read(buf)
        }
    }

    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn link_answering(responses: &[Response]) -> Link<Canned> {
        let mut bytes = Vec::new();
        let mut buf = [0u8; MAX_FRAME];
        for r in responses {
            bytes.extend_from_slice(encode(r, &mut buf).unwrap());
        }
        Link::new(Canned {
            answer: Cursor::new(bytes),
            written: Vec::new(),
        })
    }

    #[test]
    fn predict_sends_one_frame_and_reads_the_prediction() {
        let p = Prediction {
            probabilities: Probabilities::from_slice(&[0.25, 0.75]).unwrap(),
            class: 1,
            ticks: 42,
        };
        let mut link = link_answering(&[Response::Prediction(p.clone())]);
        assert_eq!(link.predict(&[1.0, 2.0, 3.0]).unwrap(), p);
        let written = &mut link.port_mut().written;
        assert_eq!(
            written[0], 0,
            "a leading terminator resynchronizes the device"
        );
        let request: Request = protocol::decode(&mut written[1..]).unwrap();
        assert_eq!(
            request,
            Request::Predict(Input::from_slice(&[1.0, 2.0, 3.0]).unwrap())
        );
    }

    #[test]
    fn device_refusal_is_an_error_with_the_reason() {
        let refusal = DeviceError::NoValidModel(dendrite_core::format::DecodeError::WrongMagic);
        let mut link = link_answering(&[Response::Error(refusal)]);
        let err = link.predict(&[0.0; 3]).unwrap_err();
        assert!(matches!(err, LinkError::Device(e) if e == refusal));
        assert!(err.to_string().contains("wrong magic"), "{err}");
    }

    #[test]
    fn closed_port_is_reported_not_waited_on() {
        let mut link = link_answering(&[]);
        assert!(matches!(link.info(), Err(LinkError::Closed)));
    }

    /// A device that sends `byte` forever, or (`None`) never answers: its reads time out,
    /// as a serial port with a timeout does.
    struct Endless(Option<u8>);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0 {
                Some(byte) => {
                    buf.fill(byte);
                    Ok(buf.len())
                }
                None => Err(io::Error::new(io::ErrorKind::TimedOut, "no answer")),
            }
        }
    }

    impl Write for Endless {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn silent_device_is_a_timeout() {
        let mut link = Link::new(Endless(None));
        assert!(matches!(link.info(), Err(LinkError::Timeout)));
    }

    #[test]
    fn babbling_device_is_an_error_not_an_endless_read() {
        // Garbage that never closes a frame, and a stream of empty frames.
        for byte in [0x55, 0x00] {
            let mut link = Link::new(Endless(Some(byte)));
            assert!(
                matches!(link.info(), Err(LinkError::BadFrame(FrameError::TooLong))),
                "byte {byte:#x}"
            );
        }
    }

    #[test]
    fn garbage_answer_is_a_bad_frame() {
        let mut link = Link::new(Canned {
            answer: Cursor::new(vec![0x13, 0x37, 0x42, 0x00]),
            written: Vec::new(),
        });
        assert!(matches!(
            link.info(),
            Err(LinkError::BadFrame(FrameError::Malformed))
        ));
    }

    #[test]
    fn device_gone_in_the_middle_of_an_answer_is_closed() {
        let mut buf = [0u8; MAX_FRAME];
        let frame = encode(&Response::Error(DeviceError::Unsupported), &mut buf).unwrap();
        let mut link = Link::new(Canned {
            answer: Cursor::new(frame[..frame.len() / 2].to_vec()),
            written: Vec::new(),
        });
        assert!(matches!(link.info(), Err(LinkError::Closed)));
    }

    #[test]
    fn batches_are_split_into_protocol_sized_requests() {
        let p = Prediction {
            probabilities: Probabilities::from_slice(&[1.0]).unwrap(),
            class: 0,
            ticks: 1,
        };
        let full: Predictions = std::iter::repeat_n(p.clone(), MAX_BATCH).collect();
        let rest: Predictions = std::iter::repeat_n(p, 2).collect();
        let mut link = link_answering(&[Response::Batch(full), Response::Batch(rest)]);
        let xs = vec![[0.0f32; 3]; MAX_BATCH + 2];
        assert_eq!(link.predict_batch(&xs).unwrap().len(), MAX_BATCH + 2);
    }

    #[test]
    fn wrong_kind_of_answer_is_an_error() {
        let info = DeviceInfo {
            protocol: 1,
            firmware: Default::default(),
            board: Default::default(),
            architecture: Default::default(),
            model: ModelStatus::Loaded { crc: 1 },
        };
        let mut link = link_answering(&[Response::Info(info)]);
        assert!(matches!(
            link.cost(1),
            Err(LinkError::Unexpected("info", "cost"))
        ));
    }
}
