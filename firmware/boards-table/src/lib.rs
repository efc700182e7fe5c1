//! The facts about every board Dendrite's firmware runs on, written once, as data: the Rust
//! target and CPU, the emulator that runs it (if any), the memory map with its WEIGHTS region,
//! the UART that carries the link, the tick counter and its rate.
//!
//! Everything else is derived from [`BOARDS`]: the firmware runtime's build script writes each
//! board's `memory.x` from it ([`memory_x`], feature `std`) and picks the peripheral drivers and
//! the stack guard from it; the host's board lists (`dendrite --board`, QEMU's command line,
//! `dendrite flash`) and `cargo xtask` read it.
//!
//! ```
//! let microbit = dendrite_boards::board("microbit").unwrap();
//! assert_eq!(microbit.target, "thumbv6m-none-eabi");
//! assert_eq!(microbit.weights.origin, 0x0003_C000);
//! assert!(microbit.emulator.is_some());
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The architecture profile of a core: it decides the stack guard and the instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// ARMv6-M (Cortex-M0/M0+): no MPU guard, no stack limit register, no Thumb-2, no divide.
    V6M,
    /// ARMv7-M / ARMv7E-M (Cortex-M3/M4/M7): an MPU region guards the stack.
    V7M,
    /// ARMv8-M Mainline (Cortex-M33): the `MSPLIM` register guards the stack.
    V8MMain,
}

impl Arch {
    /// The name the firmware's `cfg(dendrite_arch = "...")` uses.
    pub const fn cfg_name(self) -> &'static str {
        match self {
            Arch::V6M => "v6m",
            Arch::V7M => "v7m",
            Arch::V8MMain => "v8m",
        }
    }
}

/// A range of addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub origin: u32,
    /// Size in bytes.
    pub length: u32,
}

impl Region {
    /// One past the last address.
    pub const fn end(&self) -> u32 {
        self.origin + self.length
    }
}

/// The serial port the firmware serves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uart {
    /// An ARM CMSDK APB UART at `base` (the MPS2 boards); driven by the firmware runtime.
    Cmsdk {
        /// Base address of its registers.
        base: u32,
    },
    /// A Nordic nRF51 UART at `base` (the micro:bit); driven by the firmware runtime.
    Nrf51 {
        /// Base address of its registers.
        base: u32,
    },
    /// A real board's UART, driven by its HAL in the board's crate.
    Hal {
        /// Which one, and on which pins, for people.
        name: &'static str,
    },
}

/// The firmware's tick counter (the clock that times a forward pass).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// An ARM CMSDK APB timer at `base`, counting down from its maximum.
    CmsdkTimer {
        /// Base address of its registers.
        base: u32,
    },
    /// A Nordic nRF51 TIMER at `base` in 32-bit mode, prescaler 0, read by a capture task.
    Nrf51Timer {
        /// Base address of its registers.
        base: u32,
    },
    /// The core's DWT cycle counter (ARMv7-M and later).
    CycleCounter,
    /// A HAL's timer, in the board's crate.
    Hal {
        /// Which one, for people.
        name: &'static str,
    },
}

/// How `qemu-system-arm` runs an emulated board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Emulator {
    /// QEMU's `-machine`.
    pub machine: &'static str,
    /// Where QEMU's `-device loader` writes the model file: the WEIGHTS region, seen through
    /// the address the loader uses (on the mps2-an505 the Non-secure alias of the memory the
    /// Secure firmware reads).
    pub loader_weights: u32,
    /// The board a plain `--target` build of the QEMU firmware selects (one per target); the
    /// others of the same target need their `board-<name>` feature and their own `-C
    /// target-cpu`.
    pub default_for_target: bool,
}

