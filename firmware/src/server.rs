//! The request loop: frames in, one response out per frame, whatever the bytes.

use crate::Classifier;
use core::convert::Infallible;
use dendrite_core::format::{Architecture, DecodeError};
use dendrite_core::protocol::{
    self, BatchEncoder, CostReport, DeviceError, DeviceInfo, Fault, Floats, FrameError,
    FrameReceiver, Limits, ModelStatus, PredictionRef, RequestView, ResponseRef, SelfCheckReport,
};
use dendrite_core::{Activation, Reconstruction};
use embedded_hal::digital::OutputPin;
use embedded_io::{Read, Write};

/// What the server needs from the board besides the serial port and the pin.
pub trait Platform {
    /// Frequency of [`ticks`](Self::ticks), in hertz.
    const TICK_HZ: u32;

    /// A free-running counter that goes up and wraps.
    fn ticks(&mut self) -> u32;

    /// The weights region: a model file at its start, unused space after it. The network reads
    /// its weights there in place for as long as the firmware runs, hence `'static` (flash).
    fn weights(&self) -> &'static [u8];

    /// Deepest stack use since boot and the stack's size, in bytes (zeros when unknown).
    fn stack_usage(&self) -> (u32, u32) {
        (0, 0)
    }

    /// Runs `f` and returns the bytes of stack it used below the caller's frame, measured by
    /// painting the free stack before it (0 when the board cannot measure it; `f` runs anyway).
    /// The `Cost` request measures one forward pass with it.
    fn stack_used_by(&mut self, f: &mut dyn FnMut()) -> u32 {
        f();
        0
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

/// The link's buffers: what a server receives frames into, encodes answers into, and copies
/// an input into, sized for one network: `FRAME` bytes per frame
/// ([`Limits::frame`](dendrite_core::protocol::Limits::frame)), `INPUT` values per input.
///
/// Zero-initialized and large, so a firmware keeps it in a `static` (`.bss`) rather than on its
/// stack; [`crate::Buffers`] is the one for the firmware's network.
pub struct Buffers<const FRAME: usize, const INPUT: usize> {
    rx: FrameReceiver<[u8; FRAME]>,
    tx: [u8; FRAME],
    input: [f32; INPUT],
}

impl<const FRAME: usize, const INPUT: usize> Buffers<FRAME, INPUT> {
    /// Empty buffers.
    pub const fn new() -> Self {
        Self {
            rx: FrameReceiver::new(),
            tx: [0; FRAME],
            input: [0.0; INPUT],
        }
    }
}

impl<const FRAME: usize, const INPUT: usize> Default for Buffers<FRAME, INPUT> {
    fn default() -> Self {
        Self::new()
    }
}

/// The firmware's state: the network over the weights region, and the link's buffers.
///
/// The network is a few pointers into the weights region (its weights stay in flash), and the
/// buffers are borrowed, so a firmware keeps them in a static (`.bss`): the server itself is a
/// few words on the stack.
pub struct Server<'a, C, const FRAME: usize, const INPUT: usize> {
    /// The network over the model of the weights region and that model's CRC-32, or why the
    /// region held no usable model at boot.
    network: Result<(C, u32), DecodeError>,
    buffers: &'a mut Buffers<FRAME, INPUT>,
    board: &'static str,
    /// Whether predictions carry a class (a classification model), and the activation that
    /// reads it ([`dendrite_core::class_of`]).
    classes: Option<Activation>,
    /// An anomaly model's threshold: its predictions carry the device's reconstruction error
    /// and verdict.
    anomaly_threshold: Option<f32>,
    /// The most inputs in one batch: as many as the frame holds answers for.
    max_batch: usize,
}

impl<'a, C: Classifier, const FRAME: usize, const INPUT: usize> Server<'a, C, FRAME, INPUT> {
    /// Validates the model of `platform`'s weights region (of the architecture the firmware was
    /// built for) and runs the network over it in place. A missing or bad model is remembered:
    /// every prediction is then refused with its reason.
    pub fn new(
        buffers: &'a mut Buffers<FRAME, INPUT>,
        board: &'static str,
        platform: &impl Platform,
    ) -> Self {
        let architecture = C::architecture();
        let loaded = C::from_region(platform.weights());
        let classifies = loaded.as_ref().is_ok_and(|(_, loaded)| loaded.classifies);
        let anomaly_threshold = loaded
            .as_ref()
            .ok()
            .and_then(|(_, loaded)| loaded.anomaly_threshold);
        let network = loaded.map(|(network, loaded)| (network, loaded.crc));
        let last = architecture
            .layers
            .last()
            .map_or(Activation::Linear, |&(_, a)| a);
        let limits = Limits::for_architecture(&architecture);
        Self {
            network,
            buffers,
            board,
            classes: classifies.then_some(last),
            anomaly_threshold,
            // Buffers smaller than the architecture's limits (a board's own choice) take
            // single predictions only.
            max_batch: if FRAME >= limits.frame {
                limits.batch
            } else {
                1
            },
        }
    }

