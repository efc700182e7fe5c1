"""The benchmark workloads in Keras 3 (TensorFlow backend, CPU, one thread).

    python keras_bench.py w1 [--seed S]
    python keras_bench.py w2 --net 3-64-64-2 --batch 256 [--samples N]
    python keras_bench.py w3

Prints one JSON object on stdout; Keras' own progress output goes to stderr. The driver
(run.py) times the whole process from outside.
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import sys  # noqa: E402

import common  # noqa: E402  (sets the thread variables before TensorFlow loads)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402
from keras import Sequential  # noqa: E402
from keras.layers import Activation, Dense  # noqa: E402

T_IMPORTED = time.perf_counter()


def versions():
    return {"framework": "keras", "keras": keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__, "python": sys.version.split()[0]}


def tutorial_model():
    """The seed tutorial's network, written as the tutorial writes it."""
    model = Sequential()
    model.add(Dense(4, input_dim=3, kernel_initializer="random_normal", name="Dense1"))
    model.add(Activation("relu", name="hidden"))
    model.add(Dense(2, input_dim=4, kernel_initializer="random_normal", name="Dense2"))
    model.add(Activation("softmax", name="output"))
    return model


def mlp(widths):
    """A relu/softmax MLP `widths[0]-...-widths[-1]`, random_normal weights like the tutorial."""
    layers = [keras.Input(shape=(widths[0],))]
    for units in widths[1:-1]:
        layers.append(Dense(units, kernel_initializer="random_normal", activation="relu"))
    layers.append(Dense(widths[-1], kernel_initializer="random_normal", activation="softmax"))
    return Sequential(layers)


def w1(args):
    """The tutorial script: data, model, compile, fit 10 epochs of batch 8, predict [0,0,0]."""
    x, labels = common.seed_data(1000, args.seed)
    y = keras.utils.to_categorical(labels, num_classes=2)
    keras.utils.set_random_seed(args.seed)
    model = tutorial_model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    # verbose is left at Keras' default, as in the tutorial; the progress lines go to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        t0 = time.perf_counter()
        history = model.fit(x, y, epochs=10, batch_size=8)
        fit_s = time.perf_counter() - t0
        probability = model.predict(np.array([[0.0, 0.0, 0.0]]))
    return {"workload": "W1", "fit_s": fit_s, "steps": 10 * 125,
            "loss": [float(v) for v in history.history["loss"]],
            "accuracy": [float(v) for v in history.history["accuracy"]],
            "p_female_000": float(probability[0, 0]),
            "script_s": time.perf_counter() - T_START, "import_s": T_IMPORTED - T_START}


def w2(args):
    """One epoch over `samples` seed-distribution rows; samples per second inside `fit`."""
    widths = [int(w) for w in args.net.split("-")]
    x, labels = common.seed_data(args.samples, args.seed)
    y = keras.utils.to_categorical(labels, num_classes=2)
    keras.utils.set_random_seed(args.seed)
    model = mlp(widths)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    # verbose=0: the fastest Keras fit can go (no progress bar bookkeeping per step).
    t0 = time.perf_counter()
    history = model.fit(x, y, epochs=1, batch_size=args.batch, verbose=0)
    fit_s = time.perf_counter() - t0
    return {"workload": "W2", "net": args.net, "batch": args.batch, "samples": args.samples,
            "fit_s": fit_s, "samples_per_s": args.samples / fit_s,
            "loss": float(history.history["loss"][-1]),
            "accuracy": float(history.history["accuracy"][-1])}


def time_calls(fn, min_total_s, max_calls):
    """Per-call durations of fn() after three warm-up calls, for at least min_total_s."""
    for _ in range(3):
        fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < max_calls and (time.perf_counter() - start < min_total_s
                                        or len(samples) < 5):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return {"median_s": common.median_seconds(samples), "mean_s": float(np.mean(samples)),
            "calls": len(samples)}


def w3(args):
    """Inference with the tutorial's 3-4-2 network: one sample at a time, and 100,000 at once."""
    keras.utils.set_random_seed(args.seed)
    model = tutorial_model()
    one = np.array([[0.3, -0.2, 0.1]], dtype=np.float32)
    one_tensor = tf.constant(one)
    model(one_tensor)
    big, _ = common.seed_data(100_000, args.seed + 1)
    big_tensor = tf.constant(big)
    out = {"workload": "W3",
           "one_call_numpy": time_calls(lambda: model(one), 1.0, 20000),
           "one_call_tensor": time_calls(lambda: model(one_tensor), 1.0, 20000),
           "one_predict": time_calls(lambda: model.predict(one, verbose=0), 2.0, 200)}
    batch = {
        # predict with Keras' default batch_size (32), as a user would call it
        "predict_default": time_calls(lambda: model.predict(big, verbose=0), 2.0, 20),
        "predict_batch_100000": time_calls(
            lambda: model.predict(big, batch_size=100_000, verbose=0), 2.0, 50),
        "call_tensor": time_calls(lambda: model(big_tensor), 2.0, 200),
    }
    for name, timing in batch.items():
        timing["samples_per_s"] = 100_000 / timing["median_s"]
        out["batch_" + name] = timing
    out["batch_best_samples_per_s"] = max(t["samples_per_s"] for t in batch.values())
    out["one_best_median_s"] = min(out[k]["median_s"]
                                   for k in ("one_call_numpy", "one_call_tensor", "one_predict"))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["w1", "w2", "w3"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--net", default="3-64-64-2")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--samples", type=int, default=1_000_000)
    args = parser.parse_args()
    result = {"w1": w1, "w2": w2, "w3": w3}[args.workload](args)
    result.update(versions())
    result["threads"] = 1
    common.emit(result)


if __name__ == "__main__":
    main()
