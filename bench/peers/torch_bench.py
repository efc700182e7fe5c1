"""The benchmark workloads in PyTorch (CPU, one thread), with Keras' semantics.

    python torch_bench.py w1 [--seed S]
    python torch_bench.py w2 --net 3-64-64-2 --batch 256 [--samples N]
    python torch_bench.py w3

Same data, network, initialisation (N(0, 0.05) weights, zero biases), loss (softmax
cross-entropy, mean over the batch), optimizer (Keras 3's RMSprop rule, epsilon inside the
square root) and per-epoch shuffling as the Keras script. The training loop is the idiomatic
fast one: tensors indexed by a shuffled permutation (no per-sample DataLoader collation).
Prints one JSON object on stdout; per-epoch lines go to stderr.
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import sys  # noqa: E402

import common  # noqa: E402  (sets the thread variables before PyTorch loads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

T_IMPORTED = time.perf_counter()


def versions():
    return {"framework": "torch", "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


class KerasRMSprop(torch.optim.Optimizer):
    """RMSprop with Keras 3's rule and defaults (lr 1e-3, rho 0.9, eps 1e-7, v starts at 0).

    v = rho * v + (1 - rho) * g^2;  w -= lr * g / sqrt(v + eps).
    torch.optim.RMSprop puts eps outside the root (sqrt(v) + eps), which changes early steps.
    """

    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-7):
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["v"] = torch.zeros_like(p)
                v = state["v"]
                v.mul_(rho).addcmul_(p.grad, p.grad, value=1.0 - rho)
                p.addcdiv_(p.grad, v.add(eps).sqrt_(), value=-lr)


def mlp(widths):
    """relu/softmax MLP; the softmax is folded into the loss (logits out), as Keras does."""
    layers = []
    for i in range(len(widths) - 1):
        linear = nn.Linear(widths[i], widths[i + 1])
        nn.init.normal_(linear.weight, mean=0.0, std=0.05)  # Keras 'random_normal'
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def compile_optimizer(model):
    """The optimizer, made before the timed fit like Keras' compile(). (Making the first
    torch.optim optimizer in a process imports torch._dynamo, about a second: that counts in
    the whole-process time, not in fit.)"""
    return KerasRMSprop(model.parameters())


def fit(model, opt, x, y, epochs, batch_size, verbose):
    """Keras-style fit: reshuffle each epoch, one step per batch, running loss and accuracy."""
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    history = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        perm = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum += loss * idx.shape[0]
                correct += (logits.argmax(dim=1) == yb).sum()
        history["loss"].append(float(loss_sum) / n)
        history["accuracy"].append(float(correct) / n)
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs} - accuracy: {history['accuracy'][-1]:.4f}"
                  f" - loss: {history['loss'][-1]:.4f}", file=sys.stderr)
    return history


def w1(args):
    """The tutorial: data, 3-4-2, fit 10 epochs of batch 8, predict [0, 0, 0]."""
    x, labels = common.seed_data(1000, args.seed)
    torch.manual_seed(args.seed)
    model = mlp([3, 4, 2])
    opt = compile_optimizer(model)
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    t0 = time.perf_counter()
    history = fit(model, opt, xt, yt, 10, 8, verbose=True)
    fit_s = time.perf_counter() - t0
    with torch.no_grad():
        probability = torch.softmax(model(torch.zeros(1, 3)), dim=1)
    return {"workload": "W1", "fit_s": fit_s, "steps": 10 * 125, **history,
            "p_female_000": float(probability[0, 0]),
            "script_s": time.perf_counter() - T_START, "import_s": T_IMPORTED - T_START}


def w2(args):
    """One epoch over `samples` seed-distribution rows; samples per second inside fit."""
    widths = [int(w) for w in args.net.split("-")]
    x, labels = common.seed_data(args.samples, args.seed)
    torch.manual_seed(args.seed)
    model = mlp(widths)
    opt = compile_optimizer(model)
    t0 = time.perf_counter()
    history = fit(model, opt, torch.from_numpy(x), torch.from_numpy(labels), 1, args.batch,
                  False)
    fit_s = time.perf_counter() - t0
    return {"workload": "W2", "net": args.net, "batch": args.batch, "samples": args.samples,
            "fit_s": fit_s, "samples_per_s": args.samples / fit_s,
            "loss": history["loss"][-1], "accuracy": history["accuracy"][-1]}


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
    """Inference with 3-4-2 + softmax under no_grad: one sample, and 100,000 at once."""
    torch.manual_seed(args.seed)
    model = nn.Sequential(mlp([3, 4, 2]), nn.Softmax(dim=1)).eval()
    one = torch.tensor([[0.3, -0.2, 0.1]])
    big, _ = common.seed_data(100_000, args.seed + 1)
    big = torch.from_numpy(big)

    def call_one():
        with torch.no_grad():
            return model(one)

    def call_big():
        with torch.no_grad():
            return model(big)

    out = {"workload": "W3", "one_call": time_calls(call_one, 1.0, 200_000),
           "batch_call": time_calls(call_big, 2.0, 500)}
    out["batch_call"]["samples_per_s"] = 100_000 / out["batch_call"]["median_s"]
    out["batch_best_samples_per_s"] = out["batch_call"]["samples_per_s"]
    out["one_best_median_s"] = out["one_call"]["median_s"]
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
    result["threads"] = torch.get_num_threads()
    common.emit(result)


if __name__ == "__main__":
    main()
