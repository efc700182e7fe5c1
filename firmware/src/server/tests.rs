extern crate std;

use super::*;
use crate::network::{self, Model};
use crate::Buffers;
use crate::Server;
use dendrite_core::format::Task;
use dendrite_core::format::{LayerRef, LayerSpec, ModelRef};
use dendrite_core::protocol::{decode, encode, Fault, Request, Response};
use std::vec::Vec;
use std::{format, vec};

/// A model file of the firmware's architecture with weights from `seed`.
fn model_file(seed: u32) -> Vec<u8> {
    model_file_for(seed, Task::Classification)
}

/// As [`model_file`], for `task`.
fn model_file_for(seed: u32, task: Task<&[f32]>) -> Vec<u8> {
    model_file_with_input(seed, task, network::INPUT)
}

/// As [`model_file_for`], with `input` inputs (another architecture unless it is the
/// firmware's).
fn model_file_with_input(seed: u32, task: Task<&[f32]>, input: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 2000) as f32 / 1000.0 - 1.0
    };
    let mut fan_in = input;
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
    let mean = vec![1.5; input];
    let std = vec![2.0; input];
    let model = ModelRef {
        input: input as u16,
        labels: "",
        mean: &mean,
        std: &std,
        layers: &layers,
        task,
        ..ModelRef::default()
    };
    let mut bytes = vec![0; model.encoded_len().expect("valid test model")];
    model.encode(&mut bytes).expect("valid test model");
    bytes
}

/// `bytes` at a 4-byte-aligned address that lives as long as the test program, as a weights
/// region in flash does (the network reads it in place).
fn flash(bytes: &[u8]) -> &'static [u8] {
    aligned_at(bytes, 0)
}

/// `bytes` at an address 4-byte-aligned plus `offset`, for the whole test program.
fn aligned_at(bytes: &[u8], offset: usize) -> &'static [u8] {
    let memory = Vec::leak(vec![0u8; bytes.len() + 3 + offset]);
    let start = memory.as_ptr().align_offset(4) + offset;
    let region = &mut memory[start..start + bytes.len()];
    region.copy_from_slice(bytes);
    region
}

/// A board on the host: a weights region, a counter that advances by one per read.
struct TestBoard {
    region: &'static [u8],
    ticks: u32,
    faults: Vec<Fault>,
}

