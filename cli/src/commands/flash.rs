//! `dendrite flash`: writes a model file into a real board's weights region with the `probe-rs`
//! command-line tool, after checking that the firmware on the board was built for the model's
//! architecture.
//!
//! The check reads the architecture the firmware was built for from its ELF image (the
//! `DENDRITE_ARCHITECTURE` symbol every Dendrite image carries): the image given with
//! `--firmware`, or the board's release build in the firmware workspace. With `--serial PORT`
//! it asks the running firmware instead (its `Info` reply), which is what is really on the
//! board. Nothing is written when they differ: the firmware would refuse the model.

use super::device::firmware_source;
use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use dendrite_link::open_serial;
use dendrite_link::probe_rs::{self, ProbeRs};
use dendrite_link::{image_architecture, real_board, RealBoard, REAL_BOARDS};
use dendrite_trainer::HostModel;
use std::path::PathBuf;
use std::time::Duration;

/// `dendrite flash` arguments.
#[derive(Debug, Args)]
pub struct FlashArgs {
    /// The model file to write.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// probe-rs' name of the chip (`probe-rs chip list`), e.g. STM32F411RETx or nRF52840_xxAA.
    #[arg(long)]
    chip: String,
    /// The board, for its weights region: nucleo-f411re or nrf52840-dk (default: the board
    /// with this chip).
    #[arg(long, value_name = "NAME")]
    board: Option<String>,
    /// Where the weights region starts, for a board of your own (hex with 0x, or decimal).
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address)]
    address: Option<u32>,
    /// The firmware ELF on the board, to check the model's architecture against (default: the
    /// board's release build in firmware/).
    #[arg(long, value_name = "ELF", conflicts_with = "serial")]
    firmware: Option<PathBuf>,
    /// Ask the firmware running on this serial port for its architecture instead.
    #[arg(long, value_name = "PORT")]
    serial: Option<String>,
    /// The serial port's baud rate.
    #[arg(long, default_value_t = 115_200, requires = "serial")]
    baud: u32,
    /// The probe to use, when several are connected (`probe-rs list`).
    #[arg(long, value_name = "VID:PID[:SERIAL]")]
    probe: Option<String>,
    /// Check, then print the probe-rs commands instead of running them.
    #[arg(long)]
    dry_run: bool,
}

/// Runs `dendrite flash`.
pub fn run(args: &FlashArgs) -> Result<()> {
    let model = HostModel::load(&args.model)?;
    let size = std::fs::metadata(&args.model)
        .with_context(|| format!("reading {}", args.model.display()))?
        .len();
    let board = board(args)?;
    let address = match (args.address, board) {
        (Some(address), _) => address,
        (None, Some(hw)) => hw.weights_addr,
        (None, None) => bail!(
            "--chip {}: no known board has this chip; give --board NAME or --address ADDRESS \
             (known: {})",
            args.chip,
            known_boards()
        ),
    };
    if let Some(hw) = board {
        ensure!(
            size <= u64::from(hw.weights_len),
            "{}: {size} bytes do not fit the {} weights region ({} bytes at {:#010x})",
            args.model.display(),
            hw.name,
            hw.weights_len,
            hw.weights_addr
        );
        super::device::check_fits(&model, &args.model, &hw.budget())?;
    }
    let wanted = model.architecture().to_string();
    let (found, source) = firmware_architecture(args, board)?;
    ensure!(
        found == wanted,
        "the firmware is built for architecture {found} ({source}), but {} is {wanted}: build \
         and flash the firmware for it first (DENDRITE_MODEL={} cargo run --release in the \
         board's directory)",
        args.model.display(),
        args.model.display()
    );
    outln!("architecture {wanted} matches the firmware ({source})");
    let probe = ProbeRs {
        chip: args.chip.clone(),
        probe: args.probe.clone(),
    };
    let commands = probe.flash_commands(&args.model, address);
    if args.dry_run {
        for cmd in &commands {
            outln!("{}", probe_rs::describe(cmd));
        }
        return Ok(());
    }
    for mut cmd in commands {
        probe_rs::run(&mut cmd)?;
    }
    outln!(
        "wrote {} ({size} bytes) at {address:#010x} on {} and reset it",
        args.model.display(),
        args.chip
    );
    Ok(())
}

/// The board `--board` names, or the one with `--chip`'s chip.
fn board(args: &FlashArgs) -> Result<Option<&'static RealBoard>> {
    match &args.board {
        Some(name) => real_board(name)
            .map(Some)
            .with_context(|| format!("--board {name}: unknown board (known: {})", known_boards())),
        None => Ok(REAL_BOARDS
            .iter()
            .find(|h| h.chip.eq_ignore_ascii_case(&args.chip))),
    }
}

fn known_boards() -> String {
    let names: Vec<String> = REAL_BOARDS
        .iter()
        .map(|h| format!("{} ({})", h.name, h.chip))
        .collect();
    names.join(", ")
}

/// The architecture the firmware was built for, and where that came from.
fn firmware_architecture(args: &FlashArgs, board: Option<&RealBoard>) -> Result<(String, String)> {
    if let Some(port) = &args.serial {
        let info = open_serial(port, args.baud, Duration::from_secs(5))?
            .info()
            .with_context(|| format!("asking the firmware on {port} for its architecture"))?;
        return Ok((
            info.architecture.to_string(),
            format!("its Info reply on {port}"),
        ));
    }
    let elf = match (&args.firmware, board) {
        (Some(elf), _) => elf.clone(),
        (None, Some(hw)) => hw.elf(&firmware_source()),
        (None, None) => bail!(
            "cannot check the model against the firmware: give --firmware ELF (the image on the \
             board) or --serial PORT (the running firmware)"
        ),
    };
    ensure!(
        elf.is_file(),
        "firmware image {} not found: build it (cargo build --release in the board's directory) \
         or give --firmware ELF or --serial PORT",
        elf.display()
    );
    let found = image_architecture(&elf)?;
    Ok((found, format!("image {}", elf.display())))
}

/// `0x08060000` or `134610944`.
fn parse_address(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse(),
    };
    parsed.map_err(|e| format!("`{text}` is not an address ({e}): give hex with 0x, or decimal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_in_hex_and_decimal() {
        assert_eq!(parse_address("0x08060000"), Ok(0x0806_0000));
        assert_eq!(parse_address("0xF8000"), Ok(0xF_8000));
        assert_eq!(parse_address("1015808"), Ok(0xF_8000));
        assert!(parse_address("0xZZ").is_err());
        assert!(parse_address("0x1_0000_0000").is_err());
    }
}
