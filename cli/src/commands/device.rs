//! Running a model file on the firmware: under `qemu-system-arm` (`--qemu`) or on a board over a
//! serial port (`--serial PORT`), through the same protocol code, next to the host's forward
//! pass on the same file.

use anyhow::{bail, Context, Result};
use clap::Args;
use dendrite_core::protocol::{DeviceInfo, ModelStatus, Prediction};
use dendrite_core::Reconstruction;
use dendrite_link::QEMU_BOARDS;
use dendrite_link::{firmware, fit, open_serial, FirmwareSource, Link, LinkError, Qemu, QemuBoard};
use dendrite_link::{QemuOptions, SerialPort};
use dendrite_trainer::HostModel;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// Where the firmware runs: `--qemu` or `--serial PORT`, on `--board NAME`.
#[derive(Clone, Debug, Args)]
pub struct DeviceArgs {
    /// Run on the firmware under qemu-system-arm, with the model in its weights region. The
    /// firmware is built for the model's architecture when needed (cached), from the sources in
    /// DENDRITE_FIRMWARE_DIR (default: the checkout dendrite was built from); the environment
    /// variable DENDRITE_FIRMWARE names a firmware ELF to use instead.
    #[arg(long, conflicts_with = "serial")]
    pub qemu: bool,
    /// Run on a board on this serial port (e.g. /dev/ttyACM0), already flashed with the firmware
    /// and the model.
    #[arg(long, value_name = "PORT")]
    pub serial: Option<String>,
    /// The serial port's baud rate.
    #[arg(long, default_value_t = 115_200, requires = "serial")]
    pub baud: u32,
    /// The board the firmware runs on. With --qemu, the emulated board: mps2-an386
    /// (Cortex-M4F), mps2-an385 (Cortex-M3, soft float), mps2-an500 (Cortex-M7), mps2-an505
    /// (Cortex-M33) or microbit (Cortex-M0, soft float); each gets its own firmware build.
    /// With --serial the firmware reports its own board, and NAME only selects a real board's
    /// limits for the fit check (nucleo-f411re, nrf52840-dk, rp-pico); otherwise it is a label.
    #[arg(long, default_value = "mps2-an386", value_name = "NAME")]
    pub board: String,
    /// Seconds to wait for each answer: a silent device is an error, not a hang.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,
}

impl DeviceArgs {
    /// Whether a device was asked for at all.
    pub fn wanted(&self) -> bool {
        self.qemu || self.serial.is_some()
    }
}

/// The link to the firmware, emulated or real.
pub enum Device {
    /// The firmware under QEMU (killed on drop), on an emulated board.
    Qemu(Box<Qemu>, QemuBoard),
    /// A board on a serial port.
    Serial(Box<Link<SerialPort>>),
}

/// What the firmware answered for one input, beside the host's answer.
#[derive(Debug, Serialize)]
pub struct DeviceAnswer {
    /// The device's outputs, bit for bit, in the user's units (a regression model's raw outputs
    /// destandardized on the host, by the function the host's own outputs go through).
    pub outputs: Vec<f32>,
    /// The class the device picked (none for a regression or anomaly model).
    pub class: Option<u16>,
    /// An anomaly model's reconstruction error, computed on the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconstruction_error: Option<f32>,
    /// Whether the device flags the input as anomalous (its error above the model's threshold).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomalous: Option<bool>,
    /// Timer ticks of the device's forward pass.
    pub ticks: u32,
    /// Instructions, under QEMU's `-icount shift=0` (one per virtual nanosecond).
    pub instructions: Option<u64>,
    /// Whether every raw output has the host's exact bits, the class is the host's, and an
    /// anomaly model's reconstruction error has the host's bits and its verdict is the host's.
    pub agrees_bit_for_bit: bool,
}

impl Device {
    /// Opens the device `args` names and checks that it holds `model`'s file.
    ///
    /// # Errors
    /// An unknown board, a firmware that cannot be built or started, a port that cannot be
    /// opened, a device that does not answer or holds another model.
    pub fn open(args: &DeviceArgs, model_path: &Path, model: &HostModel) -> Result<Self> {
        let timeout = Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .with_context(|| {
                format!(
                    "--timeout {}: give a positive number of seconds",
                    args.timeout
                )
            })?;
        let mut device = match &args.serial {
            Some(port) => {
                if let Some(hw) = dendrite_link::real_board(&args.board) {
                    check_fits(model, model_path, &hw.budget())?;
                }
                Self::Serial(Box::new(open_serial(port, args.baud, timeout)?))
            }
            None => {
                let board = find_board(&args.board)?;
                // Before building a firmware for the model: say so if it cannot fit the board.
                check_fits(model, model_path, &board.budget())?;
                Self::Qemu(Box::new(spawn_qemu(model_path, board, timeout)?), board)
            }
        };
        let info = device
            .link_info()
            .context("asking the device for its model")?;
        check_model(&info, model, model_path)?;
        Ok(device)
    }

