#!/usr/bin/env python3
"""Keras models with a Normalization layer, through TFLite's converter and Dendrite's import.

Builds a handful of small Keras models that start with `keras.layers.Normalization` (different
widths, `adapt()` on differently scaled data, fixed statistics, a constant feature, dense
layers with and without an activation, Keras' newer activations), converts each to float32 TFLite, runs it with the
interpreter's reference kernels (`OpResolverType.BUILTIN_REF`), imports it with
`dendrite import m.tflite --out m.postcard`, predicts the same rows with
`dendrite predict --model m.postcard --data rows.csv --json`, and prints per model the
largest difference from the interpreter and whether it is within tolerance (TFLite multiplies
by the reciprocal of the std where Dendrite divides by it, and sums in another order).

    cargo build -p dendrite-cli
    bench/.venv/bin/python bench/tflite_normalization_check.py --dendrite target/debug/dendrite
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

ROWS = 200
# Relative to max(1, |expected|): an ulp of a standardized input, carried through the layers.
TOLERANCE = 1e-5


def data(rng, features, kind):
    if kind == "gaussian":
        x = rng.normal(size=(600, features)) * rng.uniform(0.5, 3.0, features) + rng.uniform(-2, 2, features)
    elif kind == "offset":  # large offsets, as raw sensor readings
        x = 1000.0 + rng.uniform(0, 50, size=(600, features)) * rng.uniform(0.1, 10, features)
    elif kind == "tiny":
        x = rng.normal(size=(600, features)) * 1e-3
    elif kind == "constant":  # one feature never varies: Keras divides by max(sqrt(0), 1e-7)
        x = rng.normal(size=(600, features))
        x[:, 0] = 3.0
    else:
        raise ValueError(kind)
    return x.astype(np.float32)


# name: (features, data, normalization options, [(units, activation)...])
MODELS = {
    "narrow_softmax": (4, "gaussian", {}, [(8, "relu"), (2, "softmax")]),
    "offset_regression": (10, "offset", {}, [(16, "relu"), (1, None)]),
    "linear_only": (3, "gaussian", {}, [(3, None)]),
    "constant_feature": (12, "constant", {}, [(8, "relu"), (3, "softmax")]),
    "tanh_sigmoid": (5, "gaussian", {}, [(6, "tanh"), (2, "sigmoid")]),
    "fixed_statistics": (8, "gaussian", {"mean": 0.5, "variance": 2.0}, [(4, "relu"), (3, "softmax")]),
    "tiny_scale": (7, "tiny", {}, [(5, "relu"), (4, "softmax")]),
    "wide_deep": (20, "gaussian", {}, [(32, "relu"), (16, "relu"), (5, "softmax")]),
    "linear_then_relu": (6, "offset", {}, [(10, None), (4, "relu"), (2, None)]),
    "relu6_regression": (9, "offset", {}, [(12, "relu6"), (1, None)]),
    "gelu_softmax": (6, "gaussian", {}, [(8, "gelu"), (3, "softmax")]),
    "silu_selu": (11, "tiny", {}, [(10, "silu"), (6, "selu"), (2, "softmax")]),
    # axis=None: one mean and variance for all features; the converter folds it into the
    # first layer's weights.
    "scalar_axis_none": (5, "gaussian", {"axis": None}, [(6, "relu"), (2, "softmax")]),
}


def build(name, seed):
    features, kind, options, layers = MODELS[name]
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = data(rng, features, kind)
    norm = keras.layers.Normalization(**options)
    if "mean" not in options:
        norm.adapt(x)
    model = keras.Sequential(
        [keras.Input((features,)), norm] + [keras.layers.Dense(u, activation=a) for u, a in layers]
    )
    units, last = layers[-1]
    teacher = rng.normal(size=(features, units))
    z = np.tanh(((x - x.mean(0)) / (x.std(0) + 1e-6)) @ teacher)
    if last == "softmax":
        y, loss = np.eye(units)[z.argmax(1)], "categorical_crossentropy"
    elif last == "sigmoid":
        y, loss = (z > 0).astype(np.float32), "binary_crossentropy"
    else:
        y, loss = z, "mse"
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    return model, x


def convert(model):
    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, verbose=False)
        return tf.lite.TFLiteConverter.from_saved_model(tmp).convert()


def interpret(flatbuffer, rows):
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
    )
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    ops = [op["op_name"] for op in interpreter._get_ops_details()]
    outputs = []
    for row in rows:
        interpreter.set_tensor(inp["index"], row[None, :])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(out["index"])[0].copy())
    return ops, np.array(outputs)


def dendrite(binary, flatbuffer, rows, tmp):
    tfl, model, csv = (Path(tmp) / n for n in ("m.tflite", "m.postcard", "rows.csv"))
    tfl.write_bytes(flatbuffer)
    imported = subprocess.run([binary, "import", tfl, "--out", model], capture_output=True, text=True)
    if imported.returncode != 0:
        return imported.stderr.strip(), None
    header = ",".join(f"x{i}" for i in range(rows.shape[1]))
    # repr of a float32 round-trips its bits.
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in rows)
    csv.write_text(header + "\n" + body + "\n")
    predicted = subprocess.run(
        [binary, "predict", "--model", model, "--data", csv, "--json"], capture_output=True, text=True
    )
    if predicted.returncode != 0:
        return predicted.stderr.strip(), None
    said = "standardization folded" if "standardization" in imported.stdout else "no standardization"
    return said, np.array([p["outputs"] for p in json.loads(predicted.stdout)], dtype=np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dendrite", default="target/debug/dendrite")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    matched = 0
    for i, name in enumerate(MODELS):
        model, x = build(name, args.seed + i)
        rows = x[-ROWS:]
        flatbuffer = convert(model)
        ops, want = interpret(flatbuffer, rows)
        with tempfile.TemporaryDirectory() as tmp:
            said, got = dendrite(args.dendrite, flatbuffer, rows, tmp)
        if got is None:
            print(f"{name}: REFUSED ({' '.join(ops)}): {said}")
            continue
        worst = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))
        ok = worst <= TOLERANCE
        matched += ok
        print(f"{name}: {'match' if ok else 'DIFFER'}, largest relative difference {worst:.3g} ({' '.join(ops)}; {said})")
    print(f"{matched} of {len(MODELS)} models match TFLite's interpreter within {TOLERANCE:g}")
    return 0 if matched == len(MODELS) else 1


if __name__ == "__main__":
    sys.exit(main())
