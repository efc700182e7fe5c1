"""Keras fixtures for the activations past Keras' first five (relu6, leaky_relu, elu, selu,
softplus, softsign, silu, gelu, hard_sigmoid, hard_silu, exponential).

Writes, into trainer/tests/fixtures/keras/ (bench/requirements.txt pins the versions):

- `activation_values.json`: each activation function of Keras 3 (its TensorFlow backend, in
  f32) on a fixed grid of inputs, so the Rust tests measure Dendrite's formula against Keras'
  one activation at a time;
- one small `.keras` model per group of activations, as Dense activations and as layers
  (`ReLU(max_value=6)`, `LeakyReLU(negative_slope=0.2)`, `ELU()`, `Activation("gelu")`, …),
  with Keras' predictions on fixed inputs;
- models Dendrite must refuse: another slope, another alpha, another max_value, an activation
  it lacks.

    bench/.venv/bin/python bench/keras_activation_fixtures.py

bench/keras_fixtures.py runs it too, after its own fixtures.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import OUT, floats, inputs, save_predictions  # noqa: E402

# Keras' names (aliases for two of them), in Dendrite's wire order.
ACTIVATIONS = ["relu6", "leaky_relu", "elu", "selu", "softplus", "softsign", "silu", "gelu",
               "hard_sigmoid", "hard_silu", "exponential"]


def grid():
    """-12 to 12 by 0.2, the kinks and their f32 neighbours, softplus' thresholds."""
    points = list(np.arange(-60, 61) * 0.2)
    for k in [-3.0, 0.0, 3.0, 6.0, 13.942385, -13.942385, 1e-4, -1e-4, 1e-30, -1e-30, 80.0]:
        points += [np.nextafter(np.float32(k), np.float32(-np.inf)), np.float32(k),
                   np.nextafter(np.float32(k), np.float32(np.inf))]
    return np.array(points, np.float32)


def shortest(a):
    """f32 values as the shortest decimals that read back as them (a smaller file)."""
    return [float(str(v)) for v in np.asarray(a, dtype=np.float32)]


def activation_values():
    x = grid()
    names = ACTIVATIONS + ["swish", "hard_swish"]
    values = {name: shortest(keras.activations.get(name)(x)) for name in names}
    (OUT / "activation_values.json").write_text(json.dumps({"inputs": floats(x),
                                                            "outputs": values}))


def chain(activations, out, out_activation=None, width=5):
    model = keras.Sequential([keras.Input((width,))])
    for units, activation in zip(range(len(activations) + 4, 4, -1), activations):
        model.add(layers.Dense(units, activation=activation, bias_initializer="random_normal"))
    model.add(layers.Dense(out, activation=out_activation, bias_initializer="random_normal"))
    return model


def models():
    """The models Dendrite imports, by file name (without extension)."""
    return {
        # Piecewise: relu6, leaky_relu, elu, selu; a linear (regression) head.
        "dense_relu6_leaky_elu_selu": chain(["relu6", "leaky_relu", "elu", "selu"], 2),
        # Smooth: softplus, softsign, silu (by its alias), gelu.
        "dense_softplus_softsign_swish_gelu": chain(["softplus", "softsign", "swish", "gelu"], 2),
        # Hard ones and the exponential, under a softmax.
        "dense_hard_sigmoid_hard_swish_exponential":
            chain(["hard_sigmoid", "hard_swish", "exponential"], 3, "softmax"),
        # The layers that name them.
        "activation_layers_relu6_leaky_elu": keras.Sequential([
            keras.Input((5,)),
            layers.Dense(7), layers.ReLU(max_value=6.0),
            layers.Dense(6), layers.LeakyReLU(negative_slope=0.2),
            layers.Dense(5), layers.ELU(),
            layers.Dense(5), layers.ReLU(negative_slope=0.2),
            layers.Dense(4), layers.Activation("gelu"),
            layers.Dense(4), layers.Activation("relu6"),
            layers.Dense(3, activation="softmax")]),
    }


def refused():
    """Models Dendrite must refuse, by file name: each names what it lacks."""
    def one(layer):
        return keras.Sequential([keras.Input((3,)), layers.Dense(4), layer,
                                 layers.Dense(2, activation="softmax")])
    return {
        "refused_mish": keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="mish")]),
        "refused_leaky_relu_default": one(layers.LeakyReLU()),
        "refused_elu_alpha": one(layers.ELU(alpha=0.5)),
        "refused_relu_max_value": one(layers.ReLU(max_value=4.0)),
    }


def write():
    keras.utils.set_random_seed(3)
    activation_values()
    x = inputs(16, 5, 13)
    for name, model in models().items():
        model.save(OUT / f"{name}.keras")
        save_predictions(name, model, x)
    for name, model in refused().items():
        model.save(OUT / f"{name}.keras")


if __name__ == "__main__":
    write()
