#!/usr/bin/env python3
"""TFLite fixtures for Dendrite's TFLite import tests, made by TensorFlow itself.

Trains small Keras dense models on seeded synthetic data, converts each with
`tf.lite.TFLiteConverter` (full-integer int8 with a representative dataset, and
float32), runs them with `tf.lite.Interpreter` on its *reference* kernels
(`OpResolverType.BUILTIN_REF`; the default XNNPACK delegate is another
implementation; ELU, which has no reference kernel, on the builtin ones without a
delegate, as the JSON's "resolver" says), and writes, per model, under `--out`
(default `trainer/tests/fixtures/tflite/`):

- `<name>.tflite`: the converted flatbuffer;
- `<name>.json`: the input and output tensors' types and quantization, the inputs
  fed and the raw outputs the interpreter produced (int8 as integers, float32 as
  decimal numbers that round-trip to the exact f32 bits); the float32 model's file
  also holds the representative dataset its int8 siblings were converted with.

Besides the models of MODELS: `normalized.*`, a Keras Normalization layer in front
(float32, optimized, float16 and int8; the JSON also holds the layer's mean and
variance and the interpreter's standardized values), `act_<activation>.f32`, one per
Keras activation Dendrite reads, and the models Dendrite refuses (`unsupported`,
`rescaled`, `squared`, `normalized_relu6`, `leaky_relu_0.3`, `gelu_approximate`,
`hard_sigmoid_last`).

Run it with the bench env: `bench/.venv/bin/python bench/tflite_fixtures.py`.
CI never runs TensorFlow; the files it writes are committed.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

ROWS = 64  # inputs per fixture: enough to hit every rounding branch many times


def dataset(seed, features, classes, regression=False):
    """Seeded synthetic data: gaussian features, labels from a random nonlinear teacher."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, features)).astype(np.float32) * rng.uniform(0.5, 3.0, features)
    x += rng.uniform(-2, 2, features)
    teacher = rng.normal(size=(features, classes))
    z = np.tanh(x @ teacher / np.sqrt(features)) + 0.1 * (x[:, :classes] ** 2)
    if regression:
        return x.astype(np.float32), z.astype(np.float32)
    if classes == 1:
        return x.astype(np.float32), (z > np.median(z)).astype(np.float32)
    return x.astype(np.float32), np.eye(classes, dtype=np.float32)[np.argmax(z, axis=1)]


MODELS = {
    # name: (features, [(units, activation)...], loss, multi-label/regression flags)
    "dense_softmax": (7, [(16, "relu"), (8, "relu"), (4, "softmax")], "categorical_crossentropy", {}),
    "dense_sigmoid": (6, [(12, "relu"), (3, "sigmoid")], "binary_crossentropy", {}),
    "dense_tanh": (5, [(12, "relu6"), (3, "tanh")], "mse", {"regression": True}),
    "regression": (8, [(16, "relu"), (8, "relu"), (1, "linear")], "mse", {"regression": True}),
    # An input of two dimensions through Keras' Flatten: the converter emits a RESHAPE whose
    # new shape is computed at run time (SHAPE, STRIDED_SLICE, PACK) for the dynamic batch.
    "flatten": (8, [(10, "relu"), (3, "softmax")], "categorical_crossentropy", {"input_shape": (2, 4)}),
}


def build(name, seed):
    features, layers, loss, flags = MODELS[name]
    keras.utils.set_random_seed(seed)
    classes = layers[-1][0]
    shape = flags.get("input_shape")
    x, y = dataset(seed, features, classes, regression=flags.get("regression", False))
    if flags.get("regression") and layers[-1][1] == "tanh":
        y = np.tanh(y)
    head = [keras.Input(shape), keras.layers.Flatten()] if shape else [keras.Input((features,))]
    if shape:
        x = x.reshape((-1,) + shape)
    model = keras.Sequential(head + [keras.layers.Dense(u, activation=a) for u, a in layers])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    return model, x


