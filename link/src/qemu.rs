//! The firmware under `qemu-system-arm`: a [`Link`] over the emulated UART, with timeouts.

use super::{Link, LinkError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// An emulated board the firmware runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QemuBoard {
    /// The board's name, as the firmware reports it (`--board`).
    pub name: &'static str,
    /// The core, for reports (`Cortex-M4F`).
    pub core: &'static str,
    /// QEMU's `-machine`.
    pub machine: &'static str,
    /// QEMU's `-cpu`.
    pub cpu: &'static str,
    /// The Rust target the firmware is built for.
    pub target: &'static str,
    /// `-C target-cpu` when it is not the one `firmware/.cargo/config.toml` sets for the target
    /// (the Cortex-M7 shares the Cortex-M4F's target); such a build gets a target directory of
    /// its own.
    pub target_cpu: Option<&'static str>,
    /// Where QEMU's loader puts the model file: the WEIGHTS region of the board's `memory.x`
    /// (on the mps2-an505, through the Non-secure alias of the memory the firmware reads at
    /// `0x1004_0000`).
    pub weights_addr: u32,
    /// Frequency of the firmware's tick counter (its board's system clock).
    pub tick_hz: u32,
    /// Size of the WEIGHTS region in the board's `memory.x`: the largest model file.
    pub weights_len: u32,
    /// Size of the RAM region in the board's `memory.x`: the firmware's static data.
    pub ram_len: u32,
}

impl QemuBoard {
    /// The firmware's cargo feature that selects this board (`board-mps2-an385`).
    pub fn feature(&self) -> String {
        format!("board-{}", self.name)
    }

    /// What the board offers a model: its weights region and RAM.
    pub fn budget(&self) -> crate::fit::Budget {
        crate::fit::Budget {
            board: self.name,
            weights_len: self.weights_len,
            ram_len: self.ram_len,
        }
    }

    /// Instructions per timer tick under `-icount shift=0` (one instruction per virtual
    /// nanosecond): 40 at 25 MHz.
    pub fn instructions_per_tick(&self) -> f64 {
        1e9 / f64::from(self.tick_hz)
    }
}

impl QemuBoard {
    /// The emulated board of the firmware's board table (`dendrite_boards`); a board without an
    /// emulator is a compile error where this is evaluated.
    pub const fn from_table(b: &dendrite_boards::Board) -> Self {
        let Some(emulator) = b.emulator else {
            panic!("not an emulated board")
        };
        Self {
            name: b.name,
            core: b.core,
            machine: emulator.machine,
            cpu: b.cpu,
            target: b.target,
            // The target's default board gets the CPU that firmware/.cargo/config.toml sets.
            target_cpu: if emulator.default_for_target {
                None
            } else {
                Some(b.cpu)
            },
            weights_addr: emulator.loader_weights,
            weights_len: b.weights.length,
            ram_len: b.ram.length,
            tick_hz: b.tick_hz,
        }
    }
}

/// The emulated boards the firmware supports, the default first (from the board table).
pub const QEMU_BOARDS: &[QemuBoard] = &[
    QemuBoard::from_table(&dendrite_boards::MPS2_AN386),
    QemuBoard::from_table(&dendrite_boards::MPS2_AN385),
    QemuBoard::from_table(&dendrite_boards::MPS2_AN500),
    QemuBoard::from_table(&dendrite_boards::MPS2_AN505),
    QemuBoard::from_table(&dendrite_boards::MICROBIT),
];

/// The emulated board called `name`.
pub fn qemu_board(name: &str) -> Option<QemuBoard> {
    QEMU_BOARDS.iter().copied().find(|b| b.name == name)
}

/// How to start the emulator.
#[derive(Clone, Debug)]
pub struct QemuOptions {
    /// The firmware ELF image.
    pub firmware: PathBuf,
    /// The model file placed in the weights region; `None` leaves the region erased.
    pub model: Option<PathBuf>,
    /// The emulated board.
    pub board: QemuBoard,
    /// The QEMU executable.
    pub qemu: PathBuf,
    /// `-icount shift=0`: one instruction per virtual nanosecond, so timer readings count
    /// instructions ([`QemuBoard::instructions_per_tick`]) and repeat exactly.
    pub icount: bool,
    /// How long to wait for any one response.
    pub timeout: Duration,
}

impl QemuOptions {
    /// Options for `firmware` on the default board, no model, a 10 s response timeout.
    pub fn new(firmware: impl Into<PathBuf>) -> Self {
        Self {
            firmware: firmware.into(),
            model: None,
            board: QEMU_BOARDS[0],
            qemu: PathBuf::from("qemu-system-arm"),
            icount: false,
            timeout: Duration::from_secs(10),
        }
    }

