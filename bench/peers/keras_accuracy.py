"""Keras 3's accuracy on the seed tutorial and on Iris: the references the trainer must meet.

    bench/.venv/bin/python bench/peers/keras_accuracy.py [--seeds 10] [--only seed,iris]

Writes bench/results/keras_accuracy.json and prints a markdown summary on stdout.

Seed tutorial, per seed s in 0..seeds-1: training data common.seed_data(1000, s); test data
100,000 fresh samples common.seed_data(100_000, 10_000 + s); keras.utils.set_random_seed(s);
the tutorial's model and compile; fit batch 8 for 50 epochs, with test accuracy and
P(female | [0, 0, 0]) recorded after epoch 10 and epoch 50 (the first 10 epochs of the run are
exactly a 10-epoch run: the recording draws no random numbers).

Iris: bench/data/iris.csv with the split in bench/data/iris_split.json; standardization
(mean and population std, ddof=0, per feature) fitted on the 120 training rows; 4-16-8-3
relu/relu/softmax with Keras' default glorot_uniform/zeros initialisers; adam (defaults);
categorical cross-entropy; 100 epochs of batch 8, shuffled; accuracy on the 30 held-out rows.
"""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import common  # noqa: F401  (one thread, before TensorFlow loads)
import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402

from keras_bench import tutorial_model  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent
CHECKPOINTS = (10, 50)


class Record(keras.callbacks.Callback):
    """Test accuracy and P(female) for [0, 0, 0] after the chosen epochs."""

    def __init__(self, x_test, y_test):
        super().__init__()
        self.x_test, self.y_test, self.at = x_test, y_test, {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in CHECKPOINTS:
            p = self.model.predict(self.x_test, batch_size=10_000, verbose=0)
            p0 = self.model.predict(np.zeros((1, 3), dtype=np.float32), verbose=0)
            self.at[epoch + 1] = {
                "test_accuracy": float(np.mean(np.argmax(p, axis=1) == self.y_test)),
                "train_accuracy": float(logs["accuracy"]), "train_loss": float(logs["loss"]),
                "p_female_000": float(p0[0, 0])}


def summary(values):
    values = np.asarray(values, dtype=np.float64)
    return {"mean": float(values.mean()), "std_ddof1": float(values.std(ddof=1)),
            "min": float(values.min()), "max": float(values.max())}


def seed_reference(seeds):
    per_seed = []
    for s in range(seeds):
        x, labels = common.seed_data(1000, s)
        x_test, y_test = common.seed_data(100_000, 10_000 + s)
        keras.utils.set_random_seed(s)
        model = tutorial_model()
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy",
                      metrics=["accuracy"])
        record = Record(x_test, y_test)
        model.fit(x, keras.utils.to_categorical(labels, 2), epochs=max(CHECKPOINTS),
                  batch_size=8, verbose=0, callbacks=[record])
        row = {"seed": s, "bayes_accuracy": common.bayes_accuracy(x_test, y_test)}
        for e in CHECKPOINTS:
            row[f"epochs_{e}"] = record.at[e]
        per_seed.append(row)
        print(f"seed {s}: " + ", ".join(
            f"{e} epochs acc {record.at[e]['test_accuracy']:.4f} "
            f"P(female|0)={record.at[e]['p_female_000']:.3f}" for e in CHECKPOINTS)
            + f", Bayes {row['bayes_accuracy']:.4f}", file=sys.stderr, flush=True)
    out = {"per_seed": per_seed, "bayes_accuracy": summary([r["bayes_accuracy"]
                                                            for r in per_seed])}
    for e in CHECKPOINTS:
        out[f"epochs_{e}"] = {
            "test_accuracy": summary([r[f"epochs_{e}"]["test_accuracy"] for r in per_seed]),
            "p_female_000": summary([r[f"epochs_{e}"]["p_female_000"] for r in per_seed]),
            "female_for_000_in_all_seeds": all(r[f"epochs_{e}"]["p_female_000"] > 0.5
                                               for r in per_seed)}
    return out


