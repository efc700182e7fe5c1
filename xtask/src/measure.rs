//! `cargo xtask size` and `cargo xtask cost`: the firmware's flash, static RAM and stack, and
//! its instructions per inference, measured on the real image under QEMU.
//!
//! Flash is `.vector_table + .text + .rodata` and static RAM `.data + .bss`, read from the ELF
//! with the `object` crate; the stack high-water mark is the firmware's own `SelfCheck` report
//! (a painted stack) after 2,000 predictions. Instructions per inference come from the `Cost`
//! request under `qemu-system-arm -icount shift=0` (one instruction per virtual nanosecond),
//! net of an empty loop of as many turns.

use anyhow::{Context, Result};
use dendrite_core::Activation::{Relu, Softmax};
use dendrite_tests::models;
use dendrite_trainer::device::{firmware, Qemu, QemuOptions, BOARDS};
use object::{Object, ObjectSection};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::shell::root;

/// Forward passes timed per `Cost` request.
const COST_ITERATIONS: u32 = 10_000;

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
        self.vector_table + self.text + self.rodata
    }

    fn static_ram(&self) -> u64 {
        self.data + self.bss
    }
}

/// `cargo xtask size [--json] [--model FILE]`: the firmware's flash, static RAM and stack
/// high-water mark, for the seed model's architecture or `FILE`'s.
pub fn size(args: &[String]) -> Result<()> {
    let Options { json, model } = Options::parse(args)?;
    let board = BOARDS[0];
    let seed = model.unwrap_or_else(firmware::seed_model);
    let elf = firmware::for_model(&seed, board, json)?;
    let s = Sections::read(&elf)?;
    let mut qemu = boot(&elf, &seed, false)?;
    let host = dendrite_trainer::HostModel::load(&seed)?;
    let inputs = models::random_inputs(2_000, host.input(), 7);
    qemu.link()
        .predict_batch(&inputs)
        .context("running predictions")?;
    let check = qemu
        .link()
        .self_check()
        .context("asking for the stack high-water mark")?;
    if json {
        let report = json!({
            "board": board.name,
            "model": seed,
            "flash_bytes": s.flash(),
            "static_ram_bytes": s.static_ram(),
            "sections": { ".vector_table": s.vector_table, ".text": s.text, ".rodata": s.rodata,
                          ".data": s.data, ".bss": s.bss },
            "stack_high_water_bytes": check.stack_used,
            "stack_size_bytes": check.stack_size,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "firmware for {} on {} ({})",
        host.architecture(),
        board.name,
        elf.display()
    );
    println!(
        "flash:      {:>6} B  (.vector_table {} + .text {} + .rodata {})",
        s.flash(),
        s.vector_table,
        s.text,
        s.rodata
    );
    println!(
        "static RAM: {:>6} B  (.data {} + .bss {})",
        s.static_ram(),
        s.data,
        s.bss
    );
    println!(
        "stack:      {:>6} B  high-water mark after 2,000 predictions (of {} B)",
        check.stack_used, check.stack_size
    );
    Ok(())
}

/// `cargo xtask cost [--json] [--model FILE]`: instructions per inference for the seed model
/// and a deterministic 16-32-32-4 model, or for `FILE`.
pub fn cost(args: &[String]) -> Result<()> {
    let Options { json, model } = Options::parse(args)?;
    let board = BOARDS[0];
    let models = match model {
        Some(file) => vec![file],
        None => vec![firmware::seed_model(), wide_model()?],
    };
    let mut rows = Vec::new();
    for model in models {
        let elf = firmware::for_model(&model, board, json)?;
        let architecture = firmware::architecture(&model)?;
        let mut qemu = boot(&elf, &model, true)?;
        let report = qemu
            .link()
            .cost(COST_ITERATIONS)
            .context("asking for the cost")?;
        let per_tick = 1e9 / f64::from(report.tick_hz);
        rows.push((
            architecture.to_string(),
            report.ticks_per_inference() * per_tick,
        ));
    }
    if json {
        let items: Vec<_> = rows
            .iter()
            .map(|(arch, n)| json!({ "architecture": arch, "instructions_per_inference": n }))
            .collect();
        let report = json!({ "board": board.name, "iterations": COST_ITERATIONS, "models": items });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("instructions per inference on {} (qemu -icount shift=0, {COST_ITERATIONS} passes, net of loop):", board.name);
    for (arch, n) in rows {
        println!("  {arch:<32} {n:>10.1}");
    }
    Ok(())
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

fn boot(elf: &Path, model: &Path, icount: bool) -> Result<Qemu> {
    let mut options = QemuOptions::new(elf).model(model).icount(icount);
    options.timeout = Duration::from_secs(60);
    Qemu::spawn(&options).context("starting the firmware under QEMU")
}

/// `--json` and `--model FILE`, the options of `size` and `cost`.
#[derive(Default)]
struct Options {
    json: bool,
    model: Option<PathBuf>,
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
                other => {
                    anyhow::bail!("unexpected argument `{other}` (options: --json, --model FILE)")
                }
            }
        }
        Ok(options)
    }
}
