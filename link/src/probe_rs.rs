//! Writing a model file into a real board's weights region with the `probe-rs` command-line
//! tool: a download at the region's address, then a reset so the firmware re-reads it.

use std::path::Path;
use std::process::Command;

/// Why probe-rs did not write the model.
#[derive(Debug, thiserror::Error)]
pub enum FlashError {
    /// probe-rs is not installed.
    #[error(
        "probe-rs not found: install it (`cargo install probe-rs-tools --locked`) and connect \
         the board's debug probe; `dendrite flash --dry-run` prints the commands"
    )]
    NotInstalled,
    /// probe-rs could not be started.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// probe-rs failed.
    #[error("`{command}` failed with {status}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
}

/// A chip, and the debug probe that reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRs {
    /// probe-rs' name of the chip (`probe-rs chip list`).
    pub chip: String,
    /// The probe to use, when several are connected (`VID:PID[:SERIAL]`, `probe-rs list`).
    pub probe: Option<String>,
}

impl ProbeRs {
    /// `probe-rs download` of `model` at `address`, then `probe-rs reset`.
    pub fn flash_commands(&self, model: &Path, address: u32) -> Vec<Command> {
        let mut download = self.command("download");
        download
            .args(["--binary-format", "bin", "--base-address"])
            .arg(format!("{address:#010x}"))
            .arg(model);
        vec![download, self.command("reset")]
    }

    fn command(&self, verb: &str) -> Command {
        let mut cmd = Command::new("probe-rs");
        cmd.args([verb, "--chip", &self.chip]);
        if let Some(probe) = &self.probe {
            cmd.args(["--probe", probe]);
        }
        cmd
    }
}

/// Runs one probe-rs command.
///
/// # Errors
/// probe-rs missing, not startable, or failing.
pub fn run(cmd: &mut Command) -> Result<(), FlashError> {
    let status = match cmd.status() {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FlashError::NotInstalled),
        Err(source) => {
            return Err(FlashError::Spawn {
                command: describe(cmd),
                source,
            })
        }
    };
    if status.success() {
        Ok(())
    } else {
        Err(FlashError::Failed {
            command: describe(cmd),
            status,
        })
    }
}

/// A command line as a shell would take it.
pub fn describe(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

fn quote(word: &str) -> String {
    if word.is_empty() || word.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
        format!("'{}'", word.replace('\'', r"'\''"))
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_spaces_are_quoted() {
        assert_eq!(quote("/tmp/my model.postcard"), "'/tmp/my model.postcard'");
        assert_eq!(quote("model.postcard"), "model.postcard");
    }

    #[test]
    fn download_then_reset_on_the_chosen_probe() {
        let probe = ProbeRs {
            chip: "STM32F411RETx".into(),
            probe: Some("0483:374b".into()),
        };
        let lines: Vec<String> = probe
            .flash_commands(Path::new("m.postcard"), 0x0806_0000)
            .iter()
            .map(describe)
            .collect();
        assert_eq!(
            lines,
            [
                "probe-rs download --chip STM32F411RETx --probe 0483:374b --binary-format bin \
                 --base-address 0x08060000 m.postcard",
                "probe-rs reset --chip STM32F411RETx --probe 0483:374b",
            ]
        );
    }
}
