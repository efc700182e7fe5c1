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
        reconstruction: None,
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
        reconstruction: None,
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

#[test]
fn a_device_of_another_protocol_version_is_refused_with_both_versions() {
    let info = |protocol| DeviceInfo {
        protocol,
        firmware: Default::default(),
        board: Default::default(),
        architecture: three_to_two(),
        model: ModelStatus::Loaded { crc: 1 },
    };
    let older = protocol::PROTOCOL_VERSION - 1;
    let mut link = link_answering(&[Response::Info(info(older))]);
    let err = link.info().unwrap_err();
    assert!(
        matches!(err, LinkError::ProtocolMismatch { device, host }
            if device == older && host == protocol::PROTOCOL_VERSION),
        "{err}"
    );
    assert!(
        err.to_string().contains("build and flash the firmware"),
        "{err}"
    );
    let mut link = link_answering(&[Response::Info(info(protocol::PROTOCOL_VERSION))]);
    assert_eq!(link.info().unwrap().protocol, protocol::PROTOCOL_VERSION);
}

#[test]
fn an_anomaly_prediction_travels_with_the_devices_error_and_verdict() {
    let p = Prediction {
        outputs: vec![0.5, -0.25],
        class: None,
        reconstruction: Some(dendrite_core::Reconstruction {
            error: 0.125,
            anomalous: true,
        }),
        ticks: 9,
    };
    let mut link = link_answering(&[Response::Prediction(p.clone())]);
    assert_eq!(link.predict(&[1.0, 2.0, 3.0]).unwrap(), p);
}
