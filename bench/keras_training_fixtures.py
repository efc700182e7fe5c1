"""Keras' first training steps with L1/L2 regularizers and class_weight, for
trainer/tests/keras_first_steps.rs.

Writes trainer/tests/fixtures/keras_training/first_steps.json: the inputs, the targets, the initial
weights, and for each case the loss Keras reports for three `train_on_batch` steps and the weights
after them. Run with the bench env: `python bench/keras_training_fixtures.py`.
"""

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = (pathlib.Path(__file__).resolve().parent.parent
       / "trainer/tests/fixtures/keras_training/first_steps.json")

CASES = [
    {"name": "sgd_l2_kernel_l1_bias", "optimizer": ("sgd", 0.1),
     "kernel": {"l1": 0.0, "l2": 0.01}, "bias": {"l1": 0.01, "l2": 0.0}, "class_weight": None},
    {"name": "adam_l1l2_class_weight", "optimizer": ("adam", 0.01),
     "kernel": {"l1": 0.005, "l2": 0.02}, "bias": None,
     "class_weight": {0: 2.0, 1: 0.5, 2: 1.0}},
    {"name": "rmsprop_class_weight", "optimizer": ("rmsprop", 0.01),
     "kernel": None, "bias": None, "class_weight": {0: 1.0, 1: 3.0, 2: 0.25}},
]


def regularizer(factors):
    if factors is None:
        return None
    return keras.regularizers.L1L2(l1=factors["l1"], l2=factors["l2"])


def main():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(10, 4)).astype("float32")
    labels = np.array([0, 1, 2, 1, 1, 0, 2, 1, 1, 0])
    y = np.eye(3, dtype="float32")[labels]
    keras.utils.set_random_seed(1)
    cases = []
    initial = None
    for case in CASES:
        model = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(5, activation="tanh",
                               kernel_regularizer=regularizer(case["kernel"]),
                               bias_regularizer=regularizer(case["bias"]),
                               bias_initializer="random_uniform"),
            keras.layers.Dense(3, activation="softmax",
                               kernel_regularizer=regularizer(case["kernel"])),
        ])
        if initial is None:
            initial = [w.numpy().tolist() for w in model.weights]
        else:
            model.set_weights([np.array(w, dtype="float32") for w in initial])
        name, lr = case["optimizer"]
        optimizer = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam,
                     "rmsprop": keras.optimizers.RMSprop}[name](learning_rate=lr)
        model.compile(optimizer=optimizer, loss="categorical_crossentropy")
        losses = [float(model.train_on_batch(x, y, class_weight=case["class_weight"]))
                  for _ in range(3)]
        cases.append({
            **case,
            "optimizer": name,
            "learning_rate": lr,
            "class_weight": None if case["class_weight"] is None
            else [case["class_weight"][c] for c in range(3)],
            "losses": losses,
            "weights": [w.numpy().tolist() for w in model.weights],
            "evaluate": float(model.evaluate(x, y, verbose=0)),
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"keras": keras.__version__, "x": x.tolist(), "y": y.tolist(),
                               "initial": initial, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
