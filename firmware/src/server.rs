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
mod tests {
    extern crate std;

    use super::*;
    use crate::network::{self, Model};
    use dendrite_core::format::{LayerRef, LayerSpec, ModelRef};
    use dendrite_core::protocol::{
        decode, encode, Fault, Probabilities, Request, Response, MAX_BATCH,
    };
    use std::vec::Vec;
    use std::{format, vec};

    /// A model file of the firmware's architecture with weights from `seed`.
    fn model_file(seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2000) as f32 / 1000.0 - 1.0
        };
        let mut fan_in = network::INPUT;
        let mut params = Vec::new();
        for &(units, _) in &network::LAYERS {
            let units = usize::from(units);
            let kernel: Vec<f32> = (0..units * fan_in).map(|_| next()).collect();
            let bias: Vec<f32> = (0..units).map(|_| next()).collect();
            params.push((kernel, bias));
            fan_in = units;
        }
        let names: Vec<_> = (0..params.len())
            .map(|i| format!("Dense{}", i + 1))
            .collect();
        let layers: Vec<_> = network::LAYERS
            .iter()
            .zip(&params)
            .zip(&names)
            .map(|((&(units, activation), (kernel, bias)), name)| LayerRef {
                spec: LayerSpec {
                    units,
                    activation,
                    name,
                },
                kernel,
                bias,
            })
            .collect();
        let mean = vec![1.5; network::INPUT];
        let std = vec![2.0; network::INPUT];
        let model = ModelRef {
            input: network::INPUT as u16,
            labels: "",
            mean: &mean,
            std: &std,
            layers: &layers,
            ..ModelRef::default()
        };
        let mut bytes = vec![0; model.encoded_len().expect("valid test model")];
        model.encode(&mut bytes).expect("valid test model");
        bytes
    }

    /// A board on the host: a weights region, a counter that advances by one per read.
    struct TestBoard {
        region: Vec<u8>,
        ticks: u32,
        faults: Vec<Fault>,
    }

    impl TestBoard {
        fn with_model(model: &[u8]) -> Self {
            // The region is larger than the model, as flash is, and erased after it.
            let mut region = model.to_vec();
            region.resize(model.len() + 256, 0xFF);
            Self {
                region,
                ticks: 0,
                faults: Vec::new(),
            }
        }
    }

    impl Platform for TestBoard {
        const TICK_HZ: u32 = 1000;
        fn ticks(&mut self) -> u32 {
            self.ticks = self.ticks.wrapping_add(1);
            self.ticks
        }
        fn weights(&self) -> &[u8] {
            &self.region
        }
        fn stack_usage(&self) -> (u32, u32) {
            (100, 4096)
        }
        fn force_fault(&mut self, fault: Fault) {
            self.faults.push(fault);
        }
    }

    /// An in-memory serial port: reads what the test queued, records what the firmware wrote.
    #[derive(Default)]
    struct MemPort {
        input: Vec<u8>,
        at: usize,
        output: Vec<u8>,
    }

    impl embedded_io::ErrorType for MemPort {
        type Error = Infallible;
    }

    impl Read for MemPort {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
            // Hand out at most 5 bytes per call, so frames straddle reads.
            let n = buf.len().min(self.input.len() - self.at).min(5);
            buf[..n].copy_from_slice(&self.input[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    impl Write for MemPort {
        fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    /// A pin that remembers its state.
    #[derive(Default)]
    struct Led(Option<bool>);

    impl embedded_hal::digital::ErrorType for Led {
        type Error = Infallible;
    }

    impl OutputPin for Led {
        fn set_low(&mut self) -> Result<(), Infallible> {
            self.0 = Some(false);
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            self.0 = Some(true);
            Ok(())
        }
    }

    fn frame(request: &Request) -> Vec<u8> {
        let mut buf = [0u8; MAX_FRAME];
        encode(request, &mut buf).expect("request fits").to_vec()
    }

    /// Serves `wire` through the in-memory port; returns every response, in order.
    fn exchange(board: &mut TestBoard, led: &mut Led, wire: &[u8]) -> Vec<Response> {
        let (mut model, mut buffers) = (Model::new(), Buffers::new());
        let mut server = Server::new(&mut model, &mut buffers, "test", board);
        let mut port = MemPort {
            input: wire.to_vec(),
            ..MemPort::default()
        };
        let Ok(()) = server.serve(&mut port, board, led);
        port.output
            .split_inclusive(|&b| b == 0)
            .map(|f| decode::<Response>(&mut f.to_vec()).expect("firmware sends valid frames"))
            .collect()
    }

    fn input(values: &[f32]) -> Input {
        Input::from_slice(values).expect("fits MAX_INPUTS")
    }

    fn zeros() -> Input {
        input(&[0.0; network::INPUT])
    }

    fn expected(model: &[u8], x: &[f32]) -> Probabilities {
        let mut m = Model::new();
        m.load(model).expect("valid test model");
        m.classify(x).expect("right width")
    }

    fn bits(p: &[f32]) -> Vec<u32> {
        p.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn info_reports_architecture_version_and_loaded_crc() {
        let model = model_file(1);
        let crc = dendrite_core::format::ModelView::from_bytes(&model).map(|v| v.crc());
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut Led::default(),
            &frame(&Request::Info),
        );
        let [Response::Info(info)] = &responses[..] else {
            panic!("{responses:?}")
        };
        assert_eq!(info.architecture, network::architecture());
        assert_eq!(info.firmware, crate::VERSION);
        assert_eq!(info.board.as_str(), "test");
        assert_eq!(Ok(info.model), crc.map(|crc| ModelStatus::Loaded { crc }));
    }

    #[test]
    fn predict_returns_the_networks_bits_and_class() {
        let model = model_file(2);
        let x = [
            0.5, -3.0, 7.25, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0,
        ];
        let x = &x[..network::INPUT];
        let mut led = Led::default();
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut led,
            &frame(&Request::Predict(input(x))),
        );
        let [Response::Prediction(p)] = &responses[..] else {
            panic!("{responses:?}")
        };
        let want = expected(&model, x);
        assert_eq!(bits(&p.probabilities), bits(&want));
        assert_eq!(p.class, argmax(&want));
        assert_eq!(
            p.ticks, 1,
            "one tick between the two reads of the test counter"
        );
        assert_eq!(led.0, Some(p.class != 0));
    }

    #[test]
    fn batch_answers_each_input_in_order() {
        let model = model_file(3);
        let xs: Vec<Input> = (0..MAX_BATCH)
            .map(|i| input(&[i as f32 - 3.0; network::INPUT]))
            .collect();
        let request = Request::PredictBatch(xs.iter().cloned().collect());
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut Led::default(),
            &frame(&request),
        );
        let [Response::Batch(ps)] = &responses[..] else {
            panic!("{responses:?}")
        };
        assert_eq!(ps.len(), xs.len());
        for (p, x) in ps.iter().zip(&xs) {
            assert_eq!(bits(&p.probabilities), bits(&expected(&model, x)));
        }
    }

    #[test]
    fn batch_with_one_bad_input_is_refused_whole() {
        let model = model_file(4);
        let request = Request::PredictBatch(heapless::Vec::from_iter([zeros(), input(&[1.0])]));
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut Led::default(),
            &frame(&request),
        );
        assert_eq!(
            responses,
            vec![Response::Error(DeviceError::WrongInputWidth {
                expected: network::INPUT as u16,
                found: 1
            })]
        );
    }

    #[test]
    fn refuses_wrong_width_and_non_finite_inputs() {
        let model = model_file(5);
        let mut bad = zeros();
        bad[network::INPUT - 1] = f32::NAN;
        let mut wire = frame(&Request::Predict(input(&[1.0; network::INPUT + 1])));
        wire.extend(frame(&Request::Predict(bad)));
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut Led::default(),
            &wire,
        );
        assert_eq!(
            responses,
            vec![
                Response::Error(DeviceError::WrongInputWidth {
                    expected: network::INPUT as u16,
                    found: network::INPUT as u16 + 1
                }),
                Response::Error(DeviceError::NonFiniteInput {
                    index: network::INPUT as u16 - 1
                }),
            ]
        );
    }

    #[test]
    fn without_a_valid_model_every_prediction_is_refused_with_the_reason() {
        let mut corrupted = model_file(6);
        let last = corrupted.len() - 10;
        corrupted[last] ^= 0x40;
        let cases = [
            (vec![0xFF; 64], DecodeError::Empty),
            (b"NOPE....".to_vec(), DecodeError::WrongMagic),
        ];
        for (region, reason) in cases {
            let mut wire = frame(&Request::Predict(zeros()));
            wire.extend(frame(&Request::Cost { iterations: 3 }));
            let responses = exchange(
                &mut TestBoard::with_model(&region),
                &mut Led::default(),
                &wire,
            );
            let refused = Response::Error(DeviceError::NoValidModel(reason));
            assert_eq!(responses, vec![refused.clone(), refused]);
        }
        let responses = exchange(
            &mut TestBoard::with_model(&corrupted),
            &mut Led::default(),
            &frame(&Request::Predict(zeros())),
        );
        assert!(
            matches!(
                responses[..],
                [Response::Error(DeviceError::NoValidModel(
                    DecodeError::CrcMismatch { .. }
                ))]
            ),
            "{responses:?}"
        );
    }

    #[test]
    fn bad_frames_get_one_error_each_and_serving_goes_on() {
        let model = model_file(7);
        let mut wire = vec![0x13, 0x37, 0x00]; // garbage
        wire.extend(vec![0x42; MAX_FRAME + 10]); // over-long
        wire.push(0);
        wire.extend(frame(&Request::Info)[..1].iter()); // truncated, then closed
        wire.push(0);
        wire.extend(frame(&Request::Predict(zeros())));
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut Led::default(),
            &wire,
        );
        assert_eq!(responses.len(), 4, "{responses:?}");
        assert_eq!(responses[0], Response::Error(DeviceError::MalformedFrame));
        assert_eq!(responses[1], Response::Error(DeviceError::FrameTooLong));
        assert_eq!(responses[2], Response::Error(DeviceError::MalformedFrame));
        assert!(
            matches!(responses[3], Response::Prediction(_)),
            "{responses:?}"
        );
    }

    #[test]
    fn cost_times_the_forward_pass_and_an_empty_loop() {
        let model = model_file(8);
        let responses = exchange(
            &mut TestBoard::with_model(&model),
            &mut Led::default(),
            &frame(&Request::Cost { iterations: 50 }),
        );
        assert_eq!(
            responses,
            vec![Response::Cost(CostReport {
                iterations: 50,
                ticks: 1,
                empty_ticks: 1,
                tick_hz: TestBoard::TICK_HZ,
            })]
        );
    }

    #[test]
    fn cost_requests_are_clamped_so_a_bad_one_cannot_stall_the_device() {
        let responses = exchange(
            &mut TestBoard::with_model(&model_file(8)),
            &mut Led::default(),
            &frame(&Request::Cost {
                iterations: u32::MAX,
            }),
        );
        let [Response::Cost(report)] = &responses[..] else {
            panic!("{responses:?}")
        };
        assert_eq!(report.iterations, protocol::MAX_COST_ITERATIONS);
    }

    #[test]
    fn self_check_revalidates_the_region_and_reports_the_stack() {
        let model = model_file(9);
        let mut board = TestBoard::with_model(&model);
        let (mut model, mut buffers) = (Model::new(), Buffers::new());
        let mut server = Server::new(&mut model, &mut buffers, "t", &board);
        // The region is damaged after boot: the self-check sees it, the loaded model serves on.
        board.region[20] ^= 1;
        let mut port = MemPort {
            input: frame(&Request::SelfCheck),
            ..MemPort::default()
        };
        let Ok(()) = server.serve(&mut port, &mut board, &mut NoPin);
        let response: Response = decode(&mut port.output).expect("valid frame");
        let Response::SelfCheck(report) = response else {
            panic!("{response:?}")
        };
        assert!(matches!(
            report.model,
            ModelStatus::Invalid(DecodeError::CrcMismatch { .. })
        ));
        assert_eq!((report.stack_used, report.stack_size), (100, 4096));
        assert!(matches!(server.status(), ModelStatus::Loaded { .. }));
    }

    #[test]
    fn fault_requests_reach_the_board_and_are_otherwise_unsupported() {
        let mut board = TestBoard::with_model(&model_file(10));
        let responses = exchange(
            &mut board,
            &mut Led::default(),
            &frame(&Request::ForceFault(Fault::HardFault)),
        );
        assert_eq!(board.faults, vec![Fault::HardFault]);
        assert_eq!(responses, vec![Response::Error(DeviceError::Unsupported)]);
    }

    #[test]
    fn argmax_takes_the_first_of_equal_values() {
        assert_eq!(argmax(&[0.25, 0.5, 0.5]), 1);
        assert_eq!(argmax(&[]), 0);
    }
}
