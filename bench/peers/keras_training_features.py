"""Keras 3's held-out accuracy with Dropout, an L2 kernel penalty and class_weight="balanced",
on Iris and digits: the references for `cargo run --release -p dendrite-trainer --example
training_features` (BENCHMARKS.md, "Training features").

    bench/.venv/bin/python bench/peers/keras_training_features.py --only iris --seeds 10
    bench/.venv/bin/python bench/peers/keras_training_features.py --only digits --seeds 5

`--variants dropout,l2` runs some of the variants (written to
keras_training_features_TASK_dropout-l2.json; the file is rewritten after every variant).

Data: examples/data/iris_{train,test}.csv (120 / 30 rows, standardized with the training rows'
mean and population std) and examples/data/digits_{train,test}.csv (1437 / 360 rows, raw 0-16
pixels), as examples/iris.toml and examples/digits.toml read them. Models: Iris 4-16-8-3
relu/relu/softmax, adam 0.001, 100 epochs of 8; digits 64-32-10 relu/softmax, adam 0.001,
30 epochs of 16; categorical cross-entropy; Keras' default initializers.

Variants: `base`; `dropout` (Dropout(0.2) after every hidden layer); `l2` (kernel_regularizer
"l2", Keras' 0.01, on every Dense layer); `imbalanced` (training rows of the upper half of the
classes, Iris' virginica and digits 5-9, thinned to every 4th row of each class); `balanced`
(the imbalanced rows with class_weight as scikit-learn's compute_class_weight("balanced")).
The test rows are always the full, balanced held-out set. Writes
bench/results/keras_training_features_TASK.json per task and prints the mean accuracy (%) and
the standard deviation over seeds per variant.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import common  # noqa: F401  (one thread, before TensorFlow loads)
import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402
from sklearn.utils.class_weight import compute_class_weight  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "examples" / "data"
VARIANTS = ("base", "dropout", "l2", "imbalanced", "balanced")
TASKS = {
    "iris": {"label": "species", "hidden": (16, 8), "epochs": 100, "batch": 8,
             "standardize": True, "minority": lambda c, k: c >= k - 1},
    "digits": {"label": "digit", "hidden": (32,), "epochs": 30, "batch": 16,
               "standardize": False, "minority": lambda c, k: c >= k // 2},
}


def read(path, label, classes):
    """Features and class indices; `classes` (filled from the first file read) are sorted as
    Dendrite sorts them: numerically when every name is an integer, else by name."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        features = [c for c in reader.fieldnames if c != label]
        rows = list(reader)
    if not classes:
        names = sorted({r[label] for r in rows})
        if all(n.lstrip("-").isdigit() for n in names):
            names.sort(key=int)
        classes.extend(names)
    x = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float32)
    return x, np.array([classes.index(r[label]) for r in rows])


def thin(labels, k, minority):
    """Every row of the majority classes; every 4th row (within its class) of the minority."""
    seen = {}
    keep = []
    for i, c in enumerate(labels):
        n = seen.get(c, 0)
        seen[c] = n + 1
        if not minority(c, k) or n % 4 == 0:
            keep.append(i)
    return np.array(keep)


def run(task, variant, seed):
    t = TASKS[task]
    classes = []
    x, y = read(DATA / f"{task}_train.csv", t["label"], classes)
    xt, yt = read(DATA / f"{task}_test.csv", t["label"], classes)
    k = len(classes)
    if t["standardize"]:
        mean, std = x.mean(axis=0), x.std(axis=0)
        x, xt = (x - mean) / std, (xt - mean) / std
    if variant in ("imbalanced", "balanced"):
        keep = thin(y, k, t["minority"])
        x, y = x[keep], y[keep]
    class_weight = None
    if variant == "balanced":
        present = np.unique(y)
        w = compute_class_weight("balanced", classes=present, y=y)
        class_weight = {int(c): float(v) for c, v in zip(present, w)}
    keras.utils.set_random_seed(seed)
    reg = "l2" if variant == "l2" else None
    layers = [keras.Input(shape=(x.shape[1],))]
    for units in t["hidden"]:
        layers.append(keras.layers.Dense(units, activation="relu", kernel_regularizer=reg))
        if variant == "dropout":
            layers.append(keras.layers.Dropout(0.2))
    layers.append(keras.layers.Dense(k, activation="softmax", kernel_regularizer=reg))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, keras.utils.to_categorical(y, k), epochs=t["epochs"], batch_size=t["batch"],
              verbose=0, class_weight=class_weight)
    p = model.predict(xt, verbose=0, batch_size=1024)
    return float(np.mean(np.argmax(p, axis=1) == yt))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--only", default="iris,digits")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    variants = args.variants.split(",")
    for task in args.only.split(","):
        out = {"keras": keras.__version__, "task": task, "seeds": args.seeds, "variants": {}}
        suffix = "" if variants == list(VARIANTS) else "_" + "-".join(variants)
        path = ROOT / "bench" / "results" / f"keras_training_features_{task}{suffix}.json"
        for variant in variants:
            acc = [run(task, variant, s) for s in range(args.seeds)]
            out["variants"][variant] = {"mean": float(np.mean(acc)),
                                        "std": float(np.std(acc, ddof=1)), "per_seed": acc}
            print(f"{task} {variant}: {100 * np.mean(acc):.2f} ± "
                  f"{100 * np.std(acc, ddof=1):.2f}", file=sys.stderr, flush=True)
            path.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