def convert(model, x, int8, per_tensor=False, int8_io=True, float16=False, optimize=False):
    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if optimize:
            # The default optimizations without a representative dataset: dynamic-range
            # quantization, which leaves tensors under 1,024 values (all of these) in float32.
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if float16:
            # Float16 weights, widened to float32 by DEQUANTIZE operators before the float kernels.
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        if int8:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]

            def representative():
                for row in x[:200]:
                    yield [row[None, ...]]

            converter.representative_dataset = representative
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            if int8_io:
                converter.inference_input_type = tf.int8
                converter.inference_output_type = tf.int8
            if per_tensor:
                converter._experimental_disable_per_channel_quantization_for_dense_layers = True
        return converter.convert()


def tensor_info(detail):
    q = detail["quantization_parameters"]
    return {
        "dtype": np.dtype(detail["dtype"]).name,
        "shape": [int(d) for d in detail["shape"]],
        "scale": [float(s) for s in q["scales"]],
        "zero_point": [int(z) for z in q["zero_points"]],
    }


def interpreter_for(flatbuffer, **options):
    """The interpreter on TFLite's reference kernels; on its builtin ones for an operator that
    has no reference kernel (ELU), without the default delegate. Returns it and the resolver."""
    resolvers = tf.lite.experimental.OpResolverType
    try:
        interpreter = tf.lite.Interpreter(
            model_content=flatbuffer, experimental_op_resolver_type=resolvers.BUILTIN_REF, **options
        )
        return interpreter, "BUILTIN_REF"
    except ValueError:
        interpreter = tf.lite.Interpreter(
            model_content=flatbuffer,
            experimental_op_resolver_type=resolvers.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            **options,
        )
        return interpreter, "BUILTIN_WITHOUT_DEFAULT_DELEGATES"


def run_reference(flatbuffer, inputs):
    interpreter, _ = interpreter_for(flatbuffer)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    ops = sorted({op["op_name"] for op in interpreter._get_ops_details()})
    outputs = []
    for row in inputs:
        interpreter.set_tensor(inp["index"], row.reshape(inp["shape"]).astype(inp["dtype"]))
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(out["index"])[0].copy())
    return tensor_info(inp), tensor_info(out), ops, np.array(outputs)


def standardized(flatbuffer, inputs):
    """The interpreter's values after the standardization: the first FULLY_CONNECTED's input."""
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    fc = next(op for op in interpreter._get_ops_details() if op["op_name"] == "FULLY_CONNECTED")
    values = []
    for row in inputs:
        interpreter.set_tensor(inp["index"], row.reshape(inp["shape"]).astype(inp["dtype"]))
        interpreter.invoke()
        values.append(interpreter.get_tensor(fc["inputs"][0]).reshape(-1).copy())
    return np.array(values)


def quantize_inputs(x, info):
    scale, zero = info["scale"][0], info["zero_point"][0]
    # TFLite's own quantization of a float (round half away from zero), done in float32.
    q = np.sign(x / np.float32(scale)) * np.floor(np.abs(x / np.float32(scale)) + 0.5) + zero
    return np.clip(q, -128, 127).astype(np.int8)


def as_list(a):
    return a.astype(np.int64).tolist() if a.dtype.kind == "i" else [[float(v) for v in r] for r in a]


def write(out_dir, name, flatbuffer, inputs, note, calibration=None, normalization=None):
    inp, out, ops, outputs = run_reference(flatbuffer, inputs)
    (out_dir / f"{name}.tflite").write_bytes(flatbuffer)
    doc = {
        "note": note,
        "tensorflow": tf.__version__,
        "resolver": interpreter_for(flatbuffer)[1],
        "operators": ops,
        "input": inp,
        "output": out,
        "inputs": as_list(inputs),
        "outputs": as_list(outputs),
    }
    if calibration is not None:
        # The representative dataset the int8 siblings were converted with.
        doc["calibration"] = as_list(calibration)
    if normalization is not None:
        doc["standardized"] = as_list(standardized(flatbuffer, inputs))
        # The Keras layer's own statistics, to check the folded standardization against.
        doc["normalization"] = {
            "mean": [float(v) for v in np.ravel(normalization.mean)],
            "variance": [float(v) for v in np.ravel(normalization.variance)],
        }
    (out_dir / f"{name}.json").write_text(json.dumps(doc, indent=None) + "\n")
    print(f"{name}: {len(flatbuffer)} bytes, ops {ops}", file=sys.stderr)


