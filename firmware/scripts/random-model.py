#!/usr/bin/env python3
"""Writes a model file (dendrite-core's format) of any dense architecture with random weights.

    firmware/scripts/random-model.py 16-32-32-4 relu/relu/softmax OUT.postcard [SEED]

For measuring the firmware on architectures `dendrite train` does not build (the 16-32-32-4
benchmark network): cost and size depend on the shapes, not on the values. Weights are Glorot
uniform, the standardization random, from a seeded generator, so the file is the same each run.
Standard library only; the layout is documented in shared/src/format/mod.rs.
"""
import random
import struct
import sys
import zlib

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax"]  # wire order


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def floats(values):
    raw = b"".join(struct.pack("<f", v) for v in values)
    return varint(len(raw)) + raw


def text(s):
    raw = s.encode()
    return varint(len(raw)) + raw


def model(widths, activations, rng):
    body = b"DNDR" + varint(1) + varint(widths[0])
    body += varint(len(activations))
    for i, (units, act) in enumerate(zip(widths[1:], activations)):
        body += varint(units) + varint(ACTIVATIONS.index(act)) + text(f"Dense{i + 1}")
    body += text("")
    body += floats([rng.uniform(-1, 1) for _ in range(widths[0])])
    body += floats([rng.uniform(0.5, 2) for _ in range(widths[0])])
    body += varint(len(activations))
    for fan_in, units in zip(widths, widths[1:]):
        limit = (6 / (fan_in + units)) ** 0.5
        body += floats([rng.uniform(-limit, limit) for _ in range(units * fan_in)])
        body += floats([rng.uniform(-0.1, 0.1) for _ in range(units)])
    return body + struct.pack("<I", zlib.crc32(body))


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: firmware/scripts/random-model.py 16-32-32-4 relu/relu/softmax OUT [SEED]")
    widths = [int(w) for w in sys.argv[1].split("-")]
    activations = sys.argv[2].split("/")
    if len(activations) != len(widths) - 1 or any(a not in ACTIVATIONS for a in activations):
        sys.exit(f"error: {sys.argv[2]}: need {len(widths) - 1} of {'/'.join(ACTIVATIONS)}")
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) == 5 else 1)
    with open(sys.argv[3], "wb") as f:
        f.write(model(widths, activations, rng))


if __name__ == "__main__":
    main()
