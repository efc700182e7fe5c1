#!/usr/bin/env python3
"""Instruction mix, the instructions by function and a cycle estimate of the firmware's forward
pass on a Cortex-M4F (or a Cortex-M0), and its stack high-water mark.

    firmware/scripts/profile.py ELF MODEL [ITERATIONS [BATCH]] [--microbit | --an385]

Runs ELF under qemu-system-arm (mps2-an386, or microbit with --microbit: the Cortex-M0 image, or
mps2-an385 with --an385: the Cortex-M3 image, instructions only, no cycle model)
with MODEL in the weights region, one guest instruction per translation block (`-singlestep`,
the execution log turned on by QEMU's monitor once the firmware has booted), sends a batch of
BATCH predictions (default 8; fewer for a large network, whose every pass is half a million
traced instructions), one `Cost` request of ITERATIONS forward passes (default 20) and a `SelfCheck`, and
follows the trace from each entry into `dendrite_network::Model::forward_into` to its return (callees
included). The stack high-water mark is the firmware's own (painted stack) after those requests. QEMU counts instructions,
not cycles; the estimate weighs each executed instruction with the Cortex-M4 Technical Reference
Manual's timings (ARM DDI 0439, "Instruction set summary"; FPU: "FPU instruction set"):

- VDIV/VSQRT 14; VMLA/VMLS/VFMA and kin 3; other VFP data processing, VMOV, VMRS 1;
- VLDR/VSTR 2 (no pipelining credit); VLDM/VSTM/VPUSH/VPOP 1 + registers;
- LDR/STR 2, or 1 right after another load/store (the pipelining the TRM describes);
  LDM/STM/PUSH/POP 1 + registers; a POP or LDR into pc or BX +2 for the refill;
- a taken branch 3 (1 + a refill of 1 to 3: the worst case), an untaken one 1; everything else 1.

Zero-wait-state memory is assumed (QEMU's SSRAM; flash wait states on a real part add to it).
The Cortex-M0's estimate follows its Technical Reference Manual (ARM DDI 0432, "Instruction set
summary"): LDR/STR 2; LDM/STM/PUSH/POP 1 + registers, POP into pc 3 more; BL 4; BX/BLX 3; a
taken branch 3, an untaken one 1; MULS 1 (the single-cycle multiplier); everything else 1.
Standard library only; needs qemu-system-arm and arm-none-eabi-objdump/nm.
"""
import bisect
import collections
import re
import socket
import struct
import subprocess
import sys
import tempfile

FORWARD = "dendrite_network::Model::forward_into"


