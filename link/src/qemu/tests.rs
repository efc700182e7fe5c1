//! Unit tests of the QEMU launcher.

use super::*;

#[test]
fn command_places_the_model_at_the_weights_address_without_nographic() {
    let options = QemuOptions::new("fw.elf").model("m.postcard").icount(true);
    let cmd = options.command();
    let args: Vec<_> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert!(
        args.contains(&"loader,file=m.postcard,addr=0x40000".to_string()),
        "{args:?}"
    );
    assert!(args.windows(2).any(|w| w == ["-icount", "shift=0"]));
    assert!(args.windows(2).any(|w| w == ["-serial", "stdio"]));
    assert!(!args.iter().any(|a| a == "-nographic"));
}

#[test]
fn missing_firmware_is_a_clear_error() {
    let err = Qemu::spawn(&QemuOptions::new("/nonexistent/firmware.elf")).err();
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("firmware image /nonexistent/firmware.elf not found"),
        "{message}"
    );
}
