"""What every peer script shares: thread pinning, the seed data generator, JSON output.

Import this module before TensorFlow or PyTorch: the thread-count variables must be in the
environment before those libraries start their thread pools.
"""

import json
import os
import sys

# One thread everywhere: the product is compared at equal thread count, and a second thread
# on a shared 2-core machine makes the peers' figures swing (see bench/README.md).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

# The seed tutorial's data: weight, height and age are N(0, 1); the first half are men
# (class 1), heavier and taller by one standard deviation and younger by one.
MALE_SHIFT = np.array([1.0, 1.0, -1.0])


def seed_data(n, seed):
    """The tutorial's distribution with n samples (float32 x of shape (n, 3), int labels).

    The first n // 2 rows are class 1 (male), as in the tutorial's script; `fit` shuffles.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    labels = np.zeros(n, dtype=np.int64)
    half = n // 2
    labels[:half] = 1
    x[:half] += MALE_SHIFT
    return x.astype(np.float32), labels


def one_hot(labels, classes):
    """Like keras.utils.to_categorical: float32 one-hot rows."""
    out = np.zeros((labels.shape[0], classes), dtype=np.float32)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def bayes_accuracy(x, labels):
    """Accuracy of the Bayes rule on these points: male when w + h - a > 1.5.

    The two classes are unit-variance Gaussians with equal priors whose means differ by
    (1, 1, -1), so the optimal boundary is the perpendicular bisector of the two means.
    """
    score = x[:, 0].astype(np.float64) + x[:, 1] - x[:, 2]
    return float(np.mean((score > 1.5).astype(np.int64) == labels))


def emit(result):
    """Print the one JSON object a peer script reports, on stdout."""
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


def median_seconds(samples):
    """Median of a list of per-call durations, in seconds."""
    return float(np.median(np.asarray(samples)))