def disassemble(elf):
    """pc -> (mnemonic, operands, size) for every instruction; and the symbol table."""
    out = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", "-C", elf],
                         check=True, capture_output=True, text=True).stdout
    insns = {}
    line_re = re.compile(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$")
    prev = None
    for line in out.splitlines():
        m = line_re.match(line)
        if not m or m.group(2).startswith("."):
            continue
        pc = int(m.group(1), 16)
        insns[pc] = [m.group(2), m.group(3), 2]
        if prev is not None and pc - prev in (2, 4):
            insns[prev][2] = pc - prev
        prev = pc
    syms = subprocess.run(["arm-none-eabi-nm", "-C", "-S", elf], check=True,
                          capture_output=True, text=True).stdout
    start, size = next((int(l.split()[0], 16), int(l.split()[1], 16))
                       for l in syms.splitlines() if l.endswith(" " + FORWARD))
    return insns, (start & ~1, (start & ~1) + size)


def symbols(elf):
    """pc -> the name of the function that holds it."""
    out = subprocess.run(["arm-none-eabi-nm", "-C", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    table = sorted((int(f[0], 16) & ~1, f[3]) for f in
                   (line.split(maxsplit=3) for line in out.splitlines())
                   if len(f) == 4 and f[2] in "tTwW")
    starts = [start for start, _ in table]

    def name(pc):
        i = bisect.bisect_right(starts, pc) - 1
        return table[i][1] if i >= 0 else "?"
    return name


def registers(operands):
    """Number of registers in a {list}, ranges counted."""
    inner = operands[operands.find("{") + 1:operands.find("}")]
    n = 0
    for part in inner.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            n += int(b[1:]) - int(a[1:]) + 1
        elif part:
            n += 1
    return n


def cycles_m0(mn, ops, taken):
    base = mn.split(".")[0]
    if base in ("ldm", "ldmia", "stm", "stmia", "push", "pop"):
        return 1 + registers(ops) + (3 if "pc" in ops else 0)
    if base.startswith(("ldr", "str")):
        return 2
    if base == "bl":
        return 4
    if base in ("bx", "blx"):
        return 3
    if base.startswith("b") and not base.startswith("bic"):
        return 3 if taken else 1
    return 1


def cycles(mn, ops, taken, after_mem):
    base = mn.split(".")[0]  # vadd.f32 -> vadd, ldr.w -> ldr
    if base in ("vdiv", "vsqrt"):
        return 14
    if base in ("vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"):
        return 3
    if base in ("vldr", "vstr"):
        return 2
    if base in ("vldmia", "vldmdb", "vstmia", "vstmdb", "vpush", "vpop", "vldm", "vstm"):
        return 1 + registers(ops)
    if base.startswith("v"):
        return 1
    if base in ("ldm", "ldmia", "stm", "stmia", "stmdb", "push", "pop", "ldmdb"):
        return 1 + registers(ops) + (2 if "pc" in ops else 0)
    if base.startswith(("ldr", "str")):
        return (1 if after_mem else 2) + (2 if ops.startswith("pc") else 0)
    if base in ("bx", "blx"):
        return 3
    if base.startswith(("b", "cb")) and not base.startswith("bic") and not base.startswith("bfi"):
        return 3 if taken else 1
    if base in ("udiv", "sdiv"):
        return 12
    return 1


def cobs(message):
    """One COBS frame, terminator included."""
    out, block = bytearray(), bytearray()
    for byte in message:
        if byte == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
        else:
            block.append(byte)
            if len(block) == 254:
                out += b"\xff" + block
                block = bytearray()
    return bytes(out + bytes([len(block) + 1]) + block) + b"\0"


def uncobs(frame):
    out, i = bytearray(), 0
    while i < len(frame):
        code = frame[i]
        out += frame[i + 1:i + code]
        i += code
        if code < 255 and i < len(frame):
            out.append(0)
    return bytes(out)


def varints(data):
    value, shift = 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            yield value
            value, shift = 0, 0


def varint(n):
    """postcard's unsigned varint (LEB128)."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def stack_used(frame):
    """Response::SelfCheck (variant 3) of a loaded model: 3, 0, crc, stack_used, stack_size."""
    fields = list(varints(uncobs(frame)))
    if fields[:2] != [3, 0]:
        sys.exit(f"error: unexpected self-check answer {fields}")
    return fields[3]


def input_width(model):
    """The model file's input width: after the magic and the version varint (shared/src/format)."""
    data = open(model, "rb").read()
    fields = varints(data[4:])
    next(fields)
    return next(fields)


def main():
    args = [a for a in sys.argv[1:] if a not in ("--microbit", "--an385")]
    m0, m3 = "--microbit" in sys.argv, "--an385" in sys.argv
    if len(args) not in (2, 3, 4):
        sys.exit("usage: firmware/scripts/profile.py ELF MODEL [ITERATIONS [BATCH]] "
                 "[--microbit | --an385]")
    elf, model = args[0], args[1]
    iterations = int(args[2]) if len(args) >= 3 else 20
    count = int(args[3]) if len(args) == 4 else 8
    insns, span = disassemble(elf)
    functions = symbols(elf)
    assert 0 < iterations < 128
    width = input_width(model)
    # postcard: Request::PredictBatch (variant 2) of 8 inputs, Cost (4), SelfCheck (3).
    batch = bytes([2, count]) + b"".join(varint(width) + struct.pack(f"<{width}f",
                                     *[(i * 7 + j) % 5 - 2.0 for j in range(width)])
                                     for i in range(count))
    frames = cobs(batch) + cobs(bytes([4, iterations])) + cobs(bytes([3]))
    with tempfile.TemporaryDirectory() as tmp:
        log, monitor = f"{tmp}/exec.log", f"{tmp}/monitor.sock"
        machine, cpu, weights = (("microbit", "cortex-m0", 0x3C000) if m0
                                  else ("mps2-an385", "cortex-m3", 0x40000) if m3
                                  else ("mps2-an386", "cortex-m4", 0x40000))
        cmd = ["qemu-system-arm", "-machine", machine, "-cpu", cpu, "-display", "none",
               "-monitor", f"unix:{monitor},server,nowait", "-serial", "stdio",
               "-semihosting-config", "enable=on,target=native", "-kernel", elf, "-device",
               f"loader,file={model},addr={weights:#x}", "-singlestep", "-D", log]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        # Boot (the model's validation: millions of instructions for a large model) runs
        # untraced: a first self-check answers once it is over, then the monitor turns the
        # execution log on.
        proc.stdin.write(cobs(bytes([3])))
        proc.stdin.flush()
        answers = b""
        while answers.count(0) < 1:
            answers += proc.stdout.read1(4096)
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(monitor)

            def prompt():
                reply = b""
                while not reply.endswith(b"(qemu) "):
                    reply += sock.recv(4096)

            def command(text):
                sock.sendall(text + b"\n")
                prompt()

            prompt()  # the monitor's banner

            command(b"log exec,nochain")
            # The batch and the cost requests are traced; the self-check (which checks the
            # model's CRC again) is not.
            answers = b""
            proc.stdin.write(frames[:-len(cobs(bytes([3])))])
            proc.stdin.flush()
            while answers.count(0) < 2:
                answers += proc.stdout.read1(4096)
            command(b"log none")
            proc.stdin.write(cobs(bytes([3])))
            proc.stdin.flush()
            while answers.count(0) < 3:  # three answers: the batch, the cost, the self-check
                answers += proc.stdout.read1(4096)
        proc.kill()
        proc.wait()
        pattern = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/")
        with open(log) as lines:
            trace = [int(m.group(1), 16) for line in lines for m in [pattern.search(line)] if m]
    (entry, end) = span
    mix, total, calls, est, inside, after_mem = collections.Counter(), 0, 0, 0, False, False
    previous, back = None, None
    by_function = collections.Counter()
    for pc, nxt in zip(trace, trace[1:] + [0]):
        caller = insns.get(previous)
        # A tail call into forward (`b`/`b.w`: the `Cost` request's measured closure) returns
        # past its caller, where the trace cannot tell its end: that pass is not counted.
        tail_call = caller is not None and caller[0] in ("b", "b.w")
        if pc == entry and not inside and not tail_call:
            inside, calls = True, calls + 1
            # The pass ends where the call returns: after the caller's `bl` (forward may
            # tail-call the network's code, so its own span does not bound the pass).
            back = previous + caller[2] if caller and caller[0].startswith("bl") else None
        previous = pc
        if inside and pc == back:
            inside = False
        if not inside:
            continue
        mn, ops, size = insns.get(pc, ("?", "", 2))
        taken = nxt != pc + size
        est += cycles_m0(mn, ops, taken) if m0 else cycles(mn, ops, taken, after_mem)
        by_function[functions(pc)] += 1
        after_mem = mn.startswith(("ldr", "str"))
        mix[mn.split(".")[0]] += 1
        total += 1
        # Without a known return address: the pass ends when control leaves forward's code
        # for good, a return from inside it to outside it (its callees return into it).
        is_call = mn.startswith("b") and not mn.startswith("bx")
        if back is None and entry <= pc < end and not entry <= nxt < end and not is_call:
            inside = False
    if calls == 0:
        sys.exit("error: the forward pass never ran (no valid model?)")
    print(f"{calls} forward passes traced")
    print(f"stack high-water mark: {stack_used(answers.split(bytes([0]))[2])} B")
    print(f"instructions per inference: {total / calls:.1f}")
    if not m3:
        print(f"estimated Cortex-M{0 if m0 else 4} cycles per inference: {est / calls:.0f}")
    print("mix per inference:", ", ".join(f"{k} {v / calls:.1f}" for k, v in mix.most_common(14)))
    print("instructions per inference by function:")
    for name, n in by_function.most_common(12):
        print(f"  {n / calls:8.1f}  {name}")


if __name__ == "__main__":
    main()
