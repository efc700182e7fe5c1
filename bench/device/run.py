#!/usr/bin/env python3
"""W4: the device-side peers on an emulated Cortex-M4F, measured by one harness.

    bench/.venv/bin/python bench/device/run.py [--json] [--opts O2,Os] [--no-int8 | --only-int8]

Trains the two networks in Keras 3 (the seed tutorial's 3-4-2 and a 16-32-32-4), generates
C for each with every peer (a hand-written C forward pass; emlearn, inline and loadable),
compiles each with arm-none-eabi-gcc for the Cortex-M4F, runs it on QEMU's mps2-an386 under
-icount shift=0, and reports instructions per inference, flash and RAM taken by the model
(against the same harness linked with an empty model), stack high-water mark of one call, and
how many output floats equal Keras' bit for bit. Everything generated goes to
bench/.cache/device (git-ignored). keras2c is reported as skipped: its C runtime is not in
its PyPI packages (see bench/README.md).

The int8 peers run Dendrite's own int8 16-32-32-4 network (`target/xtask/wide-16-32-32-4.int8.
postcard`, what `cargo xtask cost` quantizes and measures), its parameters exported by
`cargo run -p dendrite-trainer --example int8_export`: TensorFlow Lite Micro's reference int8
kernels (C++ from the crates.io crate tfmicro 0.1.0's vendored TensorFlow sources, which cargo
fetches into its registry) and embedded-nn 0.2.3 (a Rust port of CMSIS-NN's kernels, a static
library from bench/device/embedded-nn). Their int8 outputs are compared byte for byte with
`dendrite predict --json`'s "quantized_outputs" on the same 20 inputs. That model's softmax
outputs are nearly one-hot, so the peers also run the Keras-trained 16-32-32-4 after
`dendrite import` and `dendrite quantize` (calibrated on its training rows), whose are not.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
sys.path.insert(0, str(BENCH / "peers"))

import common  # noqa: E402  (one thread, before TensorFlow loads)
import mix  # noqa: E402
import numpy as np  # noqa: E402

CACHE = BENCH / ".cache" / "device"
HARNESS = HERE / "harness"
CFLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
          "-ffunction-sections", "-fdata-sections", "-std=c11", "-Wall"]
LDFLAGS = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
           "-Wl,--gc-sections", "-T", str(HARNESS / "link.ld")]
QEMU = ["qemu-system-arm", "-machine", "mps2-an386", "-cpu", "cortex-m4", "-icount", "shift=0",
        "-display", "none", "-monitor", "none", "-serial", "stdio",
        "-semihosting-config", "enable=on,target=native"]
CXXFLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
            "-ffunction-sections", "-fdata-sections", "-std=c++17", "-fno-exceptions",
            "-fno-rtti", "-fno-threadsafe-statics", "-DNDEBUG", "-Wall", "-Wno-sign-compare"]
ROOT = BENCH.parent
INT8_MODEL = ROOT / "target" / "xtask" / "wide-16-32-32-4.int8.postcard"
TFMICRO = ("tfmicro", "0.1.0")
EMBEDDED_NN = HERE / "embedded-nn"
INSTRUCTIONS_PER_TICK = 40
TRAINING = {}  # model name -> the rows it was trained on (calibration for its int8 variant)  # 25 MHz timer clock, one instruction per ns under shift=0
N_INPUTS = 20


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def c_float(v):
    """An exact C literal for a float32 (hex float, so no decimal rounding)."""
    return float(np.float32(v)).hex() + "f"


def c_array(name, values):
    body = ", ".join(c_float(v) for v in np.asarray(values, dtype=np.float32).ravel())
    return f"static const float {name}[{np.asarray(values).size}] = {{{body}}};\n"


# ---- the two networks, trained in Keras -------------------------------------------------

def train_models():
    """(name, keras model, 20 test inputs) for the seed network and the 16-32-32-4 one."""
    import keras
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from keras_bench import tutorial_model

    # The seed network exactly as W1 trains it (seed 0).
    x, labels = common.seed_data(1000, 0)
    keras.utils.set_random_seed(0)
    seed = tutorial_model()
    seed.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    seed.fit(x, keras.utils.to_categorical(labels, 2), epochs=10, batch_size=8, verbose=0)
    seed_inputs, _ = common.seed_data(N_INPUTS, 123)

    # 16-32-32-4 on four Gaussian classes in 16 dimensions, so its weights are trained ones.
    rng = np.random.default_rng(7)
    means = rng.normal(scale=1.5, size=(4, 16))
    labels = rng.integers(0, 4, size=4000)
    x = (means[labels] + rng.normal(size=(4000, 16))).astype(np.float32)
    keras.utils.set_random_seed(0)
    big = keras.Sequential([keras.Input(shape=(16,)),
                            keras.layers.Dense(32, activation="relu"),
                            keras.layers.Dense(32, activation="relu"),
                            keras.layers.Dense(4, activation="softmax")])
    big.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    big.fit(x, keras.utils.to_categorical(labels, 4), epochs=5, batch_size=32, verbose=0)
    TRAINING["16-32-32-4"] = x
    test_labels = rng.integers(0, 4, size=N_INPUTS)
    big_inputs = (means[test_labels] + rng.normal(size=(N_INPUTS, 16))).astype(np.float32)
    return [("seed-3-4-2", seed, seed_inputs), ("16-32-32-4", big, big_inputs)]


def dense_layers(model):
    """[(kernel (in, out), bias, activation name)] with Activation layers folded in."""
    layers = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            kernel, bias = layer.get_weights()
            layers.append([kernel, bias, layer.activation.__name__])
        elif kind == "Activation":
            layers[-1][2] = layer.activation.__name__
        else:
            raise ValueError(f"unexpected layer {kind}")
    return layers


# ---- C sources for each peer -------------------------------------------------------------

def write_common(d, inputs, n_out):
    d.mkdir(parents=True, exist_ok=True)
    (d / "dims.h").write_text(f"#define N_INPUTS {len(inputs)}\n#define N_IN {inputs.shape[1]}\n"
                              f"#define N_OUT {n_out}\n")
    rows = ",\n".join("{" + ", ".join(c_float(v) for v in row) + "}" for row in inputs)
    (d / "inputs.h").write_text('#include "dims.h"\n'
                                f"static const float INPUTS[N_INPUTS][N_IN] = {{\n{rows}\n}};\n")


def write_handwritten(d, layers):
    d.mkdir(parents=True, exist_ok=True)
    width = max(max(k.shape) for k, _, _ in layers)
    text = f"/* generated from the Keras model */\n#define MAX_WIDTH {width}\n"
    calls, src = [], "in"
    for i, (kernel, bias, act) in enumerate(layers):
        text += c_array(f"W{i}", kernel) + c_array(f"B{i}", bias)
        dst = "out" if i == len(layers) - 1 else ("a" if i % 2 == 0 else "b")
        calls.append(f"dense({src}, {kernel.shape[0]}, W{i}, B{i}, {kernel.shape[1]}, {dst});")
        if act != "linear":
            calls.append(f"{act}({dst}, {kernel.shape[1]});")
        src = dst
    (d / "weights.h").write_text(text)
    (d / "network.inc").write_text("\n".join(calls) + "\n")
    shutil.copy(HERE / "handwritten" / "model.c", d / "model.c")


EMLEARN_GLUE = {
    # The inline strategy's generated net_infer() leaves the outputs in net_activations2.
    "inline": '#include "dims.h"\n#include "net.h"\n'
              "void model_infer(const float *in, float *out)\n{\n"
              "    net_infer(in, N_IN, net_activations1, net_activations2, "
              "net_activations_length);\n"
              "    for (int i = 0; i < N_OUT; i++) out[i] = net_activations2[i];\n}\n",
    # The loadable strategy through eml_net_regress(): the raw outputs of the last layer.
    # (eml_net_predict_proba() would return 1 - p for class 0 of a two-output network.)
    "loadable": '#include "dims.h"\n#include "net.h"\n'
                "void model_infer(const float *in, float *out)\n{\n"
                "    eml_net_regress(&net, in, N_IN, out, N_OUT);\n}\n",
}


def patch_emlearn_inline():
    """emlearn 0.23.2's inline generator declares each layer's activation with
    cgen.constant_declare(name, 'EmlNetActivationRelu'), whose default dtype 'int' fails on
    the enum name. Declare it with the enum type the template expects; the generated
    arithmetic is untouched."""
    from emlearn import cgen, net
    original = cgen.constant_declare

    def constant_declare(name, val, dtype="int"):
        if isinstance(val, str) and val.startswith("EmlNetActivation"):
            return f"static const EmlNetActivationFunction {name} = {val}; "
        return original(name, val, dtype=dtype)

    net.cgen.constant_declare = constant_declare


def write_emlearn(d, model, method):
    import emlearn
    patch_emlearn_inline()
    d.mkdir(parents=True, exist_ok=True)
    converted = emlearn.convert(model, method=method)
    converted.save(name="net", file=str(d / "net.h"), inference=[method])
    (d / "model.c").write_text(EMLEARN_GLUE[method])


# ---- the int8 peers --------------------------------------------------------------------

def cargo_registry_crate(name, version):
    """The unpacked sources of a crates.io crate in cargo's registry; when they are not there
    yet, `cargo fetch` on a throwaway manifest that depends on the crate puts them there (the
    sources are used in place, never copied into the repository)."""
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))

    def found():
        return sorted(home.glob(f"registry/src/*/{name}-{version}"))

    if not found():
        d = CACHE / f"fetch-{name}"
        (d / "src").mkdir(parents=True, exist_ok=True)
        (d / "src" / "lib.rs").write_text("")
        (d / "Cargo.toml").write_text(
            f'[package]\nname = "fetch-{name}"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[dependencies]\n{name} = "={version}"\n[workspace]\n')
        log(f"  cargo fetch {name} {version}")
        subprocess.run(["cargo", "fetch", "--manifest-path", str(d / "Cargo.toml")],
                       check=True, capture_output=True, text=True)
    if not found():
        raise SystemExit(f"{name} {version} is not in cargo's registry after `cargo fetch`")
    return found()[-1]


def cost_model_inputs():
    """20 inputs for the int8 model `cargo xtask cost` measures, drawn like its calibration
    data (uniform in [-200, 200))."""
    if not INT8_MODEL.exists():
        raise SystemExit(f"{INT8_MODEL} is missing: `cargo xtask cost --board mps2-an386` "
                         "writes it")
    rng = np.random.default_rng(17)
    return rng.uniform(-200.0, 200.0, size=(N_INPUTS, 16)).astype(np.float32)


def write_csv(path, rows, header=True):
    lines = [",".join(repr(float(v)) for v in row) for row in rows]
    if header:
        lines.insert(0, ",".join(f"x{i}" for i in range(len(rows[0]))))
    path.write_text("\n".join(lines) + "\n")


def dendrite(*args):
    return subprocess.run(["cargo", "run", "-q", "-p", "dendrite-cli", "--", *map(str, args)],
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout


def quantized_keras_model(root, model, training):
    """The Keras-trained 16-32-32-4 through `dendrite import` and `dendrite quantize` (its
    training rows as the calibration data): an int8 network whose softmax is not saturated."""
    root.mkdir(parents=True, exist_ok=True)
    model.save(root / "keras.keras")
    write_csv(root / "calibration.csv", training)
    dendrite("import", root / "keras.keras", "--out", root / "float.postcard")
    dendrite("quantize", "--model", root / "float.postcard", "--calibration",
             root / "calibration.csv", "--out", root / "int8.postcard")
    return root / "int8.postcard"


def int8_network(root, model_file, raw):
    """An int8 model file's layers, the raw inputs quantized as Dendrite quantizes them, and
    Dendrite's int8 outputs for them (`dendrite predict --json`'s `quantized_outputs`)."""
    root.mkdir(parents=True, exist_ok=True)
    write_csv(root / "inputs.csv", raw, header=False)
    write_csv(root / "inputs-header.csv", raw)
    exported = json.loads(subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "dendrite-trainer", "--example",
         "int8_export", "--", str(model_file), str(root / "inputs.csv")],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    predicted = json.loads(dendrite("predict", "--model", model_file, "--data",
                                    root / "inputs-header.csv", "--json"))
    expected = [row["quantized_outputs"] for row in predicted]
    return exported, expected


def write_int8_common(d, exported):
    d.mkdir(parents=True, exist_ok=True)
    inputs = exported["quantized_inputs"]
    layers = exported["layers"]
    (d / "dims.h").write_text(f"#define INT8_IO 1\n#define N_INPUTS {len(inputs)}\n"
                              f"#define N_IN {layers[0]['inputs']}\n"
                              f"#define N_OUT {layers[-1]['units']}\n")
    rows = ",\n".join("{" + ", ".join(map(str, row)) + "}" for row in inputs)
    (d / "inputs.h").write_text('#include <stdint.h>\n#include "dims.h"\n'
                                f"static const int8_t INPUTS[N_INPUTS][N_IN] = {{\n{rows}\n}};\n")


def c_ints(ctype, name, values):
    return f"static const {ctype} {name}[{len(values)}] = {{{', '.join(map(str, values))}}};\n"


def write_tflm(d, exported):
    d.mkdir(parents=True, exist_ok=True)
    layers = exported["layers"]
    text = "/* generated by bench/device/run.py from a Dendrite int8 model file */\n"
    text += f"#define N_LAYERS {len(layers)}\n"
    text += f"#define MAX_WIDTH {max(max(l['units'], l['inputs']) for l in layers)}\n"
    text += ("struct Layer {\n  int inputs, units;\n  const int8_t *weights;\n"
             "  const int32_t *bias, *multiplier, *shift;\n"
             "  int32_t input_zero_point, output_zero_point, activation_min, activation_max;\n"
             "  bool softmax;\n  int32_t softmax_input_multiplier, softmax_input_left_shift, "
             "softmax_diff_min;\n};\n")
    entries = []
    for i, l in enumerate(layers):
        if l["lut"] is not None:
            raise SystemExit("the int8 peers run relu/linear/softmax layers only")
        text += c_ints("int8_t", f"W{i}", l["weights"]) + c_ints("int32_t", f"B{i}", l["bias"])
        text += c_ints("int32_t", f"M{i}", l["multiplier"])
        text += c_ints("int32_t", f"S{i}", l["shift"])
        sm = l["softmax"] or {"input_multiplier": 0, "input_left_shift": 0, "diff_min": 0}
        entries.append(
            f"{{{l['inputs']}, {l['units']}, W{i}, B{i}, M{i}, S{i}, {l['input_zero_point']}, "
            f"{l['output_zero_point']}, {l['activation_min']}, {l['activation_max']}, "
            f"{'true' if l['softmax'] else 'false'}, {sm['input_multiplier']}, "
            f"{sm['input_left_shift']}, {sm['diff_min']}}}")
    text += "static const Layer LAYERS[N_LAYERS] = {\n" + ",\n".join(entries) + "\n};\n"
    (d / "weights.h").write_text(text)


def tflm_object(d, root, opt):
    """tflm/model.cc compiled with arm-none-eabi-g++ against tfmicro's vendored sources."""
    tf = cargo_registry_crate(*TFMICRO) / "submodules" / "tensorflow"
    gemmlowp = tf / "tensorflow/lite/micro/tools/make/downloads/gemmlowp"
    obj = d / f"model-{opt}.o"
    subprocess.run(["arm-none-eabi-g++", *CXXFLAGS, f"-{opt}", "-c", str(HERE / "tflm/model.cc"),
                    f"-I{d}", f"-I{root}", f"-I{tf}", f"-I{gemmlowp}", "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    return obj


def write_embedded_nn(d, exported):
    d.mkdir(parents=True, exist_ok=True)
    layers = exported["layers"]

    def arr(values):  # the field's type makes each literal an &[i8] or &[i32]
        return f"&[{', '.join(map(str, values))}]"

    text = "// generated by bench/device/run.py from a Dendrite int8 model file\n"
    text += f"const N_IN: usize = {layers[0]['inputs']};\n"
    text += f"const N_OUT: usize = {layers[-1]['units']};\n"
    text += f"const MAX_WIDTH: usize = {max(max(l['units'], l['inputs']) for l in layers)};\n"
    text += "static LAYERS: &[Layer] = &[\n"
    for l in layers:
        sm = l["softmax"]
        softmax = ("None" if sm is None else
                   f"Some(({sm['input_multiplier']}, {sm['input_left_shift']}, {sm['diff_min']}))")
        text += (f"    Layer {{ inputs: {l['inputs']}, units: {l['units']}, "
                 f"weights: {arr(l['weights'])}, bias: {arr(l['bias'])}, "
                 f"multiplier: {arr(l['multiplier'])}, shift: {arr(l['shift'])}, "
                 f"input_zero_point: {l['input_zero_point']}, "
                 f"output_zero_point: {l['output_zero_point']}, "
                 f"activation_min: {l['activation_min']}, activation_max: {l['activation_max']}, "
                 f"softmax: {softmax} }},\n")
    text += "];\n"
    (d / "weights.rs").write_text(text)


def embedded_nn_library(d, profile):
    """bench/device/embedded-nn built for the Cortex-M4F with cargo's `profile`."""
    target_dir = d / "target"
    env = dict(os.environ, DENDRITE_PEER_WEIGHTS=str(d / "weights.rs"))
    subprocess.run(["cargo", "build", "--locked", "--profile", profile, "--target",
                    "thumbv7em-none-eabihf", "--manifest-path", str(EMBEDDED_NN / "Cargo.toml"),
                    "--target-dir", str(target_dir)],
                   check=True, capture_output=True, text=True, env=env)
    lib = target_dir / "thumbv7em-none-eabihf" / profile / "libdendrite_bench_embedded_nn.a"
    copy = d / f"libpeer-{profile}.a"
    shutil.copy(lib, copy)
    return copy


def int8_peers(doc, opts, key, model_file, raw, label):
    """The int8 peers (TFLite Micro's reference kernels, embedded-nn) on `model_file`."""
    log(f"W4 {key}")
    root = CACHE / key
    if root.exists():
        shutil.rmtree(root)
    exported, expected = int8_network(root, model_file, raw)
    write_int8_common(root, exported)
    stub = gcc(root / "stub.elf", [HARNESS / "stub_model.c"], [root], "O2")
    layers = exported["layers"]
    entry = doc["models"].setdefault(key, {
        "model": label,
        "layers": [[l["inputs"], l["units"], "softmax" if l["softmax"] else
                    ("relu" if l["activation_min"] == l["output_zero_point"] else "linear")]
                   for l in layers],
        "multiply_adds": sum(l["inputs"] * l["units"] for l in layers),
        "expected": expected, "peers": {}})
    tflm = root / "tflm"
    write_tflm(tflm, exported)
    for opt in opts:
        obj = tflm_object(tflm, root, opt)
        figures = measure("tflm", tflm, [obj], [root], opt, stub, expected, int8=True)
        entry["peers"].setdefault("TFLite Micro reference kernels", []).append(figures)
        log_row("tflm", opt, figures)
    enn = root / "embedded-nn"
    write_embedded_nn(enn, exported)
    for opt, profile in (("O2", "release"), ("Os", "size")):
        if opt not in opts:
            continue
        lib = embedded_nn_library(enn, profile)
        figures = measure("embedded-nn", enn, [lib], [root], "O2", stub, expected, int8=True)
        figures["opt"] = "opt-level=3" if profile == "release" else "opt-level=s"
        entry["peers"].setdefault("embedded-nn 0.2.3", []).append(figures)
        log_row("embedded-nn", opt, figures)


def log_row(peer, opt, figures):
    log(f"  {peer:17} -{opt}: {figures['instructions_per_inference']:8.1f} instr, "
        f"~{figures['cycles_estimate']:8.0f} cycles, flash {figures['flash_bytes']:6} B, "
        f"stack {figures['stack_bytes']:5} B, "
        f"bits {bits_of(figures)['equal_bits']}/{bits_of(figures)['of']}")


def bits_of(figures):
    """The output comparison: with Keras' float bits (f32), with Dendrite's int8 outputs."""
    return figures.get("keras_bits") or figures["dendrite_bits"]


# ---- build, run, measure -----------------------------------------------------------------

def gcc(out, sources, includes, opt, defines=()):
    cmd = ["arm-none-eabi-gcc", *CFLAGS, f"-{opt}", *defines, *[f"-I{i}" for i in includes],
           str(HARNESS / "startup.c"), str(HARNESS / "main.c"), *map(str, sources),
           *LDFLAGS, "-o", str(out), "-lm"]
    # The harness is always -O2; only the model's sources take the option under test.
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


def size(elf):
    text, data, bss = subprocess.run(["arm-none-eabi-size", str(elf)], check=True,
                                     capture_output=True, text=True).stdout.splitlines()[1].split()[:3]
    return {"text": int(text), "data": int(data), "bss": int(bss)}


def symbols(elf):
    out = subprocess.run(["arm-none-eabi-nm", "-S", "--size-sort", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = int(parts[1], 16)
    return syms


def qemu(elf):
    proc = subprocess.run([*QEMU, "-kernel", str(elf)], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{elf} exited {proc.returncode}: {proc.stderr[-2000:]}")
    result = {"outputs": []}
    for line in (proc.stdout + proc.stderr).splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "out":
            result["outputs"].append([int(h, 16) for h in parts[2:]])
        elif parts[0] in ("stack_bytes", "calls", "ticks_model", "ticks_empty"):
            result[parts[0]] = int(parts[1])
    return result


def trace(name, build_dir, sources, includes, opt, stub):
    """Instruction mix and cycle estimate from an execution trace of N_INPUTS + 1 inferences
    (the harness built with ROUNDS=0; QEMU without -icount so blocks translate the same)."""
    elf = gcc(build_dir / f"{name}-{opt}-trace.elf", sources, includes, opt, ["-DROUNDS=0"])
    log = build_dir / f"{name}-{opt}-trace.log"
    cmd = [q for q in QEMU if q not in ("-icount", "shift=0")]
    subprocess.run([*cmd, "-d", "in_asm,exec,nochain", "-D", str(log), "-kernel", str(elf)],
                   check=True, capture_output=True, timeout=300)
    result = mix.mix(log, elf, stub, N_INPUTS + 1)
    log.unlink()
    return result


def compare(expected_bits, device_bits, int8=False):
    exp = np.asarray(expected_bits, dtype=np.int64)
    dev = np.asarray(device_bits, dtype=np.int64)
    if int8:  # the harness prints each int8 output as its byte
        dev = np.where(dev > 127, dev - 256, dev)
    ulps = np.abs(exp - dev)  # probabilities are positive floats: ulps = integer distance
    return {"equal_bits": int(np.sum(ulps == 0)), "of": int(exp.size),
            "max_ulp": int(ulps.max())}


def measure(name, build_dir, sources, includes, opt, stub, expected_bits, int8=False):
    elf = gcc(build_dir / f"{name}-{opt}.elf", sources, includes, opt)
    run = qemu(elf)
    full, base = size(elf), size(stub)
    own = {k: v for k, v in symbols(elf).items() if k not in symbols(stub)}
    instructions = ((run["ticks_model"] - run["ticks_empty"]) * INSTRUCTIONS_PER_TICK
                    / run["calls"])
    traced = trace(name, build_dir, sources, includes, opt, stub)
    return {
        "opt": f"-{opt}",
        "instructions_per_inference": instructions,
        "cycles_estimate": traced["cycles_estimate"],
        "instruction_mix": traced,
        "flash_bytes": (full["text"] + full["data"]) - (base["text"] + base["data"]),
        "static_ram_bytes": (full["data"] + full["bss"]) - (base["data"] + base["bss"]),
        "stack_bytes": run["stack_bytes"],
        ("dendrite_bits" if int8 else "keras_bits"): compare(expected_bits, run["outputs"], int8),
        "largest_symbols": dict(sorted(own.items(), key=lambda kv: -kv[1])[:8]),
        "ticks": {"model": run["ticks_model"], "empty": run["ticks_empty"],
                  "calls": run["calls"]},
    }


def tool_versions():
    gcc_v = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True,
                           text=True).stdout.splitlines()[0]
    qemu_v = subprocess.run(["qemu-system-arm", "--version"], capture_output=True,
                            text=True).stdout.splitlines()[0]
    import emlearn
    import keras
    rustc_v = subprocess.run(["rustc", "--version"], capture_output=True,
                             text=True).stdout.strip()
    return {"arm-none-eabi-gcc": gcc_v, "qemu": qemu_v, "keras": keras.__version__,
            "emlearn": getattr(emlearn, "__version__", "0.23.2"),
            "tfmicro": "tfmicro 0.1.0 (its vendored TensorFlow Lite Micro sources)",
            "embedded-nn": f"embedded-nn 0.2.3 ({rustc_v})"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--opts", default="O2,Os")
    parser.add_argument("--out", type=Path, help="also write the JSON document here")
    parser.add_argument("--no-int8", action="store_true", help="leave out the int8 peers")
    parser.add_argument("--only-int8", action="store_true", help="only the int8 peers")
    args = parser.parse_args()
    tools = ["arm-none-eabi-gcc", "qemu-system-arm"] + ([] if args.no_int8 else ["arm-none-eabi-g++"])
    for tool in tools:
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install gcc-arm-none-eabi "
                             "libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib "
                             "qemu-system-arm")
    import emlearn
    emlearn_inc = Path(emlearn.__file__).parent
    doc = {"harness": "CMSDK timer0 under qemu-system-arm -icount shift=0 (1 tick = 40 "
                      "instructions), mps2-an386, Cortex-M4F; per inference = (model loop - "
                      f"empty loop) / ({N_INPUTS} inputs x 500 rounds); flash and RAM against "
                      "the same harness linked with an empty model",
           "cflags": " ".join(CFLAGS), "versions": tool_versions(), "models": {},
           "skipped": {"keras2c": "keras2c 2.0's C runtime (include/*.h) is not in its PyPI "
                                  "wheel or sdist, and nothing else may be fetched here"}}
    trained = train_models()
    for model_name, model, inputs in ([] if args.only_int8 else trained):
        log(f"W4 {model_name}")
        layers = dense_layers(model)
        n_out = layers[-1][0].shape[1]
        expected = model.predict(inputs, verbose=0).astype(np.float32)
        expected_bits = expected.view(np.uint32).astype(np.int64).tolist()
        root = CACHE / model_name
        if root.exists():
            shutil.rmtree(root)
        write_common(root, inputs, n_out)
        stub = gcc(root / "stub.elf", [HARNESS / "stub_model.c"], [root], "O2")
        peers = {"handwritten": root / "handwritten", "emlearn-inline": root / "emlearn-inline",
                 "emlearn-loadable": root / "emlearn-loadable"}
        write_handwritten(peers["handwritten"], layers)
        write_emlearn(peers["emlearn-inline"], model, "inline")
        write_emlearn(peers["emlearn-loadable"], model, "loadable")
        entry = doc["models"].setdefault(model_name, {
            "layers": [[int(k.shape[0]), int(k.shape[1]), a] for k, _, a in layers],
            "multiply_adds": int(sum(k.size for k, _, _ in layers)), "peers": {}})
        for peer, d in peers.items():
            for opt in args.opts.split(","):
                figures = measure(peer, d, [d / "model.c"], [d, root, emlearn_inc], opt,
                                  stub, expected_bits)
                entry["peers"].setdefault(peer, []).append(figures)
                log_row(peer, opt, figures)
    if not args.no_int8:
        opts = args.opts.split(",")
        int8_peers(doc, opts, "16-32-32-4-int8", INT8_MODEL, cost_model_inputs(),
                   str(INT8_MODEL.relative_to(ROOT)))
        _, big, big_inputs = trained[1]
        quantized = quantized_keras_model(CACHE / "16-32-32-4-keras-int8-model", big,
                                          TRAINING["16-32-32-4"])
        int8_peers(doc, opts, "16-32-32-4-keras-int8", quantized, big_inputs,
                   "the Keras-trained 16-32-32-4 through dendrite import and dendrite quantize")
    doc["summary"] = [
        {"model": m, "peer": p, "opt": f["opt"],
         "instructions": round(f["instructions_per_inference"], 1),
         "cycles_estimate": round(f["cycles_estimate"]), "flash": f["flash_bytes"],
         "stack": f["stack_bytes"],
         "bits": f"{bits_of(f)['equal_bits']}/{bits_of(f)['of']}"}
        for m, e in doc["models"].items() for p, fs in e["peers"].items() for f in fs]
    text = json.dumps(doc, indent=1)
    if args.json:
        print(text)
    else:
        for row in doc["summary"]:
            print(row)
    (CACHE / "last.json").write_text(text + "\n")
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
