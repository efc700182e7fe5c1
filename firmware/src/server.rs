//! The request loop: frames in, one response out per frame, whatever the bytes.

use crate::Classifier;
use core::convert::Infallible;
use dendrite_core::format::{Architecture, DecodeError};
use dendrite_core::protocol::{
    self, CostReport, DeviceError, DeviceInfo, Fault, FrameError, FrameReceiver, Input,
    ModelStatus, Prediction, RequestView, ResponseRef, SelfCheckReport, MAX_FRAME,
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

/// The frame buffers of the link: what a server receives into and encodes into.
///
/// Zero-initialized and large (two [`MAX_FRAME`] buffers), so a firmware keeps it in a `static`
/// (`.bss`) rather than on its stack.
pub struct Buffers {
    rx: FrameReceiver<MAX_FRAME>,
    tx: [u8; MAX_FRAME],
}

impl Buffers {
    /// Empty buffers.
    pub const fn new() -> Self {
        Self {
            rx: FrameReceiver::new(),
            tx: [0; MAX_FRAME],
        }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

/// The firmware's state: the network, what was loaded into it, and the frame buffers.
///
/// It borrows the network and the buffers, so a firmware can keep both in statics (`.bss`): the
/// server itself is a few words on the stack.
pub struct Server<'a, C> {
    network: &'a C,
    buffers: &'a mut Buffers,
    board: &'static str,
    status: ModelStatus,
}

impl<'a, C: Classifier> Server<'a, C> {
    /// Loads the model of `platform`'s weights region into `network` (zeroed, of the
    /// architecture the firmware was built for). A missing or bad model is remembered: every
    /// prediction is then refused with its reason.
    pub fn new(
        network: &'a mut C,
        buffers: &'a mut Buffers,
        board: &'static str,
        platform: &impl Platform,
    ) -> Self {
        let status = match network.load(platform.weights()) {
            Ok(crc) => ModelStatus::Loaded { crc },
            Err(reason) => ModelStatus::Invalid(reason),
        };
        Self {
            network,
            buffers,
            board,
            status,
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
        let Buffers { rx, tx } = &mut *self.buffers;
        let request = match rx.push(byte)? {
            Ok(frame) => protocol::decode_request(frame),
            Err(e) => Err(e),
        };
        let network = self.network;
        let status = self.status;
        // Each answer is encoded from a reference (`ResponseRef`): no `Response`, which is as
        // large as a whole batch, is built on the stack. Every answer fits MAX_FRAME (a
        // dendrite-core test checks the bound).
        let frame = match &request {
            Ok(RequestView::Info) => {
                encode(tx, ResponseRef::Info(&info(status, network, self.board)))
            }
            Ok(RequestView::Predict(x)) => {
                match ready(status).and_then(|()| check_input(network, x)) {
                    Ok(()) => {
                        let prediction = predict_checked(network, Some(x), platform);
                        // The pin shows the class: high for any class but the first.
                        let _ = pin.set_state((prediction.class != 0).into());
                        encode(tx, ResponseRef::Prediction(&prediction))
                    }
                    Err(e) => encode(tx, ResponseRef::Error(&e)),
                }
            }
            Ok(RequestView::PredictBatch(xs)) => {
                let checked = ready(status)
                    .and_then(|()| xs.iter().try_for_each(|x| check_input(network, &x)));
                match checked {
                    // Streamed: the inputs are read from the frame and answered one at a time,
                    // never a whole batch on the stack.
                    Ok(()) => {
                        let mut inputs = xs.iter();
                        protocol::encode_batch(
                            xs.len(),
                            |_| predict_checked(network, inputs.next().as_ref(), platform),
                            tx,
                        )
                    }
                    Err(e) => encode(tx, ResponseRef::Error(&e)),
                }
            }
            Ok(RequestView::SelfCheck) => encode(
                tx,
                ResponseRef::SelfCheck(&self_check(platform, &network.architecture())),
            ),
            Ok(RequestView::Cost { iterations }) => match ready(status) {
                Ok(()) => encode(tx, ResponseRef::Cost(&cost(network, *iterations, platform))),
                Err(e) => encode(tx, ResponseRef::Error(&e)),
            },
            Ok(RequestView::ForceFault(fault)) => {
                platform.force_fault(*fault);
                encode(tx, ResponseRef::Error(&DeviceError::Unsupported))
            }
            Err(e) => encode(tx, ResponseRef::Error(&DeviceError::from(*e))),
        };
        frame.ok()
    }
}

fn encode<'t>(tx: &'t mut [u8], response: ResponseRef<'_>) -> Result<&'t [u8], FrameError> {
    protocol::encode_response(response, tx)
}

fn info<C: Classifier>(status: ModelStatus, network: &C, board: &str) -> DeviceInfo {
    let mut name = heapless::String::new();
    for c in board.chars() {
        if name.push(c).is_err() {
            break;
        }
    }
    DeviceInfo {
        protocol: protocol::PROTOCOL_VERSION,
        firmware: crate::VERSION,
        board: name,
        architecture: network.architecture(),
        model: status,
    }
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

/// Classifies an input [`check_input`] accepted, and times it.
fn predict_checked<C: Classifier, B: Platform>(
    network: &C,
    x: Option<&Input>,
    platform: &mut B,
) -> Prediction {
    let start = platform.ticks();
    let probabilities = x.and_then(|x| network.classify(x));
    let ticks = platform.ticks().wrapping_sub(start);
    // `classify` answers `None` only for a wrong width, which `check_input` refused: an empty
    // answer is unreachable.
    let probabilities = probabilities.unwrap_or_default();
    let class = argmax(&probabilities);
    Prediction {
        probabilities,
        class,
        ticks,
    }
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

fn self_check<B: Platform>(platform: &mut B, architecture: &Architecture) -> SelfCheckReport {
    // Validate the region again: flash corruption since boot shows as an error here, a model
    // replaced since boot as a CRC that differs from the one `Info` reports. A valid file of
    // another architecture is no more usable now than at boot.
    let model = match dendrite_core::format::ModelView::from_prefix(platform.weights()) {
        Ok(view) if view.architecture() != *architecture => {
            ModelStatus::Invalid(DecodeError::ArchitectureMismatch)
        }
        Ok(view) => ModelStatus::Loaded { crc: view.crc() },
        Err(reason) => ModelStatus::Invalid(reason),
    };
    let (stack_used, stack_size) = platform.stack_usage();
    SelfCheckReport {
        model,
        stack_used,
        stack_size,
    }
}

/// Times `iterations` forward passes on a zero input, then an empty loop of as many turns
/// (at most [`protocol::MAX_COST_ITERATIONS`]: a bad request must not keep the device busy).
fn cost<C: Classifier, B: Platform>(network: &C, iterations: u32, platform: &mut B) -> CostReport {
    let iterations = iterations.min(protocol::MAX_COST_ITERATIONS);
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

#[cfg(test)]
mod tests;
