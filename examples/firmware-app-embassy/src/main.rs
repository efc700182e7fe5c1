//! A Dendrite model inside an embassy application on the nRF52840-DK: read a sensor, run the
//! network, report, asynchronously.
//!
//! The same application as `examples/firmware-app` (which runs under QEMU), on a real board with
//! embassy: the model is compiled in with one line (`dendrite_core::model!`), its weights read in
//! place from flash; the "sensor" is a recorded trace (`traces/seed.csv`, built in by
//! `build.rs`). For each window (a line of the trace) the program sends one JSON line over
//! UARTE0, awaiting its DMA transfer, at 115200 baud on the DK's VCOM pins (P0.06 TX, P0.08 RX:
//! the J-Link's USB serial port):
//!
//! ```text
//! {"inputs":[1.42,1.05,-0.88],"outputs":[0.12975296,0.87024707],"class":1}
//! ```
//!
//! and logs the window's class with `defmt` over RTT. Every float is printed in its shortest form
//! that reads back to the same bits; the windows and the line are `dendrite-app-common`'s, as in
//! the QEMU example.
//!
//! `cargo run --release` flashes it with probe-rs and prints the logs. Any model file and trace:
//! `DENDRITE_MODEL=/path/to/model.postcard DENDRITE_TRACE=/path/to/trace.csv cargo run --release`.
#![no_std]
#![no_main]

use cortex_m_semihosting::debug;
use dendrite_app_common::{format_line, line_capacity, windows, NO_WINDOW};
use embassy_executor::Spawner;
use embassy_nrf::{bind_interrupts, peripherals, uarte};
use {defmt_rtt as _, panic_probe as _};

// The model: `models/seed.postcard`, or the file `DENDRITE_MODEL` names. Checked at compile time.
dendrite_core::model!(Model, "models/seed.postcard", env = "DENDRITE_MODEL");

// `TRACE`: one row of numbers per line of the recorded trace (build.rs).
include!(concat!(env!("OUT_DIR"), "/trace.rs"));

/// The network, weights in flash: a `const` constructor, so this static is in flash too.
static MODEL: Model = Model::new();

/// The longest line of a window: the size of the buffer the UARTE sends from (RAM, for EasyDMA).
const LINE: usize = line_capacity(Model::INPUT, Model::OUTPUT);

bind_interrupts!(struct Irqs {
    UARTE0 => uarte::InterruptHandler<peripherals::UARTE0>;
});

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let p = embassy_nrf::init(Default::default());
    let mut config = uarte::Config::default();
    config.baudrate = uarte::Baudrate::Baud115200;
    config.parity = uarte::Parity::Excluded;
    // The DK's VCOM: the interface MCU's serial port on P0.08 (RX) and P0.06 (TX).
    let mut uart = uarte::Uarte::new(p.UARTE0, p.P0_08, p.P0_06, Irqs, config);
    defmt::info!(
        "dendrite: {=usize} inputs, {=usize} outputs, {=usize} trace lines",
        Model::INPUT,
        Model::OUTPUT,
        TRACE.len()
    );

    let mut line = [0u8; LINE];
    let mut count = 0usize;
    for x in windows::<{ Model::INPUT }>(&TRACE) {
        let outputs = MODEL.predict(&x);
        let class = MODEL.class(&outputs);
        match format_line(&mut line, &x, &outputs, class) {
            Ok(bytes) => send(&mut uart, bytes).await,
            Err(e) => defmt::error!("{=usize}-byte line over its buffer", e.needed),
        }
        let name = MODEL.class_name(class).unwrap_or("");
        defmt::info!("window {=usize}: class {=usize} {=str}", count, class, name);
        count += 1;
    }
    if count == 0 {
        send(&mut uart, NO_WINDOW).await;
        defmt::error!("no line of the trace has {=usize} values", Model::INPUT);
        exit(debug::EXIT_FAILURE);
        return;
    }
    defmt::info!("done: {=usize} windows", count);
    exit(debug::EXIT_SUCCESS);
}

/// Sends `bytes` over the UARTE, awaiting the end of the DMA transfer; a failed transfer is
/// logged, not fatal.
async fn send(uart: &mut uarte::Uarte<'_>, bytes: &[u8]) {
    if let Err(e) = uart.write(bytes).await {
        defmt::warn!("UARTE: {}", e);
    }
}

/// The end of the trace: with a debugger attached (`probe-rs run`), a semihosting exit that ends
/// the session with `status`; on a board on its own, the program returns to the executor, which
/// sleeps (`WFE`) from then on.
fn exit(status: debug::ExitStatus) {
    if cortex_m::peripheral::DCB::is_debugger_attached() {
        debug::exit(status);
    }
}
