//! The request loop: frames in, one response out per frame, whatever the bytes.

use crate::Classifier;
use core::convert::Infallible;
use dendrite_core::format::Architecture;
use dendrite_core::protocol::{
    self, CostReport, DeviceError, DeviceInfo, Fault, FrameReceiver, Input, ModelStatus,
    Prediction, Request, Response, SelfCheckReport, MAX_BATCH, MAX_BOARD_NAME, MAX_FRAME,
};
use embedded_hal::digital::OutputPin;
use embedded_io::{Read, Write};

/// What the server needs from the board besides the serial port and the pin.
pub trait Platform {
    /// Frequency of [`ticks`](Self::ticks), in hertz.
    const TICK_HZ: u32;

    /// A free-running counter that goes up and wraps.
    fn ticks(&mut self) -> u32;

    /// The weights region: a model file at its start, unused space after it.
    fn weights(&self) -> &[u8];

    /// Deepest stack use since boot and the stack's size, in bytes (zeros when unknown).
    fn stack_usage(&self) -> (u32, u32) {
        (0, 0)
    }

    /// Provokes `fault` (test builds only). Returns only when the board does not support it.
    fn force_fault(&mut self, fault: Fault) {
        let _ = fault;
    }
}

/// A pin that does nothing, for boards without a spare LED.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPin;

impl embedded_hal::digital::ErrorType for NoPin {
    type Error = Infallible;
}

impl OutputPin for NoPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The firmware's state: the network, what was loaded into it, and the frame buffers.
pub struct Server<C> {
    network: C,
    architecture: Architecture,
    board: heapless::String<MAX_BOARD_NAME>,
    status: ModelStatus,
    rx: FrameReceiver<MAX_FRAME>,
    tx: [u8; MAX_FRAME],
}

impl<C: Classifier> Server<C> {
    /// Loads the model of `platform`'s weights region into `network` (zeroed, of the
    /// `architecture` the firmware was built for). A missing or bad model is remembered: every
    /// prediction is then refused with its reason.
    pub fn new(
        mut network: C,
        architecture: Architecture,
        board: &str,
        platform: &impl Platform,
    ) -> Self {
        let status = match network.load(platform.weights()) {
            Ok(crc) => ModelStatus::Loaded { crc },
            Err(reason) => ModelStatus::Invalid(reason),
        };
        Self {
            network,
            architecture,
            board: board.chars().take(MAX_BOARD_NAME).collect(),
            status,
            rx: FrameReceiver::new(),
            tx: [0; MAX_FRAME],
        }
    }

    /// The state of the model loaded at boot.
    pub fn status(&self) -> ModelStatus {
        self.status
    }

    /// Serves requests until `serial` reports the end of its input (never, on a device).
    ///
    /// # Errors
    /// The serial port's errors (a pin's errors are ignored: the pin only shows the class).
    pub fn serve<S, P, B>(
        &mut self,
        serial: &mut S,
        platform: &mut B,
        pin: &mut P,
    ) -> Result<(), S::Error>
    where
        S: Read + Write,
        P: OutputPin,
        B: Platform,
    {
        let mut chunk = [0u8; 16];
        loop {
            let n = serial.read(&mut chunk)?;
            let Some(bytes) = chunk.get(..n).filter(|b| !b.is_empty()) else {
                return Ok(());
            };
            for &byte in bytes {
                if let Some(frame) = self.feed(byte, platform, pin) {
                    serial.write_all(frame)?;
                    serial.flush()?;
                }
            }
        }
    }

    /// Takes one byte from the link. When it ends a frame, returns the response frame to send
    /// back: exactly one per non-empty frame, valid or not.
    pub fn feed<P: OutputPin, B: Platform>(
        &mut self,
        byte: u8,
        platform: &mut B,
        pin: &mut P,
    ) -> Option<&[u8]> {
        let frame = self.rx.push(byte)?;
        let request = frame
            .map_err(DeviceError::from)
            .and_then(|f| protocol::decode::<Request>(f).map_err(DeviceError::from));
        let response = match request {
            Ok(Request::Info) => info(self.status, &self.architecture, &self.board),
            Ok(request) => respond(&self.network, self.status, request, platform),
            Err(e) => Response::Error(e),
        };
        if let Response::Prediction(p) = &response {
            // The pin shows the class: high for any class but the first.
            let _ = pin.set_state((p.class != 0).into());
        }
        // Every response fits MAX_FRAME (a dendrite-core test checks the bound).
        protocol::encode(&response, &mut self.tx).ok()
    }
}

