#!/usr/bin/env python3
"""Writes `trainer/src/tflite/schema.fbs`: TFLite's flatbuffer schema, reduced to what Dendrite reads.

The tables a dense model uses (Model, SubGraph, Tensor, Buffer, Operator, OperatorCode,
QuantizationParameters, the options of FULLY_CONNECTED, SOFTMAX, RESHAPE, ADD, MUL, SUB, DIV,
LEAKY_RELU and GELU) keep every field up to the last one Dendrite reads, with the ids and types
of TFLite's schema; later fields are left out (a flatbuffer reader skips fields its schema does not name). The enums
(TensorType, BuiltinOperator, ActivationFunctionType) are complete, taken from the schema
module TensorFlow itself ships (`tensorflow.lite.python.schema_py_generated`). The
BuiltinOptions union stops at the last member Dendrite reads (GeluOptions, tag 116): the
options of other operators are never read, and the members before it are empty tables. The
operators' TFLite names go to `trainer/src/tflite/operator_names.rs`, so a refusal names the
operator as TFLite does.

Then: `planus rust trainer/src/tflite/schema.fbs -o trainer/src/tflite/schema_generated.rs`.
Run with the bench env: `bench/.venv/bin/python bench/tflite_schema.py`.
"""

import inspect
import re
import sys
from pathlib import Path

import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as s

# Tables Dendrite reads, field by field in id order (`name: type`), as in TFLite's schema.fbs.
TABLES = {
    "QuantizationParameters": [
        "min: [float]",
        "max: [float]",
        "scale: [float]",
        "zero_point: [long]",
        "details: QuantizationDetails",
        "quantized_dimension: int",
    ],
    "Tensor": [
        "shape: [int]",
        "type: TensorType",
        "buffer: uint",
        "name: string",
        "quantization: QuantizationParameters",
    ],
    "FullyConnectedOptions": [
        "fused_activation_function: ActivationFunctionType",
        "weights_format: byte",
        "keep_num_dims: bool",
    ],
    "SoftmaxOptions": ["beta: float"],
    "AddOptions": ["fused_activation_function: ActivationFunctionType"],
    "MulOptions": ["fused_activation_function: ActivationFunctionType"],
    "SubOptions": ["fused_activation_function: ActivationFunctionType"],
    "DivOptions": ["fused_activation_function: ActivationFunctionType"],
    "LeakyReluOptions": ["alpha: float"],
    "GeluOptions": ["approximate: bool"],
    "ReshapeOptions": ["new_shape: [int]"],
    "OperatorCode": [
        "deprecated_builtin_code: byte",
        "custom_code: string",
        "version: int = 1",
        "builtin_code: BuiltinOperator",
    ],
    "Operator": [
        "opcode_index: uint",
        "inputs: [int]",
        "outputs: [int]",
        "builtin_options: BuiltinOptions",
    ],
    "SubGraph": [
        "tensors: [Tensor]",
        "inputs: [int]",
        "outputs: [int]",
        "operators: [Operator]",
        "name: string",
    ],
    "Buffer": ["data: [ubyte]", "offset: ulong", "size: ulong"],
    "Model": [
        "version: uint",
        "operator_codes: [OperatorCode]",
        "subgraphs: [SubGraph]",
        "description: string",
        "buffers: [Buffer]",
    ],
}

# Field ids as TFLite's own builder functions number them (a union takes two ids).
def builder_slots(table):
    slots = {}
    for name, fn in inspect.getmembers(s, inspect.isfunction):
        m = re.fullmatch(f"{table}Add(\\w+)", name)
        if m:
            slot = re.search(r"Prepend\w*Slot\((\d+),", inspect.getsource(fn))
            slots[m.group(1)] = int(slot.group(1))
    return slots


def camel(field):
    return "".join(p[:1].upper() + p[1:] for p in field.split("_"))


def check_ids(table, fields):
    slots = builder_slots(table)
    next_id = 0
    for f in fields:
        name, ty = [p.strip() for p in f.split(":")]
        ty = ty.split("=")[0].strip()
        union = ty in ("BuiltinOptions", "QuantizationDetails")
        key = camel(name) + ("Type" if union else "")
        if slots.get(key) != next_id:
            sys.exit(f"{table}.{name}: id {next_id} here, {slots.get(key)} in TFLite")
        next_id += 2 if union else 1


def enum_members(cls):
    return sorted(
        ((k, v) for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)),
        key=lambda kv: kv[1],
    )


def main():
    out = [
        f"// TFLite's flatbuffer schema (TensorFlow {tf.__version__}), reduced to what Dendrite reads.",
        "// Written by bench/tflite_schema.py; see there. Field ids and types as in TFLite's schema.fbs.",
        "",
        'file_identifier "TFL3";',
        "",
    ]
    for name, base in (("TensorType", "byte"), ("ActivationFunctionType", "byte"), ("BuiltinOperator", "int")):
        members = ",\n".join(f"  {k} = {v}" for k, v in enum_members(getattr(s, name)))
        out.append(f"enum {name} : {base} {{\n{members}\n}}\n")
    declared = set(TABLES)
    for union, last in (("QuantizationDetails", None), ("BuiltinOptions", "GeluOptions")):
        members = [k for k, v in enum_members(getattr(s, union)) if v != 0]
        if last is not None:
            members = members[: members.index(last) + 1]
        for i, (k, v) in enumerate(enum_members(getattr(s, union))[1:], start=1):
            if v != i:
                sys.exit(f"{union}: tags are not consecutive at {k}")
        for m in members:
            if m not in declared:
                out.append(f"table {m} {{}}")
                declared.add(m)
        out.append(f"\nunion {union} {{\n" + ",\n".join(f"  {m}" for m in members) + "\n}\n")
    for table, fields in TABLES.items():
        check_ids(table, fields)
        body = "\n".join(f"  {f};" for f in fields)
        out.append(f"table {table} {{\n{body}\n}}\n")
    out.append("root_type Model;")
    path = Path(__file__).resolve().parent.parent / "trainer/src/tflite/schema.fbs"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {path}", file=sys.stderr)
    names = path.parent / "operator_names.rs"
    rows = "\n".join(f'    ({v}, "{k}"),' for k, v in enum_members(s.BuiltinOperator))
    names.write_text(
        f"// TFLite's operator names by code (TensorFlow {tf.__version__}), written by bench/tflite_schema.py.\n\n"
        "/// `(BuiltinOperator code, TFLite name)`, by code.\n"
        f"pub(super) const OPERATOR_NAMES: &[(i32, &str)] = &[\n{rows}\n];\n"
    )
    print(f"wrote {names}", file=sys.stderr)


if __name__ == "__main__":
    main()