    fn link_info(&mut self) -> Result<DeviceInfo, LinkError> {
        match self {
            Self::Qemu(qemu, _) => qemu.link().info(),
            Self::Serial(link) => link.info(),
        }
    }

    /// Runs `x` on the device and compares with the host's raw outputs for it (`host`, from
    /// `model`'s forward pass): the outputs bit for bit, the class by dendrite-core's rule, and
    /// an anomaly model's reconstruction error (bit for bit) and verdict, which the device
    /// computes itself.
    ///
    /// # Errors
    /// The device refused or did not answer.
    pub fn predict(&mut self, model: &HostModel, x: &[f32], host: &[f32]) -> Result<DeviceAnswer> {
        let p: Prediction = match self {
            Self::Qemu(qemu, _) => qemu.link().predict(x),
            Self::Serial(link) => link.predict(x),
        }
        .context("predicting on the device")?;
        let host_class = model.class_of(host).map(|c| c as u16);
        let verdict = |r: Option<Reconstruction>| r.map(|r| (r.error.to_bits(), r.anomalous));
        let agrees = p.outputs.len() == host.len()
            && p.outputs
                .iter()
                .zip(host)
                .all(|(d, h)| d.to_bits() == h.to_bits())
            && p.class == host_class
            && verdict(p.reconstruction) == verdict(model.reconstruction(x, host));
        // Under `-icount shift=0` one instruction is one virtual nanosecond: 40 per tick of a
        // 25 MHz timer.
        let instructions = match self {
            Self::Qemu(_, board) => {
                Some((f64::from(p.ticks) * board.instructions_per_tick()).round() as u64)
            }
            Self::Serial(_) => None,
        };
        Ok(DeviceAnswer {
            outputs: model.values(&p.outputs),
            class: p.class,
            reconstruction_error: p.reconstruction.map(|r| r.error),
            anomalous: p.reconstruction.map(|r| r.anomalous),
            ticks: p.ticks,
            instructions,
            agrees_bit_for_bit: agrees,
        })
    }

    /// What the device is, for a report line.
    pub fn describe(&self, board: &str) -> String {
        match self {
            Self::Qemu(_, b) => format!("{board} ({}) under qemu-system-arm", b.core),
            Self::Serial(_) => format!("{board} on a serial port"),
        }
    }
}

/// Whether `model` fits the board of `budget`: its file in the weights region, its network and
/// frame buffers in RAM.
pub fn check_fits(model: &HostModel, path: &Path, budget: &fit::Budget) -> Result<()> {
    fit::check(model.architecture(), model.file_len(), budget)
        .with_context(|| format!("{} cannot run on {}", path.display(), budget.board))
}

/// The emulated board named `name`.
fn find_board(name: &str) -> Result<QemuBoard> {
    dendrite_link::qemu_board(name).with_context(|| {
        let names: Vec<&str> = QEMU_BOARDS.iter().map(|b| b.name).collect();
        format!(
            "--board {name}: unknown board (supported: {})",
            names.join(", ")
        )
    })
}

/// The firmware sources: the directory `DENDRITE_FIRMWARE_DIR` names, else the checkout this
/// program was built from (an installed `dendrite` whose checkout is gone says how to point at
/// one when it needs them).
pub fn firmware_source() -> FirmwareSource {
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    FirmwareSource::locate(cli.parent().unwrap_or(cli).join("firmware"))
}

fn spawn_qemu(model: &Path, board: QemuBoard, timeout: Duration) -> Result<Qemu> {
    let elf = firmware::for_model(&firmware_source(), model, board, false)?;
    let mut options = QemuOptions::new(elf).model(model).board(board).icount(true);
    options.timeout = timeout;
    Ok(Qemu::spawn(&options)?)
}

/// The device must run the very file the host reads: same architecture, same CRC-32.
fn check_model(info: &DeviceInfo, model: &HostModel, path: &Path) -> Result<()> {
    if &info.architecture != model.architecture() {
        bail!(
            "the device's firmware is built for architecture {}, but {} is {}: build and flash \
             the firmware for it (DENDRITE_MODEL={} cargo build --release in firmware/)",
            info.architecture,
            path.display(),
            model.architecture(),
            path.display()
        );
    }
    match info.model {
        ModelStatus::Loaded { crc } if crc == model.crc() => Ok(()),
        ModelStatus::Loaded { crc } => bail!(
            "the device holds another model (CRC-32 {crc:#010x}; {} has {:#010x}): flash {} at \
             the weights region",
            path.display(),
            model.crc(),
            path.display()
        ),
        // The file is valid on the host: a truncated copy on the device means the file is
        // larger than the weights region, which is what the user must change.
        ModelStatus::Invalid(dendrite_core::format::DecodeError::Truncated) => bail!(
            "{} ({} bytes) does not fit the device's weights region, which holds only part of \
             it: use a smaller model (fewer or narrower layers)",
            path.display(),
            model.file_len()
        ),
        ModelStatus::Invalid(reason) => {
            bail!("the device refuses the model in its weights region: {reason}")
        }
    }
}