/// One board: everything the firmware's build, its runtime and the host need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// The board's name: `--board`, the `board-<name>` cargo feature, the name the firmware
    /// reports, and for a real board its crate's directory under `firmware/boards/`.
    pub name: &'static str,
    /// What it is, for people.
    pub title: &'static str,
    /// The core, for reports (`Cortex-M4F`).
    pub core: &'static str,
    /// The core's architecture profile.
    pub arch: Arch,
    /// The Rust target.
    pub target: &'static str,
    /// The CPU: `-C target-cpu` and QEMU's `-cpu`.
    pub cpu: &'static str,
    /// The core has the DSP extension (ARMv7E-M's, optional on ARMv8-M Mainline): the SIMD
    /// instructions `SXTB16`, `SXTAB16` and `SMLAD` that the firmware runtime's int8 kernel
    /// uses. Without it the firmware runs dendrite-core's portable int8 kernel.
    pub dsp: bool,
    /// How QEMU runs it; `None` for a board that runs only on silicon.
    pub emulator: Option<Emulator>,
    /// probe-rs' name for the chip (`probe-rs chip list`); `None` for an emulated board.
    pub probe_chip: Option<&'static str>,
    /// For a real board: the emulated board with the same core and build settings, whose
    /// instruction counts apply to it.
    pub like: Option<&'static str>,
    /// The program's flash (or code memory), without the WEIGHTS region and the boot stage.
    pub flash: Region,
    /// A second-stage bootloader the ROM runs from the start of flash (the RP2040's `boot2`,
    /// 256 bytes), in a region of its own before `flash`.
    pub boot2: Option<Region>,
    /// The WEIGHTS region: the model file, written separately from the program. Nothing is
    /// linked there; on silicon it is flash sectors or pages of its own.
    pub weights: Region,
    /// The RAM.
    pub ram: Region,
    /// A stack of this many bytes at the very start of RAM, below the static data, so that an
    /// overflow leaves RAM (and faults) instead of running into `.data` and `.bss`; `None` puts
    /// the stack at the top of RAM, as cortex-m-rt does by default.
    pub stack_below_statics: Option<u32>,
    /// The serial port of the link.
    pub uart: Uart,
    /// The tick counter.
    pub clock: Clock,
    /// The tick counter's rate, in Hz.
    pub tick_hz: u32,
}

/// The MPS2 FPGA boards' code memory: 4 MiB of SSRAM at 0, of which the firmware uses the first
/// 256 KiB as flash; the 512 KiB after it are the WEIGHTS region (room for an int8 model of
/// about 500,000 parameters, such as the MLPerf Tiny anomaly-detection autoencoder's 270,000).
const MPS2_FLASH: Region = Region {
    origin: 0x0000_0000,
    length: 256 * 1024,
};
const MPS2_WEIGHTS: Region = Region {
    origin: 0x0004_0000,
    length: 512 * 1024,
};
const MPS2_RAM: Region = Region {
    origin: 0x2000_0000,
    length: 64 * 1024,
};
const MPS2_UART0: Uart = Uart::Cmsdk { base: 0x4000_4000 };
const MPS2_TIMER0: Clock = Clock::CmsdkTimer { base: 0x4000_0000 };
/// The MPS2 boards' system clock (QEMU's hw/arm/mps2.c).
const MPS2_HZ: u32 = 25_000_000;

/// QEMU's mps2-an386: Cortex-M4F. The default board.
pub const MPS2_AN386: Board = Board {
    name: "mps2-an386",
    title: "QEMU mps2-an386 (Cortex-M4F)",
    core: "Cortex-M4F",
    arch: Arch::V7M,
    target: "thumbv7em-none-eabihf",
    cpu: "cortex-m4",
    dsp: true,
    emulator: Some(Emulator {
        machine: "mps2-an386",
        loader_weights: MPS2_WEIGHTS.origin,
        default_for_target: true,
    }),
    probe_chip: None,
    like: None,
    flash: MPS2_FLASH,
    boot2: None,
    weights: MPS2_WEIGHTS,
    ram: MPS2_RAM,
    // 0x1FFF_FFFF is unmapped: an overflow faults on the first word past the stack, even
    // without the MPU guard (the layout flip-link makes).
    stack_below_statics: Some(16 * 1024),
    uart: MPS2_UART0,
    clock: MPS2_TIMER0,
    tick_hz: MPS2_HZ,
};

/// QEMU's mps2-an385: Cortex-M3 without an FPU (soft float).
pub const MPS2_AN385: Board = Board {
    name: "mps2-an385",
    title: "QEMU mps2-an385 (Cortex-M3, no FPU)",
    core: "Cortex-M3",
    arch: Arch::V7M,
    target: "thumbv7m-none-eabi",
    cpu: "cortex-m3",
    dsp: false,
    emulator: Some(Emulator {
        machine: "mps2-an385",
        loader_weights: MPS2_WEIGHTS.origin,
        default_for_target: true,
    }),
    stack_below_statics: None,
    ..MPS2_AN386
};

/// QEMU's mps2-an500: Cortex-M7, sharing the Cortex-M4F's target.
pub const MPS2_AN500: Board = Board {
    name: "mps2-an500",
    title: "QEMU mps2-an500 (Cortex-M7)",
    core: "Cortex-M7",
    cpu: "cortex-m7",
    emulator: Some(Emulator {
        machine: "mps2-an500",
        loader_weights: MPS2_WEIGHTS.origin,
        default_for_target: false,
    }),
    stack_below_statics: None,
    ..MPS2_AN386
};