def normalized(seed, features, layers, loss="categorical_crossentropy"):
    """A Keras `Normalization` layer adapted on the training data, then dense layers: the
    converter makes of it a SUB of the mean and a MUL by 1 / max(sqrt(variance), 1e-7)."""
    keras.utils.set_random_seed(seed)
    x, y = dataset(seed, features, layers[-1][0])
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential(
        [keras.Input((features,)), norm] + [keras.layers.Dense(u, activation=a) for u, a in layers]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    return model, x, norm


# Keras' activations on a dense layer, as the converter writes each (a fused activation, one
# operator, or a small graph of operators).
ACTIVATIONS = [
    "relu6", "leaky_relu", "elu", "selu", "softplus", "softsign", "silu", "gelu",
    "hard_sigmoid", "hard_silu", "exponential",
]


def activations(out_dir, seed):
    """One float32 fixture per Keras activation, `act_<name>.f32`: 6 inputs, 10 units with the
    activation, 3 linear outputs; and the forms Dendrite refuses."""
    x, y = dataset(seed, 6, 3, regression=True)
    rows = x[-ROWS:]
    for i, name in enumerate(ACTIVATIONS):
        keras.utils.set_random_seed(seed + i)
        model = keras.Sequential(
            [keras.Input((6,)), keras.layers.Dense(10, activation=name), keras.layers.Dense(3)]
        )
        model.compile(optimizer=keras.optimizers.Adam(0.003), loss="mse")
        model.fit(x, y, epochs=5, batch_size=32, verbose=0)
        fb = convert(model, x, int8=False)
        write(out_dir, f"act_{name}.f32", fb, rows, f"float32, Dense(10, activation='{name}') then Dense(3)")
    keras.utils.set_random_seed(seed)
    one = np.ones((1, 3), np.float32)
    refusals = {
        # A LeakyReLU layer's default slope, 0.3, is not Keras' leaky_relu activation's 0.2.
        "leaky_relu_0.3": keras.layers.LeakyReLU(0.3),
        "gelu_approximate": keras.layers.Activation(lambda t: keras.activations.gelu(t, approximate=True)),
        # hard_sigmoid on the last layer: its / 6 has no next layer to fold into.
        "hard_sigmoid_last": keras.layers.Activation("hard_sigmoid"),
    }
    for name, layer in refusals.items():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), layer])
        fb = convert(model, one, int8=False)
        write(out_dir, f"{name}.f32", fb, one, f"float32, Dense(2) then {name}")


