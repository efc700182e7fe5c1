//! `dendrite flash`: the model is checked against the firmware's architecture (read from its
//! ELF image) before anything is written, and the probe-rs command lines are exact. No probe is
//! attached here, so the commands are checked with `--dry-run`, and the real run only up to
//! finding no probe-rs.

use dendrite_core::Activation::{Relu, Softmax};
use dendrite_tests::{build, models};
use std::path::Path;
use std::process::{Command, Output};

fn flash(args: &[&str]) -> Output {
    Command::new(build::dendrite_cli())
        .arg("flash")
        .args(args)
        .output()
        .expect("running dendrite flash")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn dry_run_prints_the_probe_rs_commands_for_the_boards_weights_region() {
    let (seed, elf) = (path(&build::seed_model()), path(build::firmware()));
    let out = flash(&[
        "--model",
        &seed,
        "--chip",
        "STM32F411RETx",
        "--firmware",
        &elf,
        "--dry-run",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("architecture 3-4-2 relu/softmax matches the firmware (image {elf})").as_str(),
            format!(
                "probe-rs download --chip STM32F411RETx --binary-format bin --base-address \
                 0x08060000 {seed}"
            )
            .as_str(),
            "probe-rs reset --chip STM32F411RETx",
        ]
    );
}

#[test]
fn board_address_and_probe_options_reach_the_command() {
    let (seed, elf) = (path(&build::seed_model()), path(build::firmware()));
    let out = flash(&[
        "--model",
        &seed,
        "--chip",
        "nRF52840_xxAA",
        "--board",
        "nrf52840-dk",
        "--probe",
        "1366:1015",
        "--firmware",
        &elf,
        "--dry-run",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "probe-rs download --chip nRF52840_xxAA --probe 1366:1015 --binary-format bin \
             --base-address 0x000f8000 {seed}"
        )),
        "{stdout}"
    );
    // A board of one's own: any chip, the address given.
    let out = flash(&[
        "--model",
        &seed,
        "--chip",
        "STM32L476RGTx",
        "--address",
        "0x080F0000",
        "--firmware",
        &elf,
        "--dry-run",
    ]);
    assert!(
        text(&out.stdout).contains("--base-address 0x080f0000"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn a_model_of_another_architecture_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let wide = dir.path().join("wide.postcard");
    let layers = [(32, Relu), (32, Relu), (4, Softmax)];
    std::fs::write(&wide, models::synthetic(16, &layers, 1)).expect("writing the model");
    let out = flash(&[
        "--model",
        &path(&wide),
        "--chip",
        "STM32F411RETx",
        "--firmware",
        &path(build::firmware()),
        "--dry-run",
    ]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("the firmware is built for architecture 3-4-2 relu/softmax")
            && stderr.contains("is 16-32-32-4 relu/relu/softmax"),
        "{stderr}"
    );
    assert!(!text(&out.stdout).contains("probe-rs"), "nothing to run");
}

#[test]
fn bad_arguments_get_one_clear_line() {
    let seed = path(&build::seed_model());
    let cases: [(&[&str], &str); 4] = [
        (
            &["--chip", "FOO", "--dry-run"],
            "--chip FOO: no known board has this chip",
        ),
        (
            &["--chip", "FOO", "--board", "pico", "--dry-run"],
            "--board pico: unknown board (known: nucleo-f411re (STM32F411RETx), nrf52840-dk",
        ),
        (
            &[
                "--chip",
                "FOO",
                "--address",
                "0x1000",
                "--firmware",
                &seed,
                "--dry-run",
            ],
            "not an ELF file",
        ),
        (
            &["--chip", "FOO", "--address", "0xZZ"],
            "`0xZZ` is not an address",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["--model", seed.as_str()];
        all.extend(args);
        let out = flash(&all);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let out = flash(&["--model", &seed]);
    assert!(
        text(&out.stderr).contains("--chip <CHIP>"),
        "--chip is required"
    );
}

#[test]
fn without_probe_rs_the_error_says_how_to_get_it() {
    let (seed, elf) = (path(&build::seed_model()), path(build::firmware()));
    let empty = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new(build::dendrite_cli())
        .args([
            "flash",
            "--model",
            &seed,
            "--chip",
            "STM32F411RETx",
            "--firmware",
            &elf,
        ])
        .env("PATH", empty.path())
        .output()
        .expect("running dendrite flash");
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("probe-rs not found: install it (`cargo install probe-rs-tools --locked`)"),
        "{stderr}"
    );
}