/// QEMU's mps2-an505: Cortex-M33 (ARMv8-M Mainline with TrustZone). The core resets Secure
/// with its vector table at 0x1000_0000, and a Secure core may not fetch from Non-secure memory,
/// so the firmware runs from the Secure aliases (address bit 28 set): code SSRAM1 at
/// 0x1000_0000, SSRAM2/3 at 0x3800_0000, UART0 at 0x5020_0000 (in the FPGA's APB expansion),
/// TIMER0 at 0x5000_0000, and a 20 MHz system clock (QEMU's hw/arm/mps2-tz.c). QEMU's loader
/// writes the WEIGHTS region through the Non-secure address of the same memory.
pub const MPS2_AN505: Board = Board {
    name: "mps2-an505",
    title: "QEMU mps2-an505 (Cortex-M33)",
    core: "Cortex-M33",
    arch: Arch::V8MMain,
    target: "thumbv8m.main-none-eabihf",
    cpu: "cortex-m33",
    // QEMU's cortex-m33 implements the optional DSP extension, as most M33 parts do.
    dsp: true,
    emulator: Some(Emulator {
        machine: "mps2-an505",
        loader_weights: MPS2_WEIGHTS.origin,
        default_for_target: true,
    }),
    flash: Region {
        origin: 0x1000_0000,
        length: MPS2_FLASH.length,
    },
    weights: Region {
        origin: 0x1004_0000,
        length: MPS2_WEIGHTS.length,
    },
    ram: Region {
        origin: 0x3800_0000,
        length: 64 * 1024,
    },
    stack_below_statics: None,
    uart: Uart::Cmsdk { base: 0x5020_0000 },
    clock: Clock::CmsdkTimer { base: 0x5000_0000 },
    tick_hz: 20_000_000,
    ..MPS2_AN386
};

/// QEMU's microbit: the BBC micro:bit's nRF51822, a Cortex-M0 (ARMv6-M) with 256 KiB of flash
/// in 1 KiB pages and 16 KiB of RAM (QEMU's hw/arm/nrf51_soc.c). The last 16 pages of flash are
/// the WEIGHTS region. The stack (4 KiB) sits below the static data, at the start of RAM: the
/// core has no MPU and no stack limit register, and below 0x2000_0000 nothing is mapped, so an
/// overflow faults instead of overwriting `.data`/`.bss`.
pub const MICROBIT: Board = Board {
    name: "microbit",
    title: "QEMU microbit (nRF51822, Cortex-M0)",
    core: "Cortex-M0",
    arch: Arch::V6M,
    target: "thumbv6m-none-eabi",
    cpu: "cortex-m0",
    dsp: false,
    emulator: Some(Emulator {
        machine: "microbit",
        loader_weights: 0x0003_C000,
        default_for_target: true,
    }),
    probe_chip: None,
    like: None,
    flash: Region {
        origin: 0x0000_0000,
        length: 240 * 1024,
    },
    boot2: None,
    weights: Region {
        origin: 0x0003_C000,
        length: 16 * 1024,
    },
    ram: Region {
        origin: 0x2000_0000,
        length: 16 * 1024,
    },
    stack_below_statics: Some(4 * 1024),
    uart: Uart::Nrf51 { base: 0x4000_2000 },
    clock: Clock::Nrf51Timer { base: 0x4000_8000 },
    tick_hz: 16_000_000,
};

/// The ST Nucleo-F411RE: STM32F411RE, Cortex-M4F at 100 MHz from the internal oscillator, 512
/// KiB of flash (sectors 0-3 of 16 KiB, 4 of 64 KiB, 5-7 of 128 KiB; RM0383, 3.3) and 128 KiB of
/// SRAM. Sector 7 is the WEIGHTS region.
pub const NUCLEO_F411RE: Board = Board {
    name: "nucleo-f411re",
    title: "ST Nucleo-F411RE (STM32F411RE, stm32f4xx-hal)",
    core: "Cortex-M4F",
    arch: Arch::V7M,
    target: "thumbv7em-none-eabihf",
    cpu: "cortex-m4",
    dsp: true,
    emulator: None,
    probe_chip: Some("STM32F411RETx"),
    like: Some("mps2-an386"),
    flash: Region {
        origin: 0x0800_0000,
        length: 384 * 1024,
    },
    boot2: None,
    weights: Region {
        origin: 0x0806_0000,
        length: 128 * 1024,
    },
    ram: Region {
        origin: 0x2000_0000,
        length: 128 * 1024,
    },
    stack_below_statics: None,
    uart: Uart::Hal {
        name: "USART2 on PA2/PA3 (the ST-LINK's virtual COM port), 115200 baud",
    },
    clock: Clock::CycleCounter,
    tick_hz: 100_000_000,
};

