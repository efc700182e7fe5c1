#!/usr/bin/env python3
"""W4: the device-side peers on an emulated Cortex-M4F, measured by one harness.

    bench/.venv/bin/python bench/device/run.py [--json] [--opts O2,Os]

Trains the two networks in Keras 3 (the seed tutorial's 3-4-2 and a 16-32-32-4), generates
C for each with every peer (a hand-written C forward pass; emlearn, inline and loadable),
compiles each with arm-none-eabi-gcc for the Cortex-M4F, runs it on QEMU's mps2-an386 under
-icount shift=0, and reports instructions per inference, flash and RAM taken by the model
(against the same harness linked with an empty model), stack high-water mark of one call, and
how many output floats equal Keras' bit for bit. Everything generated goes to
bench/.cache/device (git-ignored). keras2c is reported as skipped: its C runtime is not in
its PyPI packages (see bench/README.md).
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
INSTRUCTIONS_PER_TICK = 40  # 25 MHz timer clock, one instruction per ns under shift=0
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


def compare(expected_bits, device_bits):
    exp = np.asarray(expected_bits, dtype=np.int64)
    dev = np.asarray(device_bits, dtype=np.int64)
    ulps = np.abs(exp - dev)  # probabilities are positive floats: ulps = integer distance
    return {"equal_bits": int(np.sum(ulps == 0)), "of": int(exp.size),
            "max_ulp": int(ulps.max())}


def measure(name, build_dir, sources, includes, opt, stub, expected_bits):
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
        "keras_bits": compare(expected_bits, run["outputs"]),
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
    return {"arm-none-eabi-gcc": gcc_v, "qemu": qemu_v, "keras": keras.__version__,
            "emlearn": getattr(emlearn, "__version__", "0.23.2")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--opts", default="O2,Os")
    parser.add_argument("--out", type=Path, help="also write the JSON document here")
    args = parser.parse_args()
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install gcc-arm-none-eabi "
                             "libnewlib-arm-none-eabi qemu-system-arm")
    import emlearn
    emlearn_inc = Path(emlearn.__file__).parent
    doc = {"harness": "CMSDK timer0 under qemu-system-arm -icount shift=0 (1 tick = 40 "
                      "instructions), mps2-an386, Cortex-M4F; per inference = (model loop - "
                      f"empty loop) / ({N_INPUTS} inputs x 500 rounds); flash and RAM against "
                      "the same harness linked with an empty model",
           "cflags": " ".join(CFLAGS), "versions": tool_versions(), "models": {},
           "skipped": {"keras2c": "keras2c 2.0's C runtime (include/*.h) is not in its PyPI "
                                  "wheel or sdist, and nothing else may be fetched here"}}
    for model_name, model, inputs in train_models():
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
                log(f"  {peer:17} -{opt}: {figures['instructions_per_inference']:8.1f} instr, "
                    f"~{figures['cycles_estimate']:8.0f} cycles, flash {figures['flash_bytes']:6} B, stack {figures['stack_bytes']:5} B, "
                    f"bits {figures['keras_bits']['equal_bits']}/{figures['keras_bits']['of']}")
    doc["summary"] = [
        {"model": m, "peer": p, "opt": f["opt"],
         "instructions": round(f["instructions_per_inference"], 1),
         "cycles_estimate": round(f["cycles_estimate"]), "flash": f["flash_bytes"],
         "stack": f["stack_bytes"],
         "bits": f"{f['keras_bits']['equal_bits']}/{f['keras_bits']['of']}"}
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
