#!/usr/bin/env python3
"""W4 in one run: Dendrite's firmware next to the C peers on the emulated Cortex-M4F.

    bench/.venv/bin/python bench/device/compare.py [--out FILE.json]

Measures, one after the other in this process's run:
- Dendrite (seed 3-4-2 and 16-32-32-4): instructions per inference from the firmware's `Cost`
  request under `qemu-system-arm -icount shift=0` (`cargo xtask cost --json`), flash, static RAM
  and stack high-water mark (`cargo xtask size --json`), and the Cortex-M4 cycle estimate and
  forward-pass code size from a QEMU execution trace (`firmware/scripts/profile.py`, the same
  timing table as the peers' estimate);
- Dendrite's int8 16-32-32-4 (`target/xtask/wide-16-32-32-4.int8.postcard`, which `cargo xtask
  cost` quantizes) the same way;
- the peers (hand-written C, emlearn; for int8, TensorFlow Lite Micro's reference kernels and
  embedded-nn; `bench/device/run.py`): the same harness for all of them.
Prints the markdown section of BENCHMARKS.md on stdout.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOARD = "mps2-an386"


# The rows of the table: (label, the key of `cargo xtask cost/size`'s rows, run.py's model).
MODELS = [("3-4-2", "3-4-2", "seed-3-4-2"), ("16-32-32-4", "16-32-32-4", "16-32-32-4"),
          ("16-32-32-4 int8", "16-32-32-4 int8", "16-32-32-4-int8")]


def key_of(architecture):
    """`16-32-32-4 relu/relu/softmax int8` -> `16-32-32-4 int8`; the f32 one -> `16-32-32-4`."""
    words = architecture.split()
    return words[0] + (" int8" if words[-1] == "int8" else "")


def xtask(verb):
    out = subprocess.run(["cargo", "xtask", verb, "--json", "--board", BOARD], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    return {key_of(row["architecture"]): row for row in json.loads(out)["boards"]}


def elf_for(arch):
    if arch == "3-4-2":
        return ROOT / f"target/firmware-cache/{BOARD}-seed/dendrite-firmware"
    name, int8 = arch.split()[0], arch.endswith("int8")
    pattern = f"{BOARD}-int8-{name}-*" if int8 else f"{BOARD}-{name}-*"
    cache = next((ROOT / "target/firmware-cache").glob(pattern))
    return cache / "dendrite-firmware"


def model_for(arch):
    if arch == "3-4-2":
        return ROOT / "firmware/models/seed.postcard"
    if arch.endswith("int8"):
        return ROOT / "target/xtask/wide-16-32-32-4.int8.postcard"
    return ROOT / "target/xtask/wide-16-32-32-4.postcard"


def profile(arch):
    out = subprocess.run([sys.executable, str(ROOT / "firmware/scripts/profile.py"),
                          str(elf_for(arch)), str(model_for(arch))],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    cycles = re.search(r"estimated Cortex-M4 cycles per inference:\s*([\d,.]+)", out)
    return float(cycles.group(1).replace(",", "")) if cycles else None, out


def forward_bytes(arch):
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "-C", str(elf_for(arch))],
                        check=True, capture_output=True, text=True).stdout
    size = sum(int(f[1], 16) for f in (l.split(maxsplit=3) for l in nm.splitlines())
               if len(f) == 4 and "Model::forward" in f[3])
    return size + model_for(arch).stat().st_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    cost, size = xtask("cost"), xtask("size")
    ours = {}
    for arch, _, _ in MODELS:
        cycles, _ = profile(arch)
        ours[arch] = {
            "instructions_per_inference": cost[arch]["instructions_per_inference"],
            "cycles_estimate": cycles,
            "flash_bytes": size[arch]["flash_bytes"],
            "static_ram_bytes": size[arch]["static_ram_bytes"],
            "stack_bytes": size[arch]["stack_high_water_bytes"],
            "inference_bytes": forward_bytes(arch),
        }
    peers = json.loads(subprocess.run([sys.executable, str(ROOT / "bench/device/run.py"), "--json"],
                                      cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    result = {"dendrite": ours, "peers": peers}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    print(markdown(ours, peers))


def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def markdown(ours, peers):
    rows = []
    for arch, _, key in MODELS:
        if key not in peers["models"]:
            continue
        d = ours[arch]
        rows.append(f"| {arch} | **Dendrite** (Rust, bit-exact with the host) | "
                    f"{fmt(d['instructions_per_inference'])} | {fmt(d['cycles_estimate'])} | "
                    f"{fmt(d['inference_bytes'])} | {fmt(d['stack_bytes'])} | "
                    f"whole firmware {fmt(d['flash_bytes'])} B flash, {fmt(d['static_ram_bytes'])} B RAM |")
        for peer, runs in peers["models"][key]["peers"].items():
            for r in runs:
                bits = r.get("keras_bits") or r.get("dendrite_bits") or {}
                whose = "Keras'" if "keras_bits" in r else "Dendrite's int8"
                rows.append(f"| {arch} | {peer} {r['opt']} | {fmt(r['instructions_per_inference'])} | "
                            f"{fmt(r.get('cycles_estimate'))} | {fmt(r.get('flash_bytes'))} | "
                            f"{fmt(r.get('stack_bytes'))} | {bits.get('equal_bits', '–')} of {bits.get('of', '–')} outputs equal {whose} |")
    labels = {"keras": "Keras {} (for the reference bits)", "emlearn": "emlearn {}"}
    versions = ", ".join(labels.get(k, "{}").format(v)
                         for k, v in peers.get("versions", {}).items())
    trained = peers["models"].get("16-32-32-4-keras-int8", {}).get("peers", {})
    checks = "; ".join(
        f"{peer} {r['opt']}: {r['dendrite_bits']['equal_bits']} of {r['dendrite_bits']['of']}"
        for peer, runs in trained.items() for r in runs) or "not run"
    spread = next((row for row in peers["models"].get("16-32-32-4-keras-int8", {})
                   .get("expected", []) if any(-128 < v < 127 for v in row)), None)
    example = f" (e.g. {', '.join(map(str, spread))})" if spread else ""
    return "\n".join([
        "## Device (W4): against C on the Cortex-M4F",
        "",
        f"Measured in one run by `cargo xtask bench --device` on QEMU `{BOARD}` under `-icount shift=0`: "
        "instructions per inference (Dendrite: its `Cost` request over 10,000 passes; the peers: "
        "their harness's timer over 10,000 inferences; both net of an empty loop), a Cortex-M4 "
        "cycle estimate from a QEMU execution trace weighted with the Technical Reference Manual's "
        "timings (zero wait states; instructions are not cycles: a VDIV counts 1 and costs 14), "
        "the bytes of inference code plus weights, and the stack. Peers: " + versions + ".",
        "",
        "| model | implementation | instructions | est. cycles | inference code + weights (B) | stack (B) | notes |",
        "|---|---|---:|---:|---:|---:|---|",
        *rows,
        "",
        "Dendrite's stack is the whole firmware's painted high-water mark (protocol included: the "
        "stack is filled with a known pattern at start-up, and the deepest word overwritten is the "
        "mark); the peers' is the inference call's alone. keras2c is not measured: its C runtime is in neither "
        "its wheel nor its sdist on PyPI.",
        "",
        "The int8 rows run one network: Dendrite's int8 16-32-32-4 "
        "(`target/xtask/wide-16-32-32-4.int8.postcard`, per-channel weights, quantized by "
        "`cargo xtask cost`), its weights, biases, multipliers, shifts, zero points and softmax "
        "parameters exported by `cargo run -p dendrite-trainer --example int8_export` into each "
        "peer. Dendrite's row takes f32 inputs and returns f32 outputs (the standardization, the "
        "input quantization and the output dequantization included, as `Cost` runs the "
        "firmware's forward pass); the peers take the int8 inputs Dendrite quantized and "
        "return the int8 outputs, compared byte for byte with `dendrite predict --json`'s "
        "`quantized_outputs`. The synthetic model's logits step by 18.5 per unit, so its "
        "softmax outputs are nearly one-hot: that comparison checks the winning class and the "
        "saturated bytes more than the softmax's rounding. So the peers also run the Keras-"
        "trained 16-32-32-4 above, imported (`dendrite import`) and quantized by `dendrite "
        "quantize` on its training rows, whose int8 outputs are spread" + example + ", on its 20 inputs; int8 outputs equal to Dendrite's: " + checks + ". TensorFlow Lite Micro: its reference "
        "kernels (`reference_integer_ops::FullyConnected`, `reference_ops::Softmax<int8_t, "
        "int8_t>`, gemmlowp's fixed point) from the TensorFlow sources the crates.io crate "
        "tfmicro 0.1.0 vendors, built with arm-none-eabi-g++ and `-DNDEBUG`; that TensorFlow's "
        "fully-connected kernel is per-tensor, so the peer calls it once per output unit with the "
        "unit's multiplier and shift (`bench/device/tflm/model.cc`). embedded-nn 0.2.3: a "
        "no_std Rust port of CMSIS-NN's kernels (`fully_connected_per_channel_s8`, "
        "`softmax_s8`), a static library built for thumbv7em-none-eabihf "
        "(`bench/device/embedded-nn`) with `opt-level=3` and with "
        "`opt-level=\"s\"`, LTO; its fully-connected kernel is plain Rust (its SMLAD path, "
        "`vec_dot_s8`, serves only its recurrent layers). CMSIS-NN itself is still not "
        "measured: see \"The CMSIS-NN peer\" below.",
    ])


if __name__ == "__main__":
    main()
