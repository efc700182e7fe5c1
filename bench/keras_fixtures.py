"""Keras fixtures for Dendrite's Keras import, export and training tests.

Builds small models in real Keras 3 (bench/requirements.txt pins the versions), saves them as
`.keras`, legacy `.h5` and weights-only `.weights.h5`, and records what Keras computes with them:
predictions on fixed inputs, the seed tutorial's initial weights, the weights after 3
`train_on_batch` steps and after 10 unshuffled epochs. The files land in
trainer/tests/fixtures/keras/; the Rust tests read them, so CI never runs TensorFlow.

    bench/.venv/bin/python bench/keras_fixtures.py            # write the fixtures
    bench/.venv/bin/python bench/keras_fixtures.py --check DIR # load Dendrite's exports in Keras

`--check DIR` loads every `*.keras` and `*.h5` file in DIR that has a `<name>.expected.json`
beside it (`{"inputs": [...], "outputs": [...]}`, what Dendrite predicts) with
`keras.models.load_model` and prints the largest difference from Keras' predictions
(relative to the value where its magnitude exceeds 1).
"""

import argparse
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "trainer/tests/fixtures/keras"


def inputs(n, width, seed):
    """Fixed prediction inputs: standard normal, scaled by 2, rounded to f32."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, width)) * 2.0).astype(np.float32)


def floats(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64).tolist()


def save_predictions(name, model, x):
    y = model.predict(x, verbose=0)
    (OUT / f"{name}.predictions.json").write_text(
        json.dumps({"inputs": floats(x), "outputs": floats(y)})
    )


def dense_chain(activation, width=5, hidden=(7, 4), out=3, use_bias=True):
    model = keras.Sequential([keras.Input((width,))])
    for units in hidden:
        model.add(layers.Dense(units, activation=activation, use_bias=use_bias,
                               bias_initializer="random_normal"
                               if use_bias else "zeros"))
    model.add(layers.Dense(out, activation="softmax", bias_initializer="random_normal"))
    return model


def build_models():
    """Every fixture model, by file name (without extension)."""
    data = inputs(200, 5, 7) * np.array([1.0, 10.0, 0.1, 3.0, 100.0], np.float32) + 4.0
    models = {}
    for act in ["linear", "relu", "sigmoid", "tanh", "softmax"]:
        models[f"dense_{act}"] = dense_chain(act)
    # A regression head (linear output) without biases.
    m = keras.Sequential([keras.Input((5,)), layers.Dense(6, activation="tanh", use_bias=False),
                          layers.Dense(1, use_bias=False)])
    models["no_bias_regression"] = m
    # Activations as layers of their own, Dropout, and a sigmoid output.
    models["activation_layers_dropout"] = keras.Sequential([
        keras.Input((5,)), layers.Dense(8), layers.Activation("relu"), layers.Dropout(0.3),
        layers.Dense(4), layers.Activation("tanh"), layers.Dropout(0.1),
        layers.Dense(1, activation="sigmoid")])
    # Normalization adapted on data (mean, variance and count are weights).
    norm = layers.Normalization()
    norm.adapt(data)
    models["normalization_adapted"] = keras.Sequential([
        keras.Input((5,)), norm, layers.Dense(6, activation="relu"),
        layers.Dense(3, activation="softmax")])
    # Normalization with mean and variance given to the constructor (in config.json), one
    # variance zero (Keras divides by epsilon then).
    models["normalization_given"] = keras.Sequential([
        keras.Input((5,)),
        layers.Normalization(mean=[4.0, 3.5, 4.0, 5.0, 90.0], variance=[1.0, 100.0, 0.0, 9.0, 1e4]),
        layers.Dense(4, activation="sigmoid"), layers.Dense(2, activation="softmax")])
    # A functional chain, with Flatten.
    x_in = keras.Input((5,), name="features")
    h = layers.Flatten()(x_in)
    h = layers.Dense(6, activation="relu", name="hidden")(h)
    h = layers.Dropout(0.5)(h)
    y = layers.Dense(3, activation="softmax", name="probabilities")(h)
    models["functional"] = keras.Model(x_in, y, name="functional_chain")
    # A regression head whose targets were standardized: Normalization(invert=True) last.
    models["regression_targets"] = keras.Sequential([
        keras.Input((5,)), layers.Normalization(mean=4.0, variance=9.0),
        layers.Dense(8, activation="relu"), layers.Dense(2),
        layers.Normalization(mean=[10.0, -3.0], variance=[4.0, 0.25], invert=True)])
    for m in models.values():
        m.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return models, data


def batch_normalization_models():
    """BatchNormalization folded into a neighbouring Dense layer: after a Dense layer without
    activation (the usual Dense, BatchNormalization, Activation), and before the first Dense
    layer, with moving statistics, scales and offsets far from the defaults."""
    rng = np.random.default_rng(5)

    def stats(bn, width, scale=True, center=True):
        values = []
        if scale:
            values.append(rng.uniform(-2.0, 2.0, width).astype(np.float32))
        if center:
            values.append(rng.normal(0.0, 1.0, width).astype(np.float32))
        values.append(rng.normal(3.0, 2.0, width).astype(np.float32))
        values.append(rng.uniform(0.1, 20.0, width).astype(np.float32))
        bn.set_weights(values)

    after = keras.Sequential([keras.Input((5,)), layers.Dense(6), layers.BatchNormalization(),
                              layers.Activation("relu"), layers.Dense(3, activation="softmax")])
    stats(after.layers[1], 6)
    before = keras.Sequential([keras.Input((5,)), layers.BatchNormalization(epsilon=0.01),
                               layers.Dense(4, activation="tanh"),
                               layers.BatchNormalization(center=False, scale=False),
                               layers.Dense(2, activation="softmax")])
    stats(before.layers[0], 5)
    stats(before.layers[2], 4, scale=False, center=False)
    return {"batchnorm_after_dense": after, "batchnorm_before_dense": before}


def refused_models():
    """Models Dendrite must refuse, each with a layer it does not support."""
    conv = keras.Sequential([keras.Input((8, 1)), layers.Conv1D(2, 3), layers.Flatten(),
                             layers.Dense(2, activation="softmax")])
    # A BatchNormalization between a relu and a tanh: no Dense layer to fold it into.
    batchnorm = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"),
                                  layers.BatchNormalization(), layers.Activation("tanh"),
                                  layers.Dense(2, activation="softmax")])
    return {"refused_conv1d": conv, "refused_batchnorm": batchnorm}


def tf_keras2_h5(model, path):
    """The model in the legacy layout tf.keras 2.x writes (`batch_input_shape`, weights named
    `<layer>/kernel:0` under `model_weights/<layer>/<layer>/`), written with h5py from the Keras 3
    model's weights: TensorFlow 2.21 has no tf.keras 2 to write it."""
    import h5py
    layers_config = [{"class_name": "InputLayer", "config": {
        "batch_input_shape": [None, model.input_shape[-1]], "dtype": "float32",
        "sparse": False, "ragged": False, "name": "dense_input"}}]
    for layer in model.layers:
        cfg = layer.get_config()
        layers_config.append({"class_name": type(layer).__name__, "config": {
            "name": layer.name, "trainable": True, "dtype": "float32", "units": cfg["units"],
            "activation": cfg["activation"], "use_bias": cfg["use_bias"]}})
    config = {"class_name": "Sequential",
              "config": {"name": "sequential", "layers": layers_config},
              "keras_version": "2.15.0", "backend": "tensorflow"}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            g = weights.create_group(layer.name)
            names = [f"{layer.name}/{v}:0" for v in ("kernel", "bias")]
            g.attrs["weight_names"] = [n.encode() for n in names]
            for n, value in zip(names, layer.get_weights()):
                g.create_dataset(n, data=value)


