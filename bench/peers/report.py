#!/usr/bin/env python3
"""Turn a run.py JSON document into a short markdown table.

    python bench/peers/report.py bench/results/peers.json > bench/results/peers.md
"""

import json
import sys


def fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_rate(r):
    return f"{r / 1e3:,.1f} k/s" if r < 1e6 else f"{r / 1e6:,.2f} M/s"


def peer_rows(doc):
    p = doc["peers"]
    rows = []

    def cell(label, fw, key, fmt):
        try:
            entry = p[label][fw]
            m = entry["median"][key]
        except KeyError:
            return "–"
        text = fmt(m)
        spread = entry["spread"].get(key)
        if spread:
            text += f" (±{spread * 50:.0f} %"
            if key in entry.get("best", {}):
                text += f"; best {fmt(entry['best'][key])}"
            text += ")"
        loads = [r["loadavg_1min_before"] for r in entry["runs"]
                 if r.get("loadavg_1min_before") is not None]
        if loads and key in entry["spread"]:
            text += f" [load {min(loads):.1f}–{max(loads):.1f}]"
        return text

    w1 = "W1 tutorial fit"
    rows.append(("W1 `fit`, 10 epochs, batch 8", cell(w1, "keras", "fit_s", fmt_time),
                 cell(w1, "torch", "fit_s", fmt_time)))
    rows.append(("W1 whole process (timed outside)",
                 cell(w1, "keras", "process_wall_s", fmt_time),
                 cell(w1, "torch", "process_wall_s", fmt_time)))
    rows.append(("W1 of which imports", cell(w1, "keras", "import_s", fmt_time),
                 cell(w1, "torch", "import_s", fmt_time)))
    for label in ("W2 3-64-64-2 batch 256", "W2 3-4-2 batch 256", "W2 3-4-2 batch 8"):
        rows.append((label + " (samples/s)", cell(label, "keras", "samples_per_s", fmt_rate),
                     cell(label, "torch", "samples_per_s", fmt_rate)))
    w3 = "W3 inference"
    rows.append(("W3 one sample, `model(x)` / module call",
                 cell(w3, "keras", "one_call_tensor.median_s", fmt_time),
                 cell(w3, "torch", "one_call.median_s", fmt_time)))
    rows.append(("W3 one sample, `model(x)` with a NumPy row",
                 cell(w3, "keras", "one_call_numpy.median_s", fmt_time), "–"))
    rows.append(("W3 one sample, `predict`", cell(w3, "keras", "one_predict.median_s", fmt_time),
                 "–"))
    rows.append(("W3 100,000 rows, `predict` (default batch 32)",
                 cell(w3, "keras", "batch_predict_default.samples_per_s", fmt_rate), "–"))
    rows.append(("W3 100,000 rows, `predict(batch_size=100000)`",
                 cell(w3, "keras", "batch_predict_batch_100000.samples_per_s", fmt_rate), "–"))
    rows.append(("W3 100,000 rows, one call",
                 cell(w3, "keras", "batch_call_tensor.samples_per_s", fmt_rate),
                 cell(w3, "torch", "batch_call.samples_per_s", fmt_rate)))
    return rows


def device_rows(dev):
    rows = []
    for model, entry in dev["models"].items():
        for peer, runs in entry["peers"].items():
            for f in runs:
                b = f["keras_bits"]
                fma = f.get("instruction_mix", {}).get("by_class", {}).get("fp multiply-add")
                rows.append((model, peer, f["opt"], f"{f['instructions_per_inference']:,.0f}",
                             f"{f['cycles_estimate']:,.0f}" if "cycles_estimate" in f else "–",
                             f"{fma:,.0f}" if fma is not None else "–",
                             f"{f['flash_bytes']:,}", f"{f['static_ram_bytes']:,}",
                             f"{f['stack_bytes']:,}", f"{b['equal_bits']} of {b['of']} "
                             f"(max {b['max_ulp']} ulp)"))
    return rows


def main():
    doc = json.load(open(sys.argv[1]))
    v = doc.get("versions", {})
    out = ["# Peer benchmarks", "",
           f"Machine: {doc['machine']['cpu']}, {doc['machine']['logical_cpus']} logical CPUs; "
           f"one thread per framework; medians of {doc['reps']} fresh processes each "
           f"(± half the min–max spread); 1-minute load average {doc.get('loadavg_1min_start')} "
           f"at start, {doc.get('loadavg_1min_end')} at end; started {doc.get('started')}.", ""]
    if doc.get("peers"):
        out += [f"Keras {v.get('keras', {}).get('keras', '?')} / TensorFlow "
                f"{v.get('keras', {}).get('tensorflow', '?')}, PyTorch "
                f"{v.get('torch', {}).get('torch', '?')}, NumPy {v.get('keras', {}).get('numpy', '?')}.",
                "", "| workload | Keras 3 | PyTorch |", "|---|---:|---:|"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in peer_rows(doc)]
        out.append("")
    if "device" in doc:
        dev = doc["device"]
        out += ["## W4: device peers, Cortex-M4F (QEMU mps2-an386, -icount shift=0)", "",
                dev["harness"] + ".", "",
                f"{dev['versions']['arm-none-eabi-gcc']}; {dev['versions']['qemu']}; emlearn "
                f"{dev['versions']['emlearn']}. Skipped: " +
                "; ".join(f"{k}: {r}" for k, r in dev.get("skipped", {}).items()) + ".", "",
                "| model | peer | opt | instructions / inference | est. cycles (M4) "
                "| of which VFMA | flash (B) | static RAM (B) | stack (B) "
                "| outputs equal to Keras' bits |",
                "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
        out += ["| " + " | ".join(r) + " |" for r in device_rows(dev)]
        out += ["", "Estimated cycles: the instruction mix of an execution trace priced with the "
                "Cortex-M4 TRM's timings (bench/device/mix.py); the traced instruction counts "
                "equal the timer's to within one instruction.", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