/// What `predict --qemu/--serial` reports.
#[derive(Debug, Serialize)]
struct Report<'a> {
    inputs: &'a [f32],
    /// In the user's units (a regression model's targets, destandardized).
    outputs: &'a [f32],
    /// None for a regression or anomaly model.
    class: Option<usize>,
    label: Option<&'a str>,
    /// An anomaly model's reconstruction error on the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    reconstruction_error: Option<f32>,
    /// Whether the host flags the input as anomalous.
    #[serde(skip_serializing_if = "Option::is_none")]
    anomalous: Option<bool>,
    /// An int8 model's raw int8 outputs on the host (`outputs` are them dequantized).
    #[serde(skip_serializing_if = "Option::is_none")]
    quantized_outputs: Option<Vec<i8>>,
    device: &'a DeviceAnswer,
}

/// `dendrite predict --qemu|--serial`: one input on the host and on the device, side by side.
///
/// # Errors
/// A bad model file or input, a device that fails, or outputs that differ from the host's.
pub fn predict(args: &DeviceArgs, model_path: &Path, inputs: &[f32], json: bool) -> Result<()> {
    let model = HostModel::load(model_path)?;
    check_width(&model, model_path, inputs)?;
    let host = model
        .predict(inputs)
        .with_context(|| format!("running {}", model_path.display()))?;
    let mut device = Device::open(args, model_path, &model)?;
    let answer = device.predict(&model, inputs, &host)?;
    let class = model.class_of(&host);
    let values = model.values(&host);
    let reconstruction = model.reconstruction(inputs, &host);
    let report = Report {
        inputs,
        outputs: &values,
        class,
        label: class
            .and_then(|c| model.labels().get(c))
            .map(String::as_str),
        reconstruction_error: reconstruction.map(|r| r.error),
        anomalous: reconstruction.map(|r| r.anomalous),
        quantized_outputs: model.predict_quantized(inputs)?,
        device: &answer,
    };
    if json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report, &device.describe(&args.board))?;
    }
    anyhow::ensure!(
        answer.agrees_bit_for_bit,
        "the device's answer differs from the host's: please report this with the model file"
    );
    Ok(())
}

/// The number of input values must match the model's.
pub fn check_width(model: &HostModel, path: &Path, inputs: &[f32]) -> Result<()> {
    anyhow::ensure!(
        inputs.len() == model.input(),
        "{} takes {} input values, got {}: give one value per feature",
        path.display(),
        model.input(),
        inputs.len()
    );
    Ok(())
}

/// `error 0.123 -> normal` (the error with enough digits to round-trip its bits), for an anomaly
/// model's verdict.
pub fn verdict(error: Option<f32>, anomalous: Option<bool>) -> Option<String> {
    let (error, anomalous) = (error?, anomalous?);
    let word = if anomalous { "anomalous" } else { "normal" };
    Some(format!("reconstruction error {error:?} -> {word}"))
}

/// `[a, b, c]` with enough digits to round-trip each float's bits.
pub fn list(values: &[f32]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", items.join(", "))
}

fn print_report(r: &Report<'_>, device: &str) -> anyhow::Result<()> {
    outln!("inputs:  {}", list(r.inputs));
    outln!("outputs: {}", list(r.outputs));
    match (r.class, r.label) {
        (Some(class), Some(label)) => outln!("class:   {class} ({label})"),
        (Some(class), None) => outln!("class:   {class}"),
        (None, _) => {}
    }
    if let Some(verdict) = verdict(r.reconstruction_error, r.anomalous) {
        outln!("host:    {verdict}");
    }
    let d = r.device;
    let cost = match d.instructions {
        Some(n) => format!("{} timer ticks, {n} instructions", d.ticks),
        None => format!("{} timer ticks", d.ticks),
    };
    match (d.class, verdict(d.reconstruction_error, d.anomalous)) {
        (Some(class), _) => outln!("device:  {device}: class {class}, {cost}"),
        (None, Some(verdict)) => outln!("device:  {device}: {verdict}, {cost}"),
        (None, None) => outln!("device:  {device}: {cost}"),
    }
    let what = if d.reconstruction_error.is_some() {
        "outputs, reconstruction error and verdict"
    } else {
        "outputs"
    };
    if d.agrees_bit_for_bit {
        outln!("         {what} equal the host's bit for bit");
    } else {
        outln!(
            "         {what} DIFFER from the host's: outputs {}{}",
            list(&d.outputs),
            verdict(d.reconstruction_error, d.anomalous)
                .map_or_else(String::new, |v| format!(", {v}"))
        );
    }
    Ok(())
}