def seed_data():
    """The seed tutorial's data, drawn as its script does (numpy's global generator)."""
    np.random.seed(2018)
    n = 1000
    weight = np.random.normal(size=n)
    height = np.random.normal(size=n)
    age = np.random.normal(size=n)
    gender = np.zeros(n)
    gender[:500] = 1
    weight[:500] += 1
    height[:500] += 1
    age[:500] -= 1
    data = np.array([weight, height, age]).T.astype(np.float32)
    return data, gender


def seed_model():
    model = keras.Sequential()
    model.add(keras.Input((3,)))
    model.add(layers.Dense(4, kernel_initializer="random_normal", name="Dense1"))
    model.add(layers.Activation("relu", name="hidden"))
    model.add(layers.Dense(2, kernel_initializer="random_normal", name="Dense2"))
    model.add(layers.Activation("softmax", name="output"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def weights_json(model):
    return [floats(w) for w in model.get_weights()]


def training_fixtures():
    data, gender = seed_data()
    with open(OUT / "seed_data.csv", "w") as f:
        f.write("weight,height,age,gender\n")
        for row, g in zip(data, gender):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(g)}\n")
    one_hot = keras.utils.to_categorical(gender, num_classes=2)
    keras.utils.set_random_seed(42)
    model = seed_model()
    model.save(OUT / "seed_initial.keras")
    model.save_weights(OUT / "seed_initial.weights.h5")
    initial = model.get_weights()
    steps = []
    for i in range(3):
        loss = model.train_on_batch(data[8 * i: 8 * i + 8], one_hot[8 * i: 8 * i + 8])
        steps.append({"loss": float(loss[0]), "weights": weights_json(model)})
    model = seed_model()
    model.set_weights(initial)
    history = model.fit(data, one_hot, epochs=10, batch_size=8, shuffle=False, verbose=0)
    # The model as trained by Keras, for import and a run on the device.
    model.save(OUT / "seed_trained.keras")
    save_predictions("seed_trained", model, inputs(16, 3, 5))
    fixture = {
        "initial": [floats(w) for w in initial],
        "steps": steps,
        "epochs": {"loss": [float(v) for v in history.history["loss"]],
                   "accuracy": [float(v) for v in history.history["accuracy"]],
                   "weights": weights_json(model)},
    }
    (OUT / "seed_training.json").write_text(json.dumps(fixture))


def big_model():
    """About 100,000 parameters, for timing the import (not committed: bench only)."""
    return keras.Sequential([keras.Input((64,)), layers.Dense(256, activation="relu"),
                             layers.Dense(256, activation="relu"),
                             layers.Dense(64, activation="relu"),
                             layers.Dense(10, activation="softmax")])


def write():
    OUT.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(1)
    models, _ = build_models()
    x = inputs(16, 5, 11) * np.array([1.0, 10.0, 0.1, 3.0, 100.0], np.float32) + 4.0
    for name, model in models.items():
        model.save(OUT / f"{name}.keras")
        save_predictions(name, model, x)
    models["dense_relu"].save(OUT / "dense_relu.h5")
    tf_keras2_h5(models["dense_tanh"], OUT / "dense_tanh.tf_keras2.h5")
    models["normalization_adapted"].save(OUT / "normalization_adapted.h5")
    models["functional"].save_weights(OUT / "functional.weights.h5")
    (OUT / "functional.config.json").write_text(models["functional"].to_json())
    for name, model in batch_normalization_models().items():
        model.save(OUT / f"{name}.keras")
        save_predictions(name, model, x)
    for name, model in refused_models().items():
        model.save(OUT / f"{name}.keras")
    training_fixtures()
    # The newer activations' fixtures (and the refused activation, `mish`).
    import keras_activation_fixtures
    keras_activation_fixtures.write()
    if len(sys.argv) > 1 and sys.argv[1] == "--big":
        big_model().save(sys.argv[2])
    print(f"wrote {OUT}", file=sys.stderr)


def check(directory):
    worst = 0.0
    files = sorted(p for p in pathlib.Path(directory).iterdir()
                   if p.suffix in (".keras", ".h5"))
    for path in files:
        expected = path.with_name(path.name + ".expected.json")
        if not expected.exists():
            continue
        want = json.loads(expected.read_text())
        model = keras.models.load_model(path, compile=False)
        got = model.predict(np.array(want["inputs"], np.float32), verbose=0)
        want_y = np.array(want["outputs"], np.float64)
        # Relative where a value exceeds 1 (a regression's outputs in the targets' units).
        diff = float(np.max(np.abs(got - want_y) / np.maximum(np.abs(want_y), 1.0)))
        worst = max(worst, diff)
        print(f"{path.name}: loaded by Keras {keras.__version__}, largest difference {diff:.3g}")
    print(f"largest difference over {len(files)} files: {worst:.3g}")
    return 0 if worst <= 1e-6 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", metavar="DIR")
    parser.add_argument("--big", metavar="FILE", help="also save a 100k-parameter .keras model")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.check))
    sys.argv = [sys.argv[0]] + (["--big", args.big] if args.big else [])
    write()
