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

    /// The firmware's description: architecture, model status, versions.
    ///
    /// # Errors
    /// As [`request`](Self::request); [`LinkError::Device`] when refused.
    pub fn info(&mut self) -> Result<DeviceInfo, LinkError> {
        match self.request(&Request::Info)? {
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
mod tests {
    use super::*;
    use dendrite_core::protocol::ModelStatus;
    use dendrite_core::Activation;
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
        for r in responses {
            bytes.extend(frame_of(r));
        }
        let mut link = Link::new(Canned {
            answer: Cursor::new(bytes),
            written: Vec::new(),
        });
        link.set_architecture(&three_to_two());
        link
    }

    /// `message` as one frame.
    fn frame_of<T: serde::Serialize>(message: &T) -> Vec<u8> {
        let mut buf = vec![0u8; 1 << 12];
        protocol::encode(message, &mut buf).unwrap().to_vec()
    }

    /// A 3-2 softmax architecture.
    fn three_to_two() -> Architecture {
        Architecture {
            input: 3,
            layers: [(2, Activation::Softmax)].into_iter().collect(),
        }
    }

    #[test]
    fn predict_sends_one_frame_and_reads_the_prediction() {
        let p = Prediction {
            outputs: vec![0.25, 0.75],
            class: Some(1),
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
        assert_eq!(request, Request::Predict(vec![1.0, 2.0, 3.0]));
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
        let frame = frame_of(&Response::Error(DeviceError::Unsupported));
        let mut link = Link::new(Canned {
            answer: Cursor::new(frame[..frame.len() / 2].to_vec()),
            written: Vec::new(),
        });
        assert!(matches!(link.info(), Err(LinkError::Closed)));
    }

    #[test]
    fn batches_are_split_into_protocol_sized_requests() {
        let p = Prediction {
            outputs: vec![1.0, 0.0],
            class: Some(0),
            ticks: 1,
        };
        let batch = Limits::for_architecture(&three_to_two()).batch;
        let full = vec![p.clone(); batch];
        let rest = vec![p; 2];
        let mut link = link_answering(&[Response::Batch(full), Response::Batch(rest)]);
        let xs = vec![[0.0f32; 3]; batch + 2];
        assert_eq!(link.predict_batch(&xs).unwrap().len(), batch + 2);
        let written = link.port_mut().written.clone();
        let requests: Vec<usize> = written
            .split(|&b| b == 0)
            .filter(|f| !f.is_empty())
            .map(|f| match protocol::decode::<Request>(&mut f.to_vec()) {
                Ok(Request::PredictBatch(xs)) => xs.len(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(requests, vec![batch, 2]);
    }

    #[test]
    fn an_input_wider_than_the_device_takes_is_refused_before_sending() {
        let mut link = link_answering(&[]);
        let err = link.predict(&[0.0; 4]).unwrap_err();
        assert!(
            matches!(err, LinkError::InputTooWide { found: 4, width: 3 }),
            "{err}"
        );
        assert!(link.port_mut().written.is_empty());
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
