//! The byte loops against a scripted UART.

extern crate std;

use super::*;
use core::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::vec::Vec;

/// A UART whose receiver holds `rx` and whose transmitter is busy for `busy` polls after each
/// byte.
#[derive(Default)]
struct Fake {
    rx: RefCell<VecDeque<u8>>,
    tx: RefCell<Vec<u8>>,
    busy: Cell<u32>,
    busy_per_byte: u32,
    polls: Cell<u32>,
}

impl Port for Fake {
    fn rx_ready(&self) -> bool {
        !self.rx.borrow().is_empty()
    }
    fn read_byte(&self) -> u8 {
        self.rx.borrow_mut().pop_front().unwrap()
    }
    fn tx_ready(&self) -> bool {
        self.polls.set(self.polls.get() + 1);
        let busy = self.busy.get();
        self.busy.set(busy.saturating_sub(1));
        busy == 0
    }
    fn write_byte(&self, byte: u8) {
        assert_eq!(
            self.busy.get(),
            0,
            "a byte written while the transmitter was busy"
        );
        self.tx.borrow_mut().push(byte);
        self.busy.set(self.busy_per_byte);
    }
}

fn uart(rx: &[u8], busy_per_byte: u32) -> Polled<Fake> {
    Polled::new(Fake {
        rx: RefCell::new(rx.iter().copied().collect()),
        busy_per_byte,
        ..Fake::default()
    })
}

#[test]
fn read_takes_what_waits_without_waiting_for_more() {
    use embedded_io::Read;
    let mut uart = uart(b"abc", 0);
    let mut buf = [0u8; 8];
    assert_eq!(uart.read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
    assert_eq!(uart.read(&mut []).unwrap(), 0);
    let mut two = [0u8; 2];
    uart.0.rx.borrow_mut().extend(*b"xyz");
    assert_eq!(uart.read(&mut two).unwrap(), 2);
    assert_eq!(&two, b"xy");
}

#[test]
fn write_waits_for_the_transmitter_before_each_byte() {
    use embedded_io::Write;
    let mut uart = uart(b"", 3);
    assert_eq!(uart.write(b"hello").unwrap(), 5);
    uart.flush().unwrap();
    assert_eq!(*uart.0.tx.borrow(), b"hello");
    // One poll for the first byte; four (three busy, one ready) before each later byte and in
    // flush.
    assert_eq!(uart.0.polls.get(), 1 + 4 * 4 + 4);
}

#[test]
fn non_blocking_calls_say_would_block() {
    use embedded_hal_nb::serial::{Read, Write};
    let mut uart = uart(b"", 1);
    assert!(matches!(Read::read(&mut uart), Err(nb::Error::WouldBlock)));
    uart.0.rx.borrow_mut().push_back(7);
    assert_eq!(Read::read(&mut uart).unwrap(), 7);
    Write::write(&mut uart, 1).unwrap();
    assert!(matches!(
        Write::write(&mut uart, 2),
        Err(nb::Error::WouldBlock)
    ));
    Write::write(&mut uart, 2).unwrap();
    assert!(matches!(
        Write::flush(&mut uart),
        Err(nb::Error::WouldBlock)
    ));
    assert!(Write::flush(&mut uart).is_ok());
    assert_eq!(*uart.0.tx.borrow(), [1, 2]);
}

#[test]
fn readiness_is_the_ports() {
    use embedded_io::{ReadReady, WriteReady};
    let mut uart = uart(b"a", 1);
    assert!(uart.read_ready().unwrap());
    assert!(uart.write_ready().unwrap());
    embedded_io::Write::write(&mut uart, b"z").unwrap();
    assert!(!uart.write_ready().unwrap());
}
