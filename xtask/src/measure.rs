//! `cargo xtask size` and `cargo xtask cost`: the firmware's flash, static RAM and stack, and
//! its instructions per inference, measured on the real images, on every board.
//!
//! Flash is `.vector_table + .text + .rodata` and static RAM `.data + .bss`, read from the ELF
//! with the `object` crate; the stack high-water mark is the firmware's own `SelfCheck` report
//! (a painted stack) after 2,000 predictions under QEMU, and the network's RAM
//! (`network_ram_bytes`: the network value's own bytes plus the stack one forward pass uses
//! below its caller's frame, painted just before it; the memory the inference needs beyond its
//! caller's own input and output buffers, the pass writing its outputs into an array the
//! caller declared: a caller keeping the f32 outputs adds 4 bytes per output) the firmware's
//! `Cost` report of one pass.
//! Instructions per inference come from the `Cost` request under `qemu-system-arm -icount
//! shift=0` (one instruction per virtual nanosecond), net of an empty loop of as many turns. The
//! emulated boards are measured with the seed model, a 16-32-32-4 model and a 64-32-10 model,
//! the 16-32-32-4 model quantized to int8, and (where the WEIGHTS region holds them) a
//! 256-128-64-10 model (41,802 f32 parameters) and the MLPerf Tiny anomaly-detection
//! autoencoder's shape in int8; the real boards (`firmware/boards/`), which cannot run here, are
//! built and sized for the seed model. The models are written to `target/xtask/` from fixed
//! seeds, the same bytes on every run.

use anyhow::{bail, Context, Result};
use dendrite_core::Activation::{Linear, Relu, Softmax};
use dendrite_link::{firmware, Qemu, QemuBoard, QemuOptions, RealBoard, QEMU_BOARDS, REAL_BOARDS};
use dendrite_tests::models;
use object::{Object, ObjectSection};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::shell::{firmware_source, root};

/// Forward passes timed per `Cost` request.
const COST_ITERATIONS: u32 = 10_000;
/// Forward passes of the short run that sets the time allowed for [`COST_ITERATIONS`].
const COST_PROBE: u32 = 100;

/// Section sizes of a firmware ELF, in bytes.
struct Sections {
    vector_table: u64,
    text: u64,
    rodata: u64,
    data: u64,
    bss: u64,
}

impl Sections {
    fn read(elf: &Path) -> Result<Self> {
        let bytes = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
        let file =
            object::File::parse(&*bytes).with_context(|| format!("parsing {}", elf.display()))?;
        let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
        Ok(Self {
            vector_table: size(".vector_table"),
            text: size(".text"),
            rodata: size(".rodata"),
            data: size(".data"),
            bss: size(".bss"),
        })
    }

    fn flash(&self) -> u64 {
        self.vector_table + self.text + self.rodata + self.data
    }

    fn static_ram(&self) -> u64 {
        self.data + self.bss
    }

    fn json(&self) -> Value {
        json!({ ".vector_table": self.vector_table, ".text": self.text, ".rodata": self.rodata,
                ".data": self.data, ".bss": self.bss })
    }
}