def load_iris_csv():
    names, rows = [], []
    with open(BENCH / "data" / "iris.csv", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            if row["species"] not in names:
                names.append(row["species"])
            rows.append(([float(row[c]) for c in reader.fieldnames[:4]],
                         names.index(row["species"])))
    x = np.array([r[0] for r in rows], dtype=np.float32)
    y = np.array([r[1] for r in rows], dtype=np.int64)
    return x, y, names


def iris_reference(seeds):
    x, y, names = load_iris_csv()
    split = json.loads((BENCH / "data" / "iris_split.json").read_text())
    train, test = np.array(split["train"]), np.array(split["test"])
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    xs = (x - mean) / std
    per_seed = []
    for s in range(seeds):
        keras.utils.set_random_seed(s)
        model = keras.Sequential([
            keras.Input(shape=(4,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(xs[train], keras.utils.to_categorical(y[train], 3), epochs=100,
                            batch_size=8, verbose=0)
        p = model.predict(xs[test], verbose=0)
        acc = float(np.mean(np.argmax(p, axis=1) == y[test]))
        per_seed.append({"seed": s, "test_accuracy": acc,
                         "train_accuracy": float(history.history["accuracy"][-1]),
                         "train_loss": float(history.history["loss"][-1])})
        print(f"iris seed {s}: held-out accuracy {acc:.4f}", file=sys.stderr, flush=True)
    return {"per_seed": per_seed,
            "test_accuracy": summary([r["test_accuracy"] for r in per_seed]),
            "standardization": {"mean": mean.tolist(), "std_ddof0": std.tolist()},
            "classes": names, "split_rule": split["rule"], "test_rows": len(test)}


def markdown(doc):
    lines = [f"# Keras accuracy references (Keras {doc['versions']['keras']}, TensorFlow "
             f"{doc['versions']['tensorflow']}, CPU, one thread)", ""]
    if "seed" in doc:
        seed = doc["seed"]
        lines += ["## Seed tutorial: 3-4-2, RMSprop, batch 8, 1,000 training samples", "",
                  f"Accuracy on 100,000 fresh samples per seed, {doc['seeds']} seeds "
                  "(mean ± std, ddof=1); the Bayes rule scores "
                  f"{seed['bayes_accuracy']['mean']:.4f} on the same points.", "",
                  "| epochs | test accuracy | min–max | P(female \\| [0,0,0]) | female for [0,0,0] |",
                  "|---:|---|---|---|---|"]
        for e in CHECKPOINTS:
            r = seed[f"epochs_{e}"]
            a, p = r["test_accuracy"], r["p_female_000"]
            lines.append(f"| {e} | {a['mean']:.4f} ± {a['std_ddof1']:.4f} | {a['min']:.4f}–"
                         f"{a['max']:.4f} | {p['min']:.3f}–{p['max']:.3f} (mean "
                         f"{p['mean']:.3f}) | {'every seed' if r['female_for_000_in_all_seeds'] else 'not every seed'} |")
        lines.append("")
    if "iris" in doc:
        a = doc["iris"]["test_accuracy"]
        lines += ["## Iris: 4-16-8-3 relu/relu/softmax, Adam, batch 8, 100 epochs", "",
                  f"Held-out accuracy on the 30 test rows of `bench/data/iris_split.json` "
                  f"({doc['iris']['split_rule']}), standardization fitted on the training rows: "
                  f"**{a['mean']:.4f} ± {a['std_ddof1']:.4f}** over {doc['seeds']} seeds "
                  f"(min {a['min']:.4f}, max {a['max']:.4f}).", "",
                  "Per seed: " + ", ".join(f"{r['test_accuracy']:.4f}"
                                           for r in doc["iris"]["per_seed"]), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--only", default="seed,iris")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "keras_accuracy.json")
    args = parser.parse_args()
    only = args.only.split(",")
    t0 = time.perf_counter()
    doc = {"seeds": args.seeds, "versions": {"keras": keras.__version__,
                                             "tensorflow": tf.__version__}}
    if "seed" in only:
        doc["seed"] = seed_reference(args.seeds)
    if "iris" in only:
        doc["iris"] = iris_reference(args.seeds)
    doc["elapsed_s"] = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    md = markdown(doc)
    args.out.with_suffix(".md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
