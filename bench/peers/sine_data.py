"""Writes the sine example's data: y = sin(x) for x uniform in [0, 2π), 1,000 training rows and
1,000 held-out rows, from a fixed seed (examples/data/sine_train.csv, sine_test.csv), and the
anomaly example's sensor table (examples/data/vibration_train.csv, vibration_test.csv)."""
import csv
import math
import os
import random

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data")


def write(name, header, rows):
    with open(os.path.join(ROOT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def sine(rng, n):
    rows = []
    for _ in range(n):
        x = rng.uniform(0.0, 2.0 * math.pi)
        rows.append([f"{x:.6f}", f"{math.sin(x):.6f}"])
    return rows


def vibration(rng, n, anomalous_share):
    """A machine's vibration spectrum in 8 bands: normal rows follow one of two operating
    modes with a little noise; anomalous rows have energy where normal ones have none."""
    rows = []
    for _ in range(n):
        mode = rng.random() < 0.5
        base = [1.0, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02] if mode else [0.3, 0.6, 1.0, 0.6, 0.3, 0.1, 0.05, 0.02]
        load = rng.uniform(0.8, 1.2)
        bands = [b * load + rng.gauss(0.0, 0.03) for b in base]
        anomalous = rng.random() < anomalous_share
        if anomalous:
            k = rng.randrange(4, 8)
            bands[k] += rng.uniform(0.4, 0.8)
        rows.append([f"{v:.5f}" for v in bands] + [int(anomalous)])
    return rows


if __name__ == "__main__":
    rng = random.Random(2026)
    write("sine_train.csv", ["x", "y"], sine(rng, 1000))
    write("sine_test.csv", ["x", "y"], sine(rng, 1000))
    header = [f"band{i}" for i in range(8)] + ["anomaly"]
    write("vibration_train.csv", header, vibration(rng, 2000, 0.0))
    write("vibration_test.csv", header, vibration(rng, 1000, 0.1))
