"""Write examples/data/digits_train.csv and digits_test.csv from scikit-learn's bundled digits.

    bench/.venv/bin/python bench/peers/digits_data.py

The 1797 8x8 images (pixel intensities 0-16, columns p0..p63, row by row) and their digit
(column `digit`). Split rule: perm = numpy.random.default_rng(42).permutation(1797); the first
80 % of the permutation for training, the rest held out, each in permutation order.
"""

import csv
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

DATA = Path(__file__).resolve().parent.parent.parent / "examples" / "data"


def main():
    digits = load_digits()
    x, y = digits.data.astype(np.int64), digits.target.astype(np.int64)
    perm = np.random.default_rng(42).permutation(len(y))
    n_test = int(round(len(y) * 0.2))
    header = [f"p{i}" for i in range(64)] + ["digit"]
    for name, rows in (("digits_train.csv", perm[:-n_test]), ("digits_test.csv", perm[-n_test:])):
        with open(DATA / name, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for i in rows:
                w.writerow(list(x[i]) + [y[i]])


if __name__ == "__main__":
    main()