fn info(status: ModelStatus, architecture: &Architecture, board: &str) -> Response {
    Response::Info(DeviceInfo {
        protocol: protocol::PROTOCOL_VERSION,
        firmware: crate::VERSION,
        board: board.chars().collect(),
        architecture: architecture.clone(),
        model: status,
    })
}

/// The answer to one decoded request.
fn respond<C: Classifier, B: Platform>(
    network: &C,
    status: ModelStatus,
    request: Request,
    platform: &mut B,
) -> Response {
    let result = match request {
        Request::Info => Err(DeviceError::Unsupported), // answered by `Server::feed`
        Request::Predict(x) => {
            ready(status).and_then(|()| predict(network, &x, platform).map(Response::Prediction))
        }
        Request::PredictBatch(xs) => ready(status).and_then(|()| batch(network, &xs, platform)),
        Request::SelfCheck => Ok(self_check(platform)),
        Request::Cost { iterations } => {
            ready(status).map(|()| Response::Cost(cost(network, iterations, platform)))
        }
        Request::ForceFault(fault) => {
            platform.force_fault(fault);
            Err(DeviceError::Unsupported)
        }
    };
    result.unwrap_or_else(Response::Error)
}

fn ready(status: ModelStatus) -> Result<(), DeviceError> {
    match status {
        ModelStatus::Loaded { .. } => Ok(()),
        ModelStatus::Invalid(reason) => Err(DeviceError::NoValidModel(reason)),
    }
}

/// Checks an input's width and values.
fn check_input<C: Classifier>(network: &C, x: &[f32]) -> Result<(), DeviceError> {
    if x.len() != network.input_width() {
        return Err(DeviceError::WrongInputWidth {
            expected: network.input_width() as u16,
            found: x.len() as u16,
        });
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DeviceError::NonFiniteInput {
            index: index as u16,
        }),
        None => Ok(()),
    }
}

fn predict<C: Classifier, B: Platform>(
    network: &C,
    x: &Input,
    platform: &mut B,
) -> Result<Prediction, DeviceError> {
    check_input(network, x)?;
    let start = platform.ticks();
    let probabilities = network.classify(x);
    let ticks = platform.ticks().wrapping_sub(start);
    // `classify` answers `None` only for a wrong width, which `check_input` refused.
    let probabilities = probabilities.ok_or(DeviceError::Unsupported)?;
    let class = argmax(&probabilities);
    Ok(Prediction {
        probabilities,
        class,
        ticks,
    })
}

fn batch<C: Classifier, B: Platform>(
    network: &C,
    xs: &heapless::Vec<Input, MAX_BATCH>,
    platform: &mut B,
) -> Result<Response, DeviceError> {
    // Refuse the whole batch before computing any of it.
    xs.iter().try_for_each(|x| check_input(network, x))?;
    let mut out = heapless::Vec::new();
    for x in xs {
        // Cannot overflow: `out` has the capacity of `xs`.
        let _ = out.push(predict(network, x, platform)?);
    }
    Ok(Response::Batch(out))
}

/// The index of the largest value, the first one on ties (0 for an empty slice).
fn argmax(values: &[f32]) -> u16 {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if values.get(best).is_some_and(|&b| v > b) {
            best = i;
        }
    }
    best as u16
}

fn self_check<B: Platform>(platform: &mut B) -> Response {
    // Validate the region again: flash corruption since boot shows as an error here, a model
    // replaced since boot as a CRC that differs from the one `Info` reports.
    let model = match dendrite_core::format::ModelView::from_prefix(platform.weights()) {
        Ok(view) => ModelStatus::Loaded { crc: view.crc() },
        Err(reason) => ModelStatus::Invalid(reason),
    };
    let (stack_used, stack_size) = platform.stack_usage();
    Response::SelfCheck(SelfCheckReport {
        model,
        stack_used,
        stack_size,
    })
}

/// Times `iterations` forward passes on a zero input, then an empty loop of as many turns.
fn cost<C: Classifier, B: Platform>(network: &C, iterations: u32, platform: &mut B) -> CostReport {
    let zeros = [0.0f32; protocol::MAX_INPUTS];
    let x = zeros.get(..network.input_width()).unwrap_or(&[]);
    let start = platform.ticks();
    for _ in 0..iterations {
        network.forward_opaque(core::hint::black_box(x));
    }
    let middle = platform.ticks();
    for _ in 0..iterations {
        core::hint::black_box(core::hint::black_box(x));
    }
    let end = platform.ticks();
    CostReport {
        iterations,
        ticks: middle.wrapping_sub(start),
        empty_ticks: end.wrapping_sub(middle),
        tick_hz: B::TICK_HZ,
    }
}
