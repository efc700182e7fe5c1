//! `dendrite predict --serial PORT` against a fake device on a pseudo-terminal: a device that does
//! not answer, answers garbage, or disconnects is a one-line error within a bounded time,
//! never a hang and never a panic.

use dendrite_tests::build;
use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longer than any bounded failure takes (the CLI waits 1 s per answer), short of a hang.
const HANG: Duration = Duration::from_secs(60);

/// What the fake device does once the CLI has written its first request.
#[derive(Clone, Copy)]
enum Behaviour {
    Silent,
    Garbage,
    Disconnect,
}

/// The master side of a new pseudo-terminal, and the path of its serial side.
fn pty() -> (PtyMaster, String) {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY).expect("a pseudo-terminal");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let path = ptsname_r(&master).expect("the serial side's path");
    (master, path)
}

/// Plays the device on `master` in a thread until `stop`.
fn fake_device(mut master: PtyMaster, behaviour: Behaviour, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut request = [0u8; 64];
        if !matches!(master.read(&mut request), Ok(n) if n > 0) {
            return;
        }
        match behaviour {
            Behaviour::Silent => {
                while !stop.load(Ordering::Relaxed) {
                    let _ = master.read(&mut request);
                }
            }
            Behaviour::Garbage => {
                let noise: Vec<u8> = (0..256u32).map(|i| (i * 37 % 255 + 1) as u8).collect();
                while !stop.load(Ordering::Relaxed) && master.write_all(&noise).is_ok() {}
            }
            Behaviour::Disconnect => drop(master),
        }
    });
}

/// Runs `dendrite predict --serial` against a fake device; returns its stderr once it failed.
fn predict_against(behaviour: Behaviour) -> String {
    let (master, path) = pty();
    let stop = Arc::new(AtomicBool::new(false));
    fake_device(master, behaviour, Arc::clone(&stop));
    let seed = build::seed_model();
    let mut child = Command::new(build::dendrite_cli())
        .args(["predict", "--model"])
        .arg(&seed)
        .args(["--serial", &path, "--timeout", "1", "0", "0", "0"])
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting dendrite");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for dendrite") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            panic!("dendrite still waiting after {HANG:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    stop.store(true, Ordering::Relaxed);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("reading stderr");
    assert!(!status.success(), "dendrite succeeded: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn silent_device_is_a_timeout_error() {
    let stderr = predict_against(Behaviour::Silent);
    assert!(stderr.contains("did not answer in time"), "{stderr}");
}

#[test]
fn device_answering_garbage_is_an_invalid_frame_error() {
    let stderr = predict_against(Behaviour::Garbage);
    assert!(stderr.contains("invalid frame"), "{stderr}");
}

#[test]
fn device_that_disconnects_is_an_error() {
    // A vanished pseudo-terminal reads as silence through the serial port's poll.
    let stderr = predict_against(Behaviour::Disconnect);
    assert!(
        stderr.contains("did not answer in time") || stderr.contains("closed the link"),
        "{stderr}"
    );
}
