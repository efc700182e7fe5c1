#!/usr/bin/env bash
# Size, cost and stack of the firmware for a model (default: the seed model).
#
#   firmware/scripts/measure.sh [MODEL]
#
# flash = .vector_table + .text + .rodata; static RAM = .data + .bss (arm-none-eabi-size -A).
# Instructions per inference come from the firmware's Cost request under
# `qemu-system-arm -icount shift=0` (one instruction per virtual ns, 40 per 25 MHz timer tick),
# net of an empty loop; the stack high-water mark from its SelfCheck (painted stack).
# `cargo xtask size` / `cargo xtask cost` are the supported entry points; this is their recipe.
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
cd "$here/.."
# Instructions per inference and the stack high-water mark, through the same link as the tests.
cargo xtask cost --model "$model"
cargo xtask size --model "$model" | grep stack
