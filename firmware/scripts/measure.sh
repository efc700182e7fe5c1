#!/usr/bin/env bash
# Size, cost and stack of the firmware for a model (default: the seed model).
#
#   firmware/scripts/measure.sh [MODEL]
#
# Builds the firmware for MODEL's architecture, then prints
# - flash = .vector_table + .text + .rodata and static RAM = .data + .bss (arm-none-eabi-size -A);
# - from scripts/profile.py under qemu-system-arm: instructions per forward pass (equal to the
#   `-icount shift=0` figure of `cargo xtask cost`), a Cortex-M4 cycle estimate, the instruction
#   mix, and the stack high-water mark (painted stack, after a batch, a cost run and a self-check).
# Bit-exactness against the host: `cargo test -p dendrite-tests --test firmware_matches_host`.
# `cargo xtask size` / `cargo xtask cost` report the seed and 16-32-32-4 figures the same way.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
model="$(realpath "${1:-$here/models/seed.postcard}")"
cd "$here"
DENDRITE_MODEL="$model" cargo build --release -q
elf="$here/target/thumbv7em-none-eabihf/release/dendrite-firmware"
arm-none-eabi-size -A "$elf" | awk '
  $1 == ".vector_table" || $1 == ".text" || $1 == ".rodata" { flash += $2 }
  $1 == ".data" || $1 == ".bss" { ram += $2 }
  END { printf "flash %d bytes, static RAM %d bytes\n", flash, ram }'
"$here/scripts/profile.py" "$elf" "$model"