impl TestBoard {
    fn with_model(model: &[u8]) -> Self {
        // The region is larger than the model, as flash is, and erased after it.
        let mut region = model.to_vec();
        region.resize(model.len() + 256, 0xFF);
        Self {
            region: flash(&region),
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
    fn weights(&self) -> &'static [u8] {
        self.region
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
    let mut buf = vec![0u8; network::FRAME];
    encode(request, &mut buf).expect("request fits").to_vec()
}

/// Serves `wire` through the in-memory port; returns every response, in order.
fn exchange(board: &mut TestBoard, led: &mut Led, wire: &[u8]) -> Vec<Response> {
    let mut buffers = Buffers::new();
    let mut server = Server::new(&mut buffers, "test", board);
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

fn input(values: &[f32]) -> Vec<f32> {
    values.to_vec()
}

fn zeros() -> Vec<f32> {
    input(&[0.0; network::INPUT])
}

fn expected(model: &[u8], x: &[f32]) -> Vec<f32> {
    let (m, _) = <Model as Classifier>::from_region(flash(model)).expect("valid test model");
    m.run(x, <[f32]>::to_vec).expect("right width")
}

/// The class the rule of dendrite-core gives the firmware network's outputs.
fn class_of(outputs: &[f32]) -> u16 {
    let last = network::LAYERS[network::LAYERS.len() - 1].1;
    dendrite_core::class_of(outputs, last) as u16
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
    assert_eq!(bits(&p.outputs), bits(&want));
    assert_eq!(p.class, Some(class_of(&want)));
    assert_eq!(
        p.ticks, 1,
        "one tick between the two reads of the test counter"
    );
    assert_eq!(led.0, Some(p.class != Some(0)));
}

#[test]
fn batch_answers_each_input_in_order() {
    let model = model_file(3);
    let xs: Vec<Vec<f32>> = (0..network::LIMITS.batch)
        .map(|i| input(&[i as f32 - 3.0; network::INPUT]))
        .collect();
    let request = Request::PredictBatch(xs.clone());
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
        let want = expected(&model, x);
        assert_eq!(bits(&p.outputs), bits(&want));
        assert_eq!(p.class, Some(class_of(&want)));
    }
}

#[test]
fn batch_with_one_bad_input_is_refused_whole() {
    let model = model_file(4);
    let request = Request::PredictBatch(vec![zeros(), input(&[1.0])]);
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
    wire.extend(vec![0x42; network::FRAME + 10]); // over-long
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
            network_bytes: core::mem::size_of::<crate::network::Model>() as u32,
            stack_bytes: 0,
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
fn models_that_cannot_be_read_in_place_are_refused_at_boot() {
    let model = model_file(11);
    let other = model_file_with_input(11, Task::Classification, network::INPUT + 1);
    let cases = [
        (flash(&other), DecodeError::ArchitectureMismatch),
        // Weights at an odd address cannot be read as f32 in place.
        (aligned_at(&model, 1), DecodeError::Unaligned),
    ];
    for (region, reason) in cases {
        let board = TestBoard {
            region,
            ticks: 0,
            faults: Vec::new(),
        };
        let mut buffers = Buffers::new();
        let server = Server::new(&mut buffers, "t", &board);
        assert_eq!(server.status(), ModelStatus::Invalid(reason));
    }
}

#[test]
fn the_network_is_pointers_into_the_region_not_a_copy_of_the_weights() {
    // References into the model's data section, a flag, the CRC and the task. A copy of the
    // weights would be larger for every model.
    let weights: usize = network::LAYERS
        .iter()
        .scan(network::INPUT, |fan_in, &(units, _)| {
            let units = usize::from(units);
            let count = (*fan_in + 1) * units;
            *fan_in = units;
            Some(count)
        })
        .sum::<usize>()
        + 2 * network::INPUT;
    let size = core::mem::size_of::<Model>();
    // At most a reference per standardization array and per kernel and bias, and the flags.
    let references = 2 + 2 * network::LAYERS.len();
    assert!(
        size <= references * core::mem::size_of::<usize>() + 16,
        "{size} bytes"
    );
    assert!(size < weights * 4, "{size} bytes for {weights} weights");
}

#[test]
fn self_check_revalidates_the_region_and_reports_the_stack() {
    let model = model_file(9);
    let mut board = TestBoard::with_model(&model);
    let mut buffers = Buffers::new();
    let mut server = Server::new(&mut buffers, "t", &board);
    // The region is damaged after boot: the self-check sees it.
    let mut damaged = board.region.to_vec();
    damaged[20] ^= 1;
    board.region = flash(&damaged);
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
fn a_regression_model_answers_outputs_without_a_class_and_leaves_the_pin() {
    let (mean, std) = (vec![10.0; network::OUTPUT], vec![2.0; network::OUTPUT]);
    let model = model_file_for(
        11,
        Task::Regression {
            mean: &mean,
            std: &std,
        },
    );
    let x = zeros();
    let mut wire = frame(&Request::Predict(x.clone()));
    wire.extend(frame(&Request::PredictBatch(vec![x.clone(), x.clone()])));
    let mut led = Led::default();
    let responses = exchange(&mut TestBoard::with_model(&model), &mut led, &wire);
    let [Response::Prediction(p), Response::Batch(ps)] = &responses[..] else {
        panic!("{responses:?}")
    };
    // The raw outputs, bit for bit: the host turns them into the targets' units.
    assert_eq!(bits(&p.outputs), bits(&expected(&model, &x)));
    assert_eq!(p.class, None);
    assert!(ps
        .iter()
        .all(|q| q.class.is_none() && q.outputs == p.outputs));
    assert_eq!(led.0, None);
}

#[test]
fn a_batch_longer_than_the_frame_holds_answers_for_is_malformed() {
    let model = model_file(12);
    let request = Request::PredictBatch(vec![zeros(); network::LIMITS.batch + 1]);
    let mut buf = vec![0u8; 4 * network::FRAME];
    let wire = encode(&request, &mut buf).expect("fits").to_vec();
    let responses = exchange(
        &mut TestBoard::with_model(&model),
        &mut Led::default(),
        &wire,
    );
    let refused = if wire.len() > network::FRAME {
        DeviceError::FrameTooLong
    } else {
        DeviceError::MalformedFrame
    };
    assert_eq!(responses, vec![Response::Error(refused)]);
}

/// An autoencoder of width 3 that halves its standardized input: its reconstruction error is
/// known in closed form, so the reply's can be checked against the host's rule. Whatever the
/// region holds, it stands for an anomaly model of threshold 0.5, mean (1, 2, 3) and std 2.
struct Halver {
    mean: [f32; 3],
    std: [f32; 3],
}

impl Classifier for Halver {
    const INPUT: usize = 3;
    fn architecture() -> Architecture {
        Architecture {
            input: 3,
            layers: [(3, Activation::Linear)].into_iter().collect(),
        }
    }
    fn from_region(_: &'static [u8]) -> Result<(Self, crate::Loaded), DecodeError> {
        let halver = Halver {
            mean: [1.0, 2.0, 3.0],
            std: [2.0; 3],
        };
        let loaded = crate::Loaded {
            crc: 7,
            classifies: false,
            anomaly_threshold: Some(0.5),
        };
        Ok((halver, loaded))
    }
    fn standardization(&self) -> (&[f32], &[f32]) {
        (&self.mean, &self.std)
    }
    fn run<R>(&self, x: &[f32], f: impl FnOnce(&[f32]) -> R) -> Option<R> {
        let x: [f32; 3] = x.try_into().ok()?;
        let mut z = x;
        dendrite_core::kernel::standardize(&mut z, &self.mean, &self.std);
        Some(f(&z.map(|v| v / 2.0)))
    }
    fn measure_forward(&self, x: &[f32], measure: impl FnOnce(&mut dyn FnMut()) -> u32) -> u32 {
        measure(&mut || {
            self.run(x, |_| ());
        })
    }
    fn forward_repeatedly(&self, _: &[f32], _: u32) {}
}

#[test]
fn an_anomaly_model_answers_its_reconstruction_error_and_verdict() {
    let mut buffers = super::Buffers::<256, 3>::new();
    let mut board = TestBoard::with_model(&[]);
    let mut server = super::Server::<Halver, 256, 3>::new(&mut buffers, "test", &board);
    // Standardized (0, 0, 0): error 0, normal. Standardized (2, 2, 2) halved to (1, 1, 1):
    // error 1, anomalous. Standardized (1, 1, 1): error 0.25, normal.
    let (normal, far, near) = ([1.0, 2.0, 3.0], [5.0, 6.0, 7.0], [3.0, 4.0, 5.0]);
    let mut wire = frame(&Request::Predict(far.to_vec()));
    wire.extend(frame(&Request::PredictBatch(vec![
        normal.to_vec(),
        near.to_vec(),
        far.to_vec(),
    ])));
    let mut answers = Vec::new();
    for &byte in &wire {
        if let Some(reply) = server.feed(byte, &mut board, &mut NoPin) {
            answers.push(decode::<Response>(&mut reply.to_vec()).expect("valid frame"));
        }
    }
    let verdict = |error: f32, anomalous| Some(Reconstruction { error, anomalous });
    let [Response::Prediction(p), Response::Batch(ps)] = &answers[..] else {
        panic!("{answers:?}")
    };
    assert_eq!((p.class, p.reconstruction), (None, verdict(1.0, true)));
    let got: Vec<_> = ps.iter().map(|q| q.reconstruction).collect();
    assert_eq!(
        got,
        vec![
            verdict(0.0, false),
            verdict(0.25, false),
            verdict(1.0, true)
        ]
    );
}

#[test]
fn the_cost_measurement_runs_one_pass_and_nothing_else() {
    use crate::Classifier;
    let region = flash(&model_file(8));
    let model = Model::from_region(region).expect("a valid model");
    // The measured closure is the pass alone: once, with what `measure` returns passed back.
    let mut passes = 0;
    let bytes = model.measure_forward(&zeros(), |pass| {
        pass();
        passes += 1;
        42
    });
    assert_eq!((bytes, passes), (42, 1));
    // An input of the wrong width runs nothing and measures nothing.
    let bytes = model.measure_forward(&[0.0; network::INPUT + 1], |pass| {
        pass();
        7
    });
    assert_eq!(bytes, 0);
}
