//! `dendrite run`: a session with a model, one input per line, on the host or on the firmware.

use super::device::{self, Device, DeviceArgs};
use anyhow::{Context, Result};
use clap::Args;
use dendrite_trainer::{limits, HostModel};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The model file.
    #[arg(long, default_value = "model.postcard")]
    model: PathBuf,
    #[command(flatten)]
    device: DeviceArgs,
}

/// Reads inputs from standard input, one per line (values separated by spaces or commas), and
/// prints one prediction per line; an empty line is skipped, end of input (or `quit`) ends the
/// session. A bad line is reported with its number and the session goes on; the exit status
/// then says that some lines failed.
pub fn run(args: &RunArgs) -> Result<()> {
    let model = HostModel::load(&args.model)?;
    let mut device = if args.device.wanted() {
        let device = Device::open(&args.device, &args.model, &model)?;
        eprintln!(
            "{} on {}: one input per line ({} values), end with Ctrl-D",
            args.model.display(),
            device.describe(&args.device.board),
            model.input()
        );
        Some(device)
    } else {
        None
    };
    let interactive = std::io::stdin().is_terminal();
    let mut failed = 0usize;
    let mut line_no = 0usize;
    let limit = limits::max_line_bytes(model.input());
    let mut stdin = std::io::stdin().lock();
    let mut buffer = Vec::new();
    while let Some(line) = read_line(&mut stdin, &mut buffer, limit)
        .with_context(|| format!("reading standard input, line {}", line_no + 1))?
    {
        line_no += 1;
        let text = line.trim();
        if text == "quit" || text == "exit" {
            break;
        }
        if !text.is_empty() {
            if let Err(e) = answer(&model, &args.model, device.as_mut(), text) {
                eprintln!("line {line_no}: {e:#}");
                failed += 1;
            }
        }
        if interactive {
            eprint!("> ");
            let _ = std::io::stderr().flush();
        }
    }
    anyhow::ensure!(failed == 0, "{failed} of {line_no} input lines failed");
    Ok(())
}

/// One line in, one line out: `class label  [outputs]` (an anomaly model's reconstruction error
/// and verdict after them), then the device's cost, verdict and agreement.
fn answer(model: &HostModel, path: &Path, device: Option<&mut Device>, text: &str) -> Result<()> {
    let x = parse(text)?;
    device::check_width(model, path, &x)?;
    let host = model.predict(&x)?;
    let values = device::list(&model.values(&host));
    let mut line = match model.class_of(&host) {
        Some(class) => {
            let label = model.labels().get(class).map_or("", String::as_str);
            format!("{} -> class {class} {label} {values}", device::list(&x))
        }
        None => format!("{} -> {values}", device::list(&x)),
    };
    if let Some(r) = model.reconstruction(&x, &host) {
        if let Some(verdict) = device::verdict(Some(r.error), Some(r.anomalous)) {
            line.push_str(&format!(" {verdict}"));
        }
    }
    if let Some(device) = device {
        let d = device.predict(model, &x, &host)?;
        let on_device = device::verdict(d.reconstruction_error, d.anomalous)
            .map_or_else(String::new, |v| format!("device: {v}; "));
        let agreement = if d.agrees_bit_for_bit {
            format!("{on_device}device agrees bit for bit")
        } else {
            format!("{on_device}DEVICE DIFFERS: {}", device::list(&d.outputs))
        };
        let cost = d.instructions.map_or_else(
            || format!("{} ticks", d.ticks),
            |n| format!("{n} instructions"),
        );
        line.push_str(&format!("  ({cost}; {agreement})"));
        outln!("{line}");
        anyhow::ensure!(
            d.agrees_bit_for_bit,
            "the device's answer differs from the host's"
        );
        return Ok(());
    }
    outln!("{line}");
    Ok(())
}

/// The next line of `input` (without its line break), read at most `limit` bytes at a time:
/// a longer line is an error, not an ever-growing buffer. `None` at the end of the input.
fn read_line<'b>(
    input: &mut impl BufRead,
    buffer: &'b mut Vec<u8>,
    limit: usize,
) -> Result<Option<std::borrow::Cow<'b, str>>> {
    use std::io::Read;
    buffer.clear();
    let read = input
        .by_ref()
        .take(limit as u64 + 1)
        .read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(None);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
    } else if buffer.len() > limit {
        anyhow::bail!("longer than {limit} bytes, more than this model's inputs can take");
    }
    Ok(Some(String::from_utf8_lossy(buffer)))
}

/// Values separated by spaces and/or commas.
fn parse(text: &str) -> Result<Vec<f32>> {
    text.split([',', ' ', '\t'])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            w.parse::<f32>()
                .with_context(|| format!("value {}: `{w}` is not a number", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn inputs_may_be_separated_by_spaces_or_commas() {
        assert_eq!(parse("1, -2.5 3").unwrap(), vec![1.0, -2.5, 3.0]);
        assert_eq!(parse("  4\t5 ").unwrap(), vec![4.0, 5.0]);
    }

    #[test]
    fn lines_are_read_up_to_a_limit() {
        let mut input: &[u8] = b"1 2\n3 4 5 6 7 8\n";
        let mut buffer = Vec::new();
        let line = super::read_line(&mut input, &mut buffer, 8).unwrap();
        assert_eq!(line.as_deref(), Some("1 2"));
        let err = super::read_line(&mut input, &mut buffer, 8).unwrap_err();
        assert!(err.to_string().contains("longer than 8 bytes"), "{err}");
    }

    #[test]
    fn a_bad_value_is_named_with_its_position() {
        let err = parse("1 x 3").unwrap_err().to_string();
        assert_eq!(err, "value 2: `x` is not a number");
    }
}
