"""Instruction mix and a Cortex-M4 cycle estimate from a QEMU execution trace.

The harness built with -DROUNDS=0 runs 21 inferences (one for the stack measurement, one per
test input) and nothing else of note. QEMU logs every translated block (`-d in_asm`) and every
block executed (`-d exec,nochain`); counting the instructions of executed blocks that lie in
the model's own functions gives the instructions per inference by mnemonic.

Cycles are an estimate from the Cortex-M4 Technical Reference Manual's timings (ARM DDI
0439B, tables 3-1 and 7-1), zero-wait-state memory, no pipelining of neighbouring loads:
ALU, multiply, VADD/VSUB/VMUL/VMOV/VCMP/VCVT 1; LDR/STR and VLDR/VSTR 2; LDM/STM/PUSH/POP and
VLDM/VSTM/VPUSH/VPOP 1 + registers; VFMA/VMLA family 3; VDIV/VSQRT 14; SDIV/UDIV 7 (2-12);
a taken branch (or a write to pc) 3 (1 + a pipeline refill of 2), an untaken one 1.
"""

import re
import subprocess

IN_RE = re.compile(r"^0x([0-9a-f]+):\s+((?:[0-9a-f]{4} ?)+)\s+(\S+)\s*(.*)$")
TRACE_RE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")


def parse_log(path):
    """[(block's instructions, next executed pc)] for every executed block, in order."""
    blocks, executed = {}, []
    current = None
    with open(path, errors="replace") as log:
        for line in log:
            m = IN_RE.match(line)
            if m:
                addr = int(m.group(1), 16)
                size = len(m.group(2).replace(" ", "")) // 2
                insn = (addr, size, m.group(3), m.group(4))
                if current is None:
                    current = addr
                    blocks[addr] = []
                blocks[current].append(insn)
                continue
            if line.startswith("IN:") or line.startswith("---"):
                current = None
                continue
            m = TRACE_RE.match(line)
            if m:
                current = None
                executed.append(int(m.group(1), 16))
    return blocks, executed


def register_count(operands):
    regs = operands[operands.find("{") + 1:operands.find("}")]
    n = 0
    for part in regs.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            n += int(b.strip()[1:]) - int(a.strip()[1:]) + 1
        elif part:
            n += 1
    return n


def cycles(mnemonic, operands, taken):
    m = mnemonic.split(".")[0].lower()
    base = m.rstrip("w")  # ldr.w etc. already split; "ldrw" never occurs
    writes_pc = "pc" in operands.split(",")[0] or ("pc}" in operands and m.startswith("pop"))
    if m.startswith(("vpush", "vpop", "vldm", "vstm")):
        n = register_count(operands)
        if "d" in operands[operands.find("{") + 1:operands.find("{") + 3]:
            n *= 2  # d registers are two single words each
        return 1 + n
    if m.startswith(("push", "pop", "ldm", "stm")):
        return 1 + register_count(operands) + (2 if writes_pc else 0)
    if m.startswith(("vfma", "vfms", "vfnm", "vmla", "vmls", "vnmla", "vnmls")):
        return 3
    if m.startswith(("vdiv", "vsqrt")):
        return 14
    if m.startswith(("vldr", "vstr", "ldr", "str")):
        return 2 + (2 if writes_pc and m.startswith("ldr") else 0)
    if m.startswith(("sdiv", "udiv")):
        return 7
    if base in ("b", "bl", "bx", "blx", "cbz", "cbnz") or re.fullmatch(r"b[a-z]{2}", m):
        return 3 if taken else 1
    return 1


def classify(mnemonic):
    m = mnemonic.split(".")[0].lower()
    if m.startswith(("vfma", "vfms", "vmla", "vmls", "vnml")):
        return "fp multiply-add"
    if m.startswith(("vldr", "vldm", "vpop")):
        return "fp load"
    if m.startswith(("vstr", "vstm", "vpush")):
        return "fp store"
    if m.startswith(("vdiv", "vsqrt")):
        return "fp divide/sqrt"
    if m.startswith("v"):
        return "fp other"
    if m.startswith(("ldr", "ldm", "pop")):
        return "load"
    if m.startswith(("str", "stm", "push")):
        return "store"
    if m in ("b", "bl", "bx", "blx", "cbz", "cbnz", "it", "ite", "itt", "itee", "itte") or \
            re.fullmatch(r"b[a-z]{2}", m) or m.startswith("it"):
        return "branch/it"
    return "integer"


def own_ranges(elf, stub_elf):
    """Address ranges of the functions the model brings (in elf, not in the empty harness)."""
    def funcs(path):
        out = subprocess.run(["arm-none-eabi-nm", "-S", str(path)], check=True,
                             capture_output=True, text=True).stdout
        found = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[2] in "Tt":
                found[parts[3]] = (int(parts[0], 16) & ~1, int(parts[1], 16))
        return found
    # The harness's own functions, whatever name GCC gives their clones (ticks.constprop.0).
    harness = set(funcs(stub_elf)) - {"model_infer"}
    harness_prefixes = ("ticks", "stack_use", "put", "semihost", "empty_infer", "main")
    return [(a, a + s) for name, (a, s) in funcs(elf).items()
            if s > 0 and name not in harness and not name.startswith(harness_prefixes)]


def mix(log_path, elf, stub_elf, inferences):
    """Instructions per inference by class, and estimated cycles per inference."""
    ranges = own_ranges(elf, stub_elf)

    def own(addr):
        return any(lo <= addr < hi for lo, hi in ranges)

    blocks, executed = parse_log(log_path)
    counts, total, cyc = {}, 0, 0
    for i, pc in enumerate(executed):
        block = blocks.get(pc, [])
        next_pc = executed[i + 1] if i + 1 < len(executed) else None
        for j, (addr, size, mnem, ops) in enumerate(block):
            if not own(addr):
                continue
            last = j == len(block) - 1
            taken = last and next_pc is not None and next_pc != addr + size
            total += 1
            cyc += cycles(mnem, ops, taken)
            cls = classify(mnem)
            counts[cls] = counts.get(cls, 0) + 1
    return {"instructions": total / inferences, "cycles_estimate": cyc / inferences,
            "by_class": {k: v / inferences for k, v in sorted(counts.items())}}
