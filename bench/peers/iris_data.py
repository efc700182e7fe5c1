"""Write bench/data/iris.csv (from scikit-learn's bundled copy) and the fixed train/test split.

    bench/.venv/bin/python bench/peers/iris_data.py

The split rule, so any implementation can reproduce or simply read it:
    perm = numpy.random.default_rng(42).permutation(150)
    train = perm[:120], test = perm[120:]
Indices are 0-based data rows of iris.csv (the header line is not counted). Both lists are
written to bench/data/iris_split.json in that order.
"""

import csv
import json
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

DATA = Path(__file__).resolve().parent.parent / "data"
SPLIT_SEED = 42
TEST_FRACTION = 0.2
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def split_indices(n, seed=SPLIT_SEED, test_fraction=TEST_FRACTION):
    """Rows permuted by numpy's PCG64 generator seeded with `seed`; the last 20% held out."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return perm[:n - n_test].tolist(), perm[n - n_test:].tolist()


def load():
    """Features (150, 4) float32, integer labels, class names, as written to the CSV."""
    iris = load_iris()
    return iris.data.astype(np.float32), iris.target.astype(np.int64), list(iris.target_names)


def main():
    x, y, names = load()
    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / "iris.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row, label in zip(x, y):
            writer.writerow([f"{v:.1f}" for v in row] + [names[label]])
    train, test = split_indices(len(y))
    split = {
        "rule": "perm = numpy.random.default_rng(42).permutation(150); "
                "train = perm[:120]; test = perm[120:]",
        "indices": "0-based data rows of iris.csv, header excluded",
        "seed": SPLIT_SEED, "rows": len(y), "train": train, "test": test,
        "test_class_counts": {names[c]: int(np.sum(y[test] == c)) for c in range(3)},
    }
    (DATA / "iris_split.json").write_text(json.dumps(split, indent=1) + "\n")
    print(f"wrote {DATA / 'iris.csv'} ({len(y)} rows) and iris_split.json "
          f"(train {len(train)}, test {len(test)}: {split['test_class_counts']})")


if __name__ == "__main__":
    main()
