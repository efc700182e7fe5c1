#!/usr/bin/env python3
"""Run the peer benchmarks in fresh processes, several times, and report medians.

    bench/.venv/bin/python bench/peers/run.py [--reps 3] [--only W1,W2,W3,W4] [--json]

Every run is its own process (one at a time, never two at once), frameworks alternate within
a repetition, and the whole process is timed from outside (W1's "whole process" figure). With
--json a single JSON document goes to stdout and progress to stderr. W4 (the device peers) is
deterministic and runs once, through bench/device/run.py.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent

# (label, workload, extra arguments); W2's samples are added from --w2-samples.
JOBS = {
    "W1": [("W1 tutorial fit", "w1", [])],
    "W2": [("W2 3-64-64-2 batch 256", "w2", ["--net", "3-64-64-2", "--batch", "256"]),
           ("W2 3-4-2 batch 256", "w2", ["--net", "3-4-2", "--batch", "256"]),
           ("W2 3-4-2 batch 8", "w2", ["--net", "3-4-2", "--batch", "8"])],
    "W3": [("W3 inference", "w3", [])],
}
SCRIPTS = {"keras": HERE / "keras_bench.py", "torch": HERE / "torch_bench.py"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def machine():
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version()}


def loadavg():
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def wait_for_quiet(max_load, max_wait_s):
    """Wait until the 1-minute load average is below max_load, for at most max_wait_s."""
    waited = 0.0
    while max_load is not None and waited < max_wait_s and (loadavg() or 0.0) >= max_load:
        time.sleep(5)
        waited += 5
    return waited


def run_once(python, framework, workload, extra, max_load=None, max_wait_s=0):
    """One fresh process; its JSON result plus the wall time measured from outside."""
    cmd = [python, str(SCRIPTS[framework]), workload, *extra]
    waited = wait_for_quiet(max_load, max_wait_s)
    load = loadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["loadavg_1min_before"] = load
    result["waited_for_quiet_s"] = waited
    return result


def flatten(d, prefix=""):
    """Numeric leaves of a nested dict, keyed by dotted path."""
    out = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out


def medians(runs):
    flat = [flatten(r) for r in runs]
    keys = [k for k in flat[0] if all(k in f for f in flat)]
    return {k: statistics.median(f[k] for f in flat) for k in keys}


def spread(runs, key):
    values = [flatten(r)[key] for r in runs]
    lo, hi = min(values), max(values)
    return (hi - lo) / statistics.median(values) if statistics.median(values) else 0.0


def best(runs, key):
    """The most favourable run (least time, most throughput): least disturbed by other load."""
    values = [flatten(r)[key] for r in runs]
    return max(values) if key.endswith("per_s") else min(values)


HEADLINE = {"w1": ["fit_s", "process_wall_s"], "w2": ["samples_per_s"],
            "w3": ["one_best_median_s", "batch_best_samples_per_s"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="fresh processes per measurement")
    parser.add_argument("--only", default="W1,W2,W3,W4", help="comma-separated workloads")
    parser.add_argument("--frameworks", default="keras,torch")
    parser.add_argument("--w2-samples", type=int, default=1_000_000)
    parser.add_argument("--python", default=sys.executable, help="interpreter with the peers")
    parser.add_argument("--max-load", type=float, default=None,
                        help="before each run, wait until the 1-minute load average is below")
    parser.add_argument("--max-wait", type=float, default=60.0,
                        help="seconds to wait for --max-load at most, then run anyway")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--out", type=Path, help="also write the JSON document here")
    args = parser.parse_args()

    only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    doc = {"machine": machine(), "reps": args.reps, "loadavg_1min_start": loadavg(),
           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "peers": {}, "versions": {}}
    jobs = [job for w in only if w in JOBS for job in JOBS[w]]
    runs = {(label, fw): [] for label, _, _ in jobs for fw in frameworks}
    for rep in range(args.reps):
        # Alternate which framework goes first, so neither always runs on a warmer machine.
        order = frameworks if rep % 2 == 0 else frameworks[::-1]
        for label, workload, extra in jobs:
            if workload == "w2":
                extra = [*extra, "--samples", str(args.w2_samples)]
            for fw in order:
                log(f"[rep {rep + 1}/{args.reps}] {label} · {fw}")
                result = run_once(args.python, fw, workload, extra, args.max_load,
                                  args.max_wait)
                runs[(label, fw)].append(result)
                heads = ", ".join(f"{k}={flatten(result).get(k, float('nan')):.6g}"
                                  for k in HEADLINE[workload] + ["process_wall_s"])
                log(f"    {heads}")
    for (label, fw), results in runs.items():
        if not results:
            continue
        workload = results[0]["workload"].lower()
        entry = doc["peers"].setdefault(label, {})
        entry[fw] = {"median": medians(results),
                     "spread": {k: spread(results, k) for k in HEADLINE[workload]},
                     "best": {k: best(results, k) for k in HEADLINE[workload]},
                     "runs": results}
        doc["versions"][fw] = {k: v for k, v in results[0].items()
                               if k in ("keras", "tensorflow", "torch", "numpy", "python")}
    if "W4" in only:
        log("W4 device peers (bench/device/run.py)")
        proc = subprocess.run([args.python, str(BENCH / "device" / "run.py"), "--json"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"bench/device/run.py failed:\n{proc.stderr[-3000:]}")
        doc["device"] = json.loads(proc.stdout)
    doc["loadavg_1min_end"] = loadavg()
    text = json.dumps(doc, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text + "\n")
    if args.json:
        print(text)
    else:
        for label, entry in doc["peers"].items():
            for fw, figures in entry.items():
                heads = ", ".join(f"{k}={figures['median'][k]:.6g}"
                                  for k in figures["spread"])
                print(f"{label:28} {fw:6} {heads}")
        if "device" in doc:
            print(json.dumps(doc["device"].get("summary", {}), indent=1))


if __name__ == "__main__":
    main()
