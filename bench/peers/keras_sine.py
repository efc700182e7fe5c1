"""Keras 3 on the sine example with Dendrite's settings (examples/sine.toml): 1-16-16-1 relu,
linear output, Adam(learning_rate=0.005), mean squared error, 300 epochs of batch 32, inputs and
target standardized on the training rows as Dendrite does; prints the mean absolute error on the
1,000 held-out rows of examples/data/sine_test.csv (in the target's units) as JSON."""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data")


def load(name):
    data = np.loadtxt(os.path.join(ROOT, name), delimiter=",", skiprows=1, dtype=np.float32)
    return data[:, :1], data[:, 1:]


def main(seed):
    keras.utils.set_random_seed(seed)
    (x, y), (xt, yt) = load("sine_train.csv"), load("sine_test.csv")
    xm, xs = x.mean(0), x.std(0)
    ym, ys = y.mean(0), y.std(0)
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.005), loss="mse", metrics=["mae"])
    model.fit((x - xm) / xs, (y - ym) / ys, epochs=300, batch_size=32, verbose=0)
    pred = model.predict((xt - xm) / xs, verbose=0) * ys + ym
    mae = float(np.abs(pred - yt).mean())
    print(json.dumps({"framework": "keras", "keras": keras.__version__, "seed": seed, "mae": mae}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