    /// Places `model` in the weights region.
    pub fn model(mut self, model: impl Into<PathBuf>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Runs on `board`.
    pub fn board(mut self, board: QemuBoard) -> Self {
        self.board = board;
        self
    }

    /// Counts instructions (see [`icount`](Self::icount)).
    pub fn icount(mut self, on: bool) -> Self {
        self.icount = on;
        self
    }

    /// The command line that starts the emulator.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.qemu);
        cmd.args(["-machine", self.board.machine, "-cpu", self.board.cpu]);
        if self.icount {
            cmd.args(["-icount", "shift=0"]);
        }
        // Binary data on the UART: no monitor multiplexer (`-nographic` would eat byte 0x01).
        cmd.args(["-display", "none", "-monitor", "none", "-serial", "stdio"]);
        // Semihosting lets a panic or HardFault end the run with a non-zero status.
        cmd.args(["-semihosting-config", "enable=on,target=native", "-kernel"]);
        cmd.arg(&self.firmware);
        if let Some(model) = &self.model {
            let mut loader = std::ffi::OsString::from("loader,file=");
            loader.push(model.as_os_str());
            loader.push(format!(",addr={:#x}", self.board.weights_addr));
            cmd.arg("-device").arg(loader);
        }
        cmd
    }
}

/// A running emulator. Dropping it kills the emulator.
pub struct Qemu {
    child: Child,
    link: Link<Uart>,
    stderr: Receiver<Vec<u8>>,
}

/// The emulated UART as a byte stream: writes go to QEMU's stdin, reads come from its stdout
/// through a thread, with a timeout.
pub struct Uart {
    stdin: Option<ChildStdin>,
    bytes: Receiver<Vec<u8>>,
    pending: Vec<u8>,
    at: usize,
    timeout: Duration,
    closed: bool,
}

impl Uart {
    /// How long a read waits for the device's next bytes before [`io::ErrorKind::TimedOut`]
    /// (from [`QemuOptions::timeout`] at first): a request the device takes long to answer,
    /// such as a cost measurement of many passes, may need more.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
}

impl Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.pending.len() {
            if self.closed {
                return Ok(0);
            }
            match self.bytes.recv_timeout(self.timeout) {
                Ok(chunk) => {
                    self.pending = chunk;
                    self.at = 0;
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer"));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.closed = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Write for Uart {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.stdin {
            Some(stdin) => stdin.write(buf),
            None => Err(io::Error::new(io::ErrorKind::BrokenPipe, "link closed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.stdin {
            Some(stdin) => stdin.flush(),
            None => Ok(()),
        }
    }
}

/// Forwards everything `source` produces to a channel until it closes. QEMU never exits while
/// its output pipe is full, so both its stdout and stderr are always drained.
fn pump(mut source: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match source.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        // Nobody listens any more; keep draining so QEMU can exit.
                        while matches!(source.read(&mut buf), Ok(n) if n > 0) {}
                        break;
                    }
                }
            }
        }
    });
    rx
}

impl Qemu {
    /// Starts the emulator with the firmware (and the model, if any).
    ///
    /// # Errors
    /// [`LinkError::Io`] when the firmware or model file is missing or QEMU cannot start (the
    /// message says how to install it).
    pub fn spawn(options: &QemuOptions) -> Result<Self, LinkError> {
        check_exists(&options.firmware, "firmware image")?;
        if let Some(model) = &options.model {
            check_exists(model, "model file")?;
        }
        let mut child = options
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot start {}: {e} (install it with `apt-get install qemu-system-arm`)",
                        options.qemu.display()
                    ),
                )
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err(io::Error::other("QEMU's standard streams are not piped").into());
        };
        let uart = Uart {
            stdin: Some(stdin),
            bytes: pump(stdout),
            pending: Vec::new(),
            at: 0,
            timeout: options.timeout,
            closed: false,
        };
        Ok(Self {
            child,
            link: Link::new(uart),
            stderr: pump(stderr),
        })
    }

    /// The link to the firmware.
    pub fn link(&mut self) -> &mut Link<Uart> {
        &mut self.link
    }

    /// Closes the UART and waits up to `timeout` for the emulator to end by itself (a
    /// fault or panic ends it with a non-zero status); kills it after that.
    ///
    /// # Errors
    /// [`LinkError::Timeout`] when it was still running (it is killed then).
    pub fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, LinkError> {
        self.link.port_mut().stdin = None;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(LinkError::Timeout);
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// What QEMU printed on its standard error so far (warnings, semihosting output).
    pub fn stderr(&self) -> String {
        let bytes: Vec<u8> = self.stderr.try_iter().flatten().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn check_exists(path: &Path, what: &str) -> io::Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{what} {} not found", path.display()),
        ))
    }
}

#[cfg(test)]
mod tests;