/// `cargo xtask size [--json] [--model FILE] [--board NAME]`: flash, static RAM, stack
/// high-water mark and the network's RAM of every board's firmware. In the JSON,
/// `network_ram_bytes` is `network.value_bytes` (the network value) plus
/// `network.forward_stack_bytes` (the stack of one pass, the outputs in the caller's array
/// outside it): the input and the outputs are the caller's, not counted.
pub fn size(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let mut rows = Vec::new();
    for board in options.boards()? {
        for model in options.models(board)? {
            let elf = firmware::for_model(&firmware_source(), &model, board, true)?;
            let s = Sections::read(&elf)?;
            let ram = ram_use(&elf, &model, board)?;
            rows.push(json!({
                "board": board.name, "core": board.core, "emulated": true,
                "architecture": label(&model)?,
                "flash_bytes": s.flash(), "static_ram_bytes": s.static_ram(),
                "sections": s.json(), "stack_high_water_bytes": ram.stack_high_water,
                "network_ram_bytes": ram.network(),
                "network": { "value_bytes": ram.network_value, "forward_stack_bytes": ram.forward_stack },
            }));
        }
    }
    for hw in options.real_boards() {
        let elf = hw.build(&firmware_source(), true)?;
        let s = Sections::read(&elf)?;
        rows.push(json!({
            "board": hw.name, "core": hw.core, "emulated": false,
            "architecture": firmware::architecture(&firmware_source().seed_model())?.to_string(),
            "flash_bytes": s.flash(), "static_ram_bytes": s.static_ram(),
            "sections": s.json(), "stack_high_water_bytes": null,
            "network_ram_bytes": null, "network": null,
        }));
    }
    if options.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "boards": rows }))?
        );
        return Ok(());
    }
    println!("flash = .vector_table + .text + .rodata + .data; static RAM = .data + .bss; stack after 2,000 predictions;");
    println!("network RAM = the network value + the stack of one forward pass (weights read in place from flash;");
    println!("the caller's input and outputs not counted: keeping the f32 outputs adds 4 bytes per output)");
    println!(
        "{:<14} {:<11} {:<37} {:>7} {:>7} {:>7} {:>8}",
        "board", "core", "architecture", "flash", "RAM", "stack", "network"
    );
    let figure = |v: &Value| v.as_u64().map_or("-".into(), |n| n.to_string());
    for r in &rows {
        println!(
            "{:<14} {:<11} {:<37} {:>7} {:>7} {:>7} {:>8}",
            text(&r["board"]),
            text(&r["core"]),
            text(&r["architecture"]),
            r["flash_bytes"].as_u64().unwrap_or(0),
            r["static_ram_bytes"].as_u64().unwrap_or(0),
            figure(&r["stack_high_water_bytes"]),
            figure(&r["network_ram_bytes"]),
        );
    }
    Ok(())
}