/// The Nordic nRF52840-DK: nRF52840, Cortex-M4F at 64 MHz, 1 MiB of flash in 4 KiB pages, 256
/// KiB of RAM, no SoftDevice or bootloader. The last 8 pages are the WEIGHTS region.
pub const NRF52840_DK: Board = Board {
    name: "nrf52840-dk",
    title: "Nordic nRF52840-DK (nRF52840, nrf52840-hal)",
    probe_chip: Some("nRF52840_xxAA"),
    flash: Region {
        origin: 0x0000_0000,
        length: 992 * 1024,
    },
    weights: Region {
        origin: 0x000F_8000,
        length: 32 * 1024,
    },
    ram: Region {
        origin: 0x2000_0000,
        length: 256 * 1024,
    },
    uart: Uart::Hal {
        name: "UARTE0 on P0.06/P0.08 (the J-Link's virtual COM port), 115200 baud",
    },
    tick_hz: 64_000_000,
    ..NUCLEO_F411RE
};

/// The Raspberry Pi Pico: RP2040, two Cortex-M0+ at 125 MHz (the firmware uses core 0), 2 MiB
/// of QSPI flash executed in place at 0x1000_0000, whose first 256 bytes are the second-stage
/// bootloader (`boot2`), and 264 KiB of SRAM (the 256 KiB striped banks used here). The last
/// 64 KiB block of flash (16 sectors of 4 KiB) is the WEIGHTS region.
pub const RP_PICO: Board = Board {
    name: "rp-pico",
    title: "Raspberry Pi Pico (RP2040, rp2040-hal)",
    core: "Cortex-M0+",
    arch: Arch::V6M,
    target: "thumbv6m-none-eabi",
    cpu: "cortex-m0plus",
    dsp: false,
    emulator: None,
    probe_chip: Some("RP2040"),
    like: Some("microbit"),
    boot2: Some(Region {
        origin: 0x1000_0000,
        length: 0x100,
    }),
    flash: Region {
        origin: 0x1000_0100,
        length: 2048 * 1024 - 64 * 1024 - 0x100,
    },
    weights: Region {
        origin: 0x101F_0000,
        length: 64 * 1024,
    },
    ram: Region {
        origin: 0x2000_0000,
        length: 256 * 1024,
    },
    stack_below_statics: None,
    uart: Uart::Hal {
        name: "UART0 on GP0/GP1, 115200 baud",
    },
    clock: Clock::Hal {
        name: "the RP2040 TIMER, 1 MHz",
    },
    tick_hz: 1_000_000,
};

/// Every board, the emulated ones first, the default (mps2-an386) first of all.
pub const BOARDS: &[Board] = &[
    MPS2_AN386,
    MPS2_AN385,
    MPS2_AN500,
    MPS2_AN505,
    MICROBIT,
    NUCLEO_F411RE,
    NRF52840_DK,
    RP_PICO,
];

/// The board called `name`.
pub const fn board(name: &str) -> Option<&'static Board> {
    let mut i = 0;
    while i < BOARDS.len() {
        if str_eq(BOARDS[i].name, name) {
            return Some(&BOARDS[i]);
        }
        i += 1;
    }
    None
}

/// The emulated board a plain build for `target` runs on.
pub const fn default_for_target(target: &str) -> Option<&'static Board> {
    let mut i = 0;
    while i < BOARDS.len() {
        let b = &BOARDS[i];
        if let Some(emulator) = b.emulator {
            if emulator.default_for_target && str_eq(b.target, target) {
                return Some(b);
            }
        }
        i += 1;
    }
    None
}