    /// The state of the model found at boot.
    pub fn status(&self) -> ModelStatus {
        match &self.network {
            Ok((_, crc)) => ModelStatus::Loaded { crc: *crc },
            Err(reason) => ModelStatus::Invalid(*reason),
        }
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
        let status = self.status();
        let network = self.network.as_ref().map(|(network, _)| network);
        let Buffers { rx, tx, input } = &mut *self.buffers;
        let request = match rx.push(byte)? {
            Ok(frame) => protocol::decode_request(frame, self.max_batch),
            Err(e) => Err(e),
        };
        let reading = Reading {
            classes: self.classes,
            anomaly_threshold: self.anomaly_threshold,
        };
        // Each answer is encoded from references: no owned response is built on the stack, and
        // a batch is answered one input at a time. Every answer fits the frame (dendrite-core's
        // tests check `Limits`).
        let frame = match &request {
            Ok(RequestView::Info) => encode(tx, ResponseRef::Info(&info::<C>(status, self.board))),
            Ok(RequestView::Predict(x)) => {
                match ready(network).and_then(|n| check_input::<C>(x).map(|()| n)) {
                    Ok(network) => {
                        x.copy_to(input);
                        predict_checked(network, input, reading, platform, |p| {
                            // The pin shows the class: high for any class but the first.
                            if let Some(class) = p.class {
                                let _ = pin.set_state((class != 0).into());
                            }
                            encode(tx, ResponseRef::Prediction(p))
                        })
                        .unwrap_or(Err(FrameError::Malformed))
                    }
                    Err(e) => encode(tx, ResponseRef::Error(&e)),
                }
            }
            Ok(RequestView::PredictBatch(xs)) => {
                let checked = ready(network)
                    .and_then(|n| xs.iter().try_for_each(|x| check_input::<C>(&x)).map(|()| n));
                match checked {
                    Ok(network) => {
                        let mut batch = BatchEncoder::new(xs.len(), tx);
                        for x in xs.iter() {
                            x.copy_to(input);
                            let _ = predict_checked(network, input, reading, platform, |p| {
                                batch.push(p)
                            });
                        }
                        batch.finish()
                    }
                    Err(e) => encode(tx, ResponseRef::Error(&e)),
                }
            }
            Ok(RequestView::SelfCheck) => encode(
                tx,
                ResponseRef::SelfCheck(&self_check(platform, &C::architecture())),
            ),
            Ok(RequestView::Cost { iterations }) => match ready(network) {
                Ok(network) => {
                    input.fill(0.0);
                    encode(
                        tx,
                        ResponseRef::Cost(&cost(network, input, *iterations, platform)),
                    )
                }
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

fn info<C: Classifier>(status: ModelStatus, board: &str) -> DeviceInfo {
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
        architecture: C::architecture(),
        model: status,
    }
}

/// The network, or why there is none: the reason every prediction is refused.
fn ready<'n, C>(network: Result<&'n C, &DecodeError>) -> Result<&'n C, DeviceError> {
    network.map_err(|reason| DeviceError::NoValidModel(*reason))
}

/// Checks an input's width and values.
fn check_input<C: Classifier>(x: &Floats<'_>) -> Result<(), DeviceError> {
    if x.len() != C::INPUT {
        return Err(DeviceError::WrongInputWidth {
            expected: C::INPUT as u16,
            found: u16::try_from(x.len()).unwrap_or(u16::MAX),
        });
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DeviceError::NonFiniteInput {
            index: index as u16,
        }),
        None => Ok(()),
    }
}

/// How a model's outputs are read into a reply, beside the outputs themselves.
#[derive(Clone, Copy)]
struct Reading {
    /// A classifier's last activation, which [`dendrite_core::class_of`] reads the class with.
    classes: Option<Activation>,
    /// An anomaly model's threshold ([`dendrite_core::Reconstruction::of`]).
    anomaly_threshold: Option<f32>,
}

/// Runs the network on an input [`check_input`] accepted, times it, and hands the prediction
/// to `answer`: the outputs; the class by [`dendrite_core::class_of`] when the model
/// classifies; the reconstruction error and verdict by [`dendrite_core::Reconstruction::of`]
/// (the host's code) when it detects anomalies. The ticks time the forward pass only. Returns
/// what `answer` returns (`None` never: `x` has the network's width).
fn predict_checked<C: Classifier, B: Platform, R>(
    network: &C,
    x: &[f32],
    reading: Reading,
    platform: &mut B,
    answer: impl FnOnce(PredictionRef<'_>) -> R,
) -> Option<R> {
    let mut answer = Some(answer);
    let start = platform.ticks();
    let answered = network
        .run(x, |outputs| {
            let ticks = platform.ticks().wrapping_sub(start);
            let class = reading
                .classes
                .map(|last| dendrite_core::class_of(outputs, last) as u16);
            let reconstruction = reading.anomaly_threshold.map(|threshold| {
                let (mean, std) = network.standardization();
                Reconstruction::of(x, mean, std, outputs, threshold)
            });
            answer.take().map(|answer| {
                answer(PredictionRef {
                    outputs,
                    class,
                    reconstruction,
                    ticks,
                })
            })
        })
        .flatten();
    // `run` answers `None` only for a wrong width, which `check_input` refused: the empty
    // answer below is unreachable.
    answered.or_else(|| {
        answer.map(|answer| {
            answer(PredictionRef {
                outputs: &[],
                class: None,
                reconstruction: None,
                ticks: 0,
            })
        })
    })
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

/// Measures the stack of one forward pass on `x` (zeros), then times `iterations` forward
/// passes and an empty loop of as many turns (at most [`protocol::MAX_COST_ITERATIONS`]: a bad
/// request must not keep the device busy).
fn cost<C: Classifier, B: Platform>(
    network: &C,
    x: &[f32],
    iterations: u32,
    platform: &mut B,
) -> CostReport {
    // The network's RAM is what the pass needs beyond its caller's input and outputs: the
    // outputs go into an array declared outside the measured pass (a caller keeping them owns
    // them).
    let stack_bytes = network.measure_forward(x, |pass| platform.stack_used_by(pass));
    let iterations = iterations.min(protocol::MAX_COST_ITERATIONS);
    let start = platform.ticks();
    network.forward_repeatedly(x, iterations);
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
        network_bytes: core::mem::size_of::<C>() as u32,
        stack_bytes,
    }
}

#[cfg(test)]
mod tests;