/// `cargo xtask cost [--json] [--model FILE] [--board NAME]`: instructions per inference on
/// every emulated board (the real boards, which cannot run here, are listed without a figure).
pub fn cost(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let mut rows = Vec::new();
    for board in options.boards()? {
        for model in options.models(board)? {
            let elf = firmware::for_model(&firmware_source(), &model, board, true)?;
            let mut qemu = boot(&elf, &model, board, true)?;
            // A short run first: its wall time bounds the long one's, however slow the model
            // (the soft-float cores, the autoencoder) or however loaded the machine.
            let started = Instant::now();
            qemu.link()
                .cost(COST_PROBE)
                .with_context(|| format!("asking {} for the cost", board.name))?;
            let expected = started.elapsed() * (COST_ITERATIONS / COST_PROBE);
            qemu.link()
                .port_mut()
                .set_timeout((expected * 4).max(Duration::from_secs(60)));
            let report = qemu
                .link()
                .cost(COST_ITERATIONS)
                .with_context(|| format!("asking {} for the cost", board.name))?;
            let instructions = report.ticks_per_inference() * 1e9 / f64::from(report.tick_hz);
            rows.push(json!({
                "board": board.name, "core": board.core, "emulated": true,
                "architecture": label(&model)?,
                "instructions_per_inference": instructions,
            }));
        }
    }
    for hw in options.real_boards() {
        rows.push(json!({
            "board": hw.name, "core": hw.core, "emulated": false,
            "architecture": null, "instructions_per_inference": null,
            "note": format!("not runnable here; same core and build settings as {}", hw.like),
        }));
    }
    if options.json {
        let report = json!({ "iterations": COST_ITERATIONS, "boards": rows });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("instructions per inference (qemu -icount shift=0, {COST_ITERATIONS} passes on a zero input, net of loop):");
    for r in &rows {
        match r["instructions_per_inference"].as_f64() {
            Some(n) => println!(
                "  {:<14} {:<11} {:<29} {n:>9.1}",
                text(&r["board"]),
                text(&r["core"]),
                text(&r["architecture"])
            ),
            None => println!(
                "  {:<14} {:<11} {}",
                text(&r["board"]),
                text(&r["core"]),
                text(&r["note"])
            ),
        }
    }
    Ok(())
}

/// The architecture of a model file as the reports print it, with `int8` after an int8 model's.
fn label(model: &Path) -> Result<String> {
    let architecture = firmware::architecture(model)?.to_string();
    Ok(match firmware::weight_type(model)? {
        dendrite_core::format::DType::I8 => format!("{architecture} int8"),
        _ => architecture,
    })
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// What a firmware's RAM is used for besides its statics, as it reports it.
struct RamUse {
    /// The stack high-water mark after 2,000 predictions (`SelfCheck`).
    stack_high_water: u32,
    /// The network value's own bytes (`Cost`).
    network_value: u32,
    /// The stack of one forward pass below its caller's frame (`Cost`).
    forward_stack: u32,
}

impl RamUse {
    /// The network's RAM: the network value and the stack of one forward pass.
    fn network(&self) -> u32 {
        self.network_value + self.forward_stack
    }
}

/// The firmware's own stack high-water mark after 2,000 predictions, then the RAM of one
/// forward pass from a one-pass `Cost` request.
fn ram_use(elf: &Path, model: &Path, board: QemuBoard) -> Result<RamUse> {
    let mut qemu = boot(elf, model, board, false)?;
    let input = usize::from(firmware::architecture(model)?.input);
    let inputs = models::random_inputs(2_000, input, 7);
    qemu.link()
        .predict_batch(&inputs)
        .context("running predictions")?;
    let check = qemu
        .link()
        .self_check()
        .context("asking for the stack high-water mark")?;
    let cost = qemu
        .link()
        .cost(1)
        .with_context(|| format!("asking {} for the network's RAM", board.name))?;
    if cost.stack_bytes == 0 {
        bail!(
            "{}: the firmware measured no stack for a forward pass",
            board.name
        );
    }
    Ok(RamUse {
        stack_high_water: check.stack_used,
        network_value: cost.network_bytes,
        forward_stack: cost.stack_bytes,
    })
}

/// The 16-32-32-4 relu/relu/softmax model, weights from a fixed seed, in `target/xtask/`.
fn wide_model() -> Result<PathBuf> {
    let dir = root().join("target/xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("wide-16-32-32-4.postcard");
    let bytes = models::synthetic(16, &[(32, Relu), (32, Relu), (4, Softmax)], 1);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The 64-32-10 relu/softmax model (the 8×8 digits' shape), weights from a fixed seed, in
/// `target/xtask/`.
fn digits_model() -> Result<PathBuf> {
    let dir = root().join("target/xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("digits-64-32-10.postcard");
    let bytes = models::synthetic(64, &[(32, Relu), (10, Softmax)], 1);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The 256-128-64-10 relu/relu/softmax model (41,802 parameters, 167 KB of f32 weights),
/// weights from a fixed seed, in `target/xtask/`: a network whose weights could never be copied
/// into the boards' RAM, read in place from flash.
fn large_model() -> Result<PathBuf> {
    let dir = root().join("target/xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("large-256-128-64-10.postcard");
    let bytes = models::synthetic(256, &[(128, Relu), (64, Relu), (10, Softmax)], 1);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `model` quantized to int8 by Dendrite (`dendrite_trainer::quantize`, what `dendrite quantize`
/// runs) on `rows` random calibration inputs from a fixed seed, written beside it as
/// `NAME.int8.postcard`.
fn int8_of(model: &Path, rows: usize) -> Result<PathBuf> {
    let float = dendrite_trainer::HostModel::load(model)?;
    let calibration = models::random_inputs(rows, float.input(), 0x1A78).concat();
    let quantized = dendrite_trainer::quantize::quantize(&float, &calibration)
        .with_context(|| format!("quantizing {}", model.display()))?;
    let bytes = quantized
        .to_model_bytes(float.labels())
        .with_context(|| format!("encoding the int8 model of {}", model.display()))?;
    let path = model.with_extension("int8.postcard");
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The MLPerf Tiny anomaly-detection autoencoder's shape (its dense model for the ToyADMOS
/// task: 640-128-128-128-128-8-128-128-128-128-640, relu, linear output, 264,192 weights) with
/// random weights from a fixed seed, quantized to int8: the cost and size of that network, not
/// its accuracy. The MPS2 boards' 512 KiB WEIGHTS region holds it; the micro:bit's does not.
fn autoencoder_int8_model() -> Result<PathBuf> {
    let dir = root().join("target/xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("autoencoder-640-8-640.postcard");
    let mut layers = vec![(128, Relu); 4];
    layers.push((8, Relu));
    layers.extend([(128, Relu); 4]);
    layers.push((640, Linear));
    let bytes = models::synthetic(640, &layers, 1);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    int8_of(&path, 200)
}

fn boot(elf: &Path, model: &Path, board: QemuBoard, icount: bool) -> Result<Qemu> {
    let mut options = QemuOptions::new(elf)
        .model(model)
        .board(board)
        .icount(icount);
    options.timeout = Duration::from_secs(60);
    Qemu::spawn(&options).with_context(|| format!("starting the firmware on {}", board.name))
}

/// `--json`, `--model FILE` and `--board NAME`, the options of `size` and `cost`.
#[derive(Default)]
struct Options {
    json: bool,
    model: Option<PathBuf>,
    board: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--json" => options.json = true,
                "--model" => {
                    let file = args.next().context("--model needs a model file")?;
                    options.model = Some(PathBuf::from(file));
                }
                "--board" => {
                    let name = args.next().context("--board needs a board name")?;
                    options.board = Some(name.clone());
                }
                other => bail!(
                    "unexpected argument `{other}` (options: --json, --model FILE, --board NAME)"
                ),
            }
        }
        if let Some(name) = &options.board {
            let known = QEMU_BOARDS
                .iter()
                .map(|b| b.name)
                .chain(REAL_BOARDS.iter().map(|h| h.name));
            if !known.clone().any(|n| n == name) {
                let names: Vec<&str> = known.collect();
                bail!(
                    "--board {name}: unknown board (boards: {})",
                    names.join(", ")
                );
            }
        }
        Ok(options)
    }

    /// The emulated boards asked for: all, or the one `--board` names.
    fn boards(&self) -> Result<Vec<QemuBoard>> {
        Ok(QEMU_BOARDS
            .iter()
            .copied()
            .filter(|b| self.board.as_deref().is_none_or(|n| n == b.name))
            .collect())
    }

    /// The real boards asked for: all unless `--board` names another board or `--model` a
    /// model (their images are built for the seed model).
    fn real_boards(&self) -> Vec<&'static RealBoard> {
        if self.model.is_some() {
            return Vec::new();
        }
        REAL_BOARDS
            .iter()
            .filter(|h| self.board.as_deref().is_none_or(|n| n == h.name))
            .collect()
    }

    /// The models for `board`: the one `--model` names, or the seed, the 16-32-32-4 and the
    /// 64-32-10 models, the 16-32-32-4 model in int8, and on the boards whose WEIGHTS region
    /// holds them the 256-128-64-10 model and the anomaly-detection autoencoder in int8.
    fn models(&self, board: QemuBoard) -> Result<Vec<PathBuf>> {
        if let Some(file) = &self.model {
            return Ok(vec![file.clone()]);
        }
        let wide = wide_model()?;
        let mut list = vec![
            firmware_source().seed_model(),
            wide.clone(),
            digits_model()?,
            int8_of(&wide, 2_000)?,
        ];
        for model in [large_model()?, autoencoder_int8_model()?] {
            if std::fs::metadata(&model)?.len() <= u64::from(board.weights_len) {
                list.push(model);
            }
        }
        Ok(list)
    }
}
