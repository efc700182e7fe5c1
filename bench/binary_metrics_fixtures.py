"""Two-class models and scikit-learn's scores of them, for cli/tests/binary_metrics.rs.

Writes cli/tests/fixtures/binary/:
- data.csv: 240 rows of two features, rounded to one decimal so that rows repeat (their scores
  tie, which is where ROC AUC implementations differ), labels `ok` and `worn` (`worn` second);
- sigmoid.postcard and softmax.postcard: the two ways a two-class model ends, one sigmoid output
  (binary cross-entropy) and a softmax over two, trained on data.csv by `dendrite train`;
- expected.json: for each model, scikit-learn's precision_score and recall_score of the positive
  class (`worn`, the second label) and roc_auc_score of its score (the sigmoid's output, the
  softmax's second probability), from the outputs `dendrite predict --data --json` gives.

Run with the bench env: `python bench/binary_metrics_fixtures.py` (it builds and runs `dendrite`
with cargo; the environment variable DENDRITE names a `dendrite` executable to use instead).
"""

import json
import os
import pathlib
import subprocess
import tempfile

import numpy as np
from sklearn.metrics import precision_score, recall_score, roc_auc_score

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "cli/tests/fixtures/binary"
# Dendrite orders class names alphabetically: `worn` is the second class, the positive one.
LABELS = ["ok", "worn"]
assert sorted(LABELS) == LABELS

SPEC = """
[data]
path = "{data}"
label = "state"

[[layers]]
units = 4
activation = "relu"

[[layers]]
units = {units}
activation = "{activation}"

[compile]
optimizer = {{ name = "adam", learning_rate = 0.01 }}
loss = "{loss}"

[fit]
epochs = 30
batch_size = 16
seed = 3
"""

MODELS = {
    "sigmoid": {"units": 1, "activation": "sigmoid", "loss": "binary_crossentropy"},
    "softmax": {"units": 2, "activation": "softmax", "loss": "categorical_crossentropy"},
}


def dendrite(*args):
    command = os.environ.get("DENDRITE")
    prefix = [command] if command else ["cargo", "run", "--quiet", "--release", "-p",
                                        "dendrite-cli", "--"]
    return subprocess.run(
        [*prefix, *args], cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout


def main():
    rng = np.random.default_rng(11)
    n = 240
    y = rng.integers(0, 2, size=n)
    # Overlapping classes: a model cannot separate them, so the scores interleave.
    x = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 0.8, -0.2)
    x = np.round(x, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / "data.csv"
    with open(data, "w") as f:
        f.write("vibration,temperature,state\n")
        for row, label in zip(x, y):
            f.write(f"{row[0]:.1f},{row[1]:.1f},{LABELS[label]}\n")
    expected = {"positive": LABELS[1]}
    for name, layer in MODELS.items():
        model = OUT / f"{name}.postcard"
        with tempfile.TemporaryDirectory() as tmp:
            spec = pathlib.Path(tmp) / "spec.toml"
            spec.write_text(SPEC.format(data=data, **layer))
            dendrite("train", "--spec", str(spec), "--out", str(model), "--verbose", "0")
        rows = json.loads(dendrite("predict", "--model", str(model), "--data", str(data),
                                   "--label", "state", "--json"))
        outputs = np.array([r["outputs"] for r in rows], dtype=np.float32)
        score = outputs[:, 0] if layer["units"] == 1 else outputs[:, 1]
        predicted = np.array([r["class"] for r in rows])
        ties = len(score) - len(np.unique(score))
        expected[name] = {
            "precision": precision_score(y, predicted, pos_label=1),
            "recall": recall_score(y, predicted, pos_label=1),
            "roc_auc": roc_auc_score(y, score.astype(np.float64)),
            "tied_scores": ties,
        }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(json.dumps(expected, indent=2))


if __name__ == "__main__":
    main()