/// String equality usable in constants.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The board's `memory.x` for cortex-m-rt's `link.x`: its FLASH, WEIGHTS and RAM regions (and
/// STACK, BOOT2 where it has them), and the symbols `__weights_start`/`__weights_end` through
/// which the firmware runtime reads the WEIGHTS region.
#[cfg(feature = "std")]
pub fn memory_x(board: &Board) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "/* {}: generated from the board table (firmware/boards-table) by the firmware\n \
         * runtime's build script. Nothing is linked into WEIGHTS: the model file is written\n \
         * there separately, and the firmware reads it through the symbols below. */\n\
         MEMORY\n{{\n",
        board.title
    );
    let region = |out: &mut String, name: &str, r: Region| {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "  {name:<7} : ORIGIN = {:#010X}, LENGTH = {:#X}",
            r.origin, r.length
        );
    };
    if let Some(boot2) = board.boot2 {
        region(&mut out, "BOOT2", boot2);
    }
    region(&mut out, "FLASH", board.flash);
    region(&mut out, "WEIGHTS", board.weights);
    match board.stack_below_statics {
        Some(stack) => {
            let below = Region {
                origin: board.ram.origin,
                length: stack,
            };
            let rest = Region {
                origin: board.ram.origin + stack,
                length: board.ram.length - stack,
            };
            region(&mut out, "STACK", below);
            region(&mut out, "RAM", rest);
            out.push_str(
                "}\n\n_stack_start = ORIGIN(STACK) + LENGTH(STACK);\n_stack_end = ORIGIN(STACK);\n",
            );
        }
        None => {
            region(&mut out, "RAM", board.ram);
            out.push_str("}\n");
        }
    }
    out.push_str(
        "\n__weights_start = ORIGIN(WEIGHTS);\n__weights_end = ORIGIN(WEIGHTS) + LENGTH(WEIGHTS);\n",
    );
    if board.boot2.is_some() {
        out.push_str(
            "\n/* The second-stage bootloader the ROM copies to RAM and runs first. */\n\
             EXTERN(BOOT2_FIRMWARE)\n\
             SECTIONS {\n  .boot2 ORIGIN(BOOT2) :\n  {\n    KEEP(*(.boot2));\n  } > BOOT2\n\
             } INSERT BEFORE .text;\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for b in BOARDS {
            assert_eq!(board(b.name), Some(b));
            assert_eq!(BOARDS.iter().filter(|o| o.name == b.name).count(), 1);
        }
        assert_eq!(board("an999"), None);
    }

    #[test]
    fn each_target_has_at_most_one_default_board() {
        for b in BOARDS {
            let defaults = BOARDS
                .iter()
                .filter(|o| o.target == b.target)
                .filter(|o| o.emulator.is_some_and(|e| e.default_for_target))
                .count();
            assert!(defaults <= 1, "{}", b.target);
        }
        assert_eq!(
            default_for_target("thumbv7em-none-eabihf").map(|b| b.name),
            Some("mps2-an386")
        );
        assert_eq!(
            default_for_target("thumbv6m-none-eabi").map(|b| b.name),
            Some("microbit")
        );
    }

    #[test]
    fn regions_do_not_overlap() {
        for b in BOARDS {
            let mut regions = vec![b.flash, b.weights, b.ram];
            regions.extend(b.boot2);
            for (i, r) in regions.iter().enumerate() {
                assert!(r.length > 0, "{}", b.name);
                for o in &regions[i + 1..] {
                    assert!(r.end() <= o.origin || o.end() <= r.origin, "{}", b.name);
                }
            }
            if let Some(stack) = b.stack_below_statics {
                assert!(stack < b.ram.length, "{}", b.name);
            }
        }
    }

    #[test]
    fn dsp_follows_the_architecture() {
        for b in BOARDS {
            // ARMv7E-M always has the DSP extension, ARMv6-M and ARMv7-M never; on ARMv8-M
            // Mainline it is the part's choice.
            if b.target.starts_with("thumbv7em") {
                assert!(b.dsp, "{}", b.name);
            }
            if b.target.starts_with("thumbv6m") || b.target.starts_with("thumbv7m") {
                assert!(!b.dsp, "{}", b.name);
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn memory_x_names_every_region() {
        let text = memory_x(&MPS2_AN386);
        assert!(text.contains("WEIGHTS : ORIGIN = 0x00040000, LENGTH = 0x80000"));
        assert!(text.contains("STACK   : ORIGIN = 0x20000000, LENGTH = 0x4000"));
        assert!(text.contains("RAM     : ORIGIN = 0x20004000, LENGTH = 0xC000"));
        assert!(text.contains("_stack_end = ORIGIN(STACK);"));
        let pico = memory_x(&RP_PICO);
        assert!(pico.contains("BOOT2   : ORIGIN = 0x10000000, LENGTH = 0x100"));
        assert!(pico.contains("KEEP(*(.boot2))"));
        assert!(pico.contains("WEIGHTS : ORIGIN = 0x101F0000, LENGTH = 0x10000"));
    }
}