def refused(out_dir, seed):
    """Models Dendrite refuses, each by the operator's name and place."""
    keras.utils.set_random_seed(seed)
    one = np.ones((4, 3), np.float32)
    # An operator Dendrite refuses by name: a dense layer then an absolute value.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Lambda(keras.ops.abs)])
    fb = convert(model, one, int8=False)
    write(out_dir, "unsupported.f32", fb, one[:1], "float32, FULLY_CONNECTED then ABS")
    keras.utils.set_random_seed(seed)
    # A MUL and an ADD after a relu layer (Keras' Rescaling, last, so that the converter
    # cannot fold it into a layer's weights): not a standardization.
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation="relu"), keras.layers.Rescaling(0.5, offset=1.0)]
    )
    fb = convert(model, one, int8=False)
    write(out_dir, "rescaled.f32", fb, one[:1], "float32, Rescaling after a dense layer: MUL, ADD after FULLY_CONNECTED")
    # A MUL of the input by itself: two activations, no constant.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * t), keras.layers.Dense(2)])
    fb = convert(model, one, int8=False)
    write(out_dir, "squared.f32", fb, one[:1], "float32, MUL of the input by itself")
    # A relu6 right after a Normalization: the converter fuses it into the MUL.
    x = np.random.default_rng(seed).normal(size=(50, 3)).astype(np.float32)
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input((3,)), norm, keras.layers.ReLU(6.0), keras.layers.Dense(2)])
    fb = convert(model, x, int8=False)
    write(out_dir, "normalized_relu6.f32", fb, x[:1], "float32, SUB then MUL with a fused RELU6")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="trainer/tests/fixtures/tflite")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--only", help="comma-separated model names, 'normalized', 'refused', 'activations' (default: all)"
    )
    args = parser.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    only = set(args.only.split(",")) if args.only else None
    for i, name in enumerate(MODELS):
        if only is not None and name not in only:
            continue
        model, x = build(name, args.seed + i)
        rows = x[-ROWS:].reshape(ROWS, -1)  # held out of the representative set (first 200 rows)
        # Int8 in and out: the raw integers are compared, no float at either end.
        fb = convert(model, x, int8=True)
        info = run_reference(fb, quantize_inputs(rows, {"scale": [1.0], "zero_point": [0]}))[0]
        write(out_dir, f"{name}.int8", fb, quantize_inputs(rows, info), "int8 in/out, per-channel weights")
        if name == "dense_softmax":
            fb = convert(model, x, int8=True, per_tensor=True)
            info = run_reference(fb, quantize_inputs(rows, {"scale": [1.0], "zero_point": [0]}))[0]
            write(out_dir, f"{name}.int8_per_tensor", fb, quantize_inputs(rows, info), "int8 in/out, per-tensor weights")
            fb = convert(model, x, int8=True, int8_io=False)
            write(out_dir, f"{name}.int8_float_io", fb, rows, "float in/out around int8: QUANTIZE ... DEQUANTIZE")
            fb = convert(model, x, int8=False)
            write(out_dir, f"{name}.f32", fb, rows, "float32", calibration=x[:200])
        if name == "regression":
            fb = convert(model, x, int8=False, float16=True)
            write(out_dir, f"{name}.f16", fb, rows, "float16 weights widened by DEQUANTIZE, float32 kernels")

    if only is None or "normalized" in only:
        # Inputs of very different scales and offsets standardized by a Normalization layer.
        model, x, norm = normalized(args.seed + 20, 6, [(12, "relu"), (3, "softmax")])
        rows = x[-ROWS:]
        note = "float32, Normalization: SUB of the mean, MUL by 1 / max(sqrt(variance), 1e-7)"
        fb = convert(model, x, int8=False)
        write(out_dir, "normalized.f32", fb, rows, note, normalization=norm)
        fb = convert(model, x, int8=False, optimize=True)
        write(out_dir, "normalized.f32_optimized", fb, rows, note + ", converted with Optimize.DEFAULT")
        fb = convert(model, x, int8=False, float16=True)
        write(out_dir, "normalized.f16", fb, rows, "float16 constants widened by DEQUANTIZE, " + note)
        # An input of 2 x 4 values standardized along its last axis, then Keras' Flatten: the
        # constants are [1, 1, 4], broadcast over the rows.
        keras.utils.set_random_seed(args.seed + 21)
        x2 = x[:, :4].reshape(-1, 1, 4).repeat(2, axis=1) * np.float32([1.0, 3.0])[None, :, None]
        norm2 = keras.layers.Normalization(axis=-1)
        norm2.adapt(x2)
        flat = keras.Sequential(
            [keras.Input((2, 4)), norm2, keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"),
             keras.layers.Dense(3, activation="softmax")]
        )
        fb = convert(flat, x2, int8=False)
        write(out_dir, "normalized_2d.f32", fb, x2[-ROWS:].reshape(ROWS, -1),
              "float32, Normalization(axis=-1) on a 2x4 input, then Flatten")
        # Full-integer: the SUB and MUL run on int8 values; Dendrite refuses them.
        fb = convert(model, x, int8=True)
        info = run_reference(fb, quantize_inputs(rows[:1], {"scale": [1.0], "zero_point": [0]}))[0]
        write(out_dir, "normalized.int8", fb, quantize_inputs(rows[:1], info), "int8 in/out, int8 SUB and MUL")
    if only is None or "refused" in only:
        refused(out_dir, args.seed)
    if only is None or "activations" in only:
        activations(out_dir, args.seed + 30)


if __name__ == "__main__":
    main()
