#!/usr/bin/env python3
"""Checks the committed safetensors fixtures against the real Python `safetensors` library.

    python3 -m pip install safetensors          # the default python3 (numpy); Debian's lacks it
    python3 nn/src/test/python/safetensors_check.py nn/src/test/resources/safetensors

For every fixture file: the library must parse it (deserialize), and serializing the same tensors
and metadata with the library must reproduce the file byte for byte. SafetensorsTest proves that
Kiln writes exactly these bytes for the same tensors, so together they show Kiln's files load in
Python unchanged and Python's files are the ones Kiln reproduces. Exits non-zero on any mismatch.
"""
import ctypes
import json
import os
import sys

from safetensors import TensorSpec, deserialize, serialize

NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
         "I64": "int64", "I32": "int32", "I8": "int8", "BOOL": "bool"}


def check(path):
    raw = open(path, "rb").read()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + header_len])
    metadata = header.get("__metadata__")
    tensors = deserialize(raw)  # the library's own parser must accept the file
    buffers = []
    specs = {}
    for name, t in tensors:
        data = bytes(t["data"])
        want = header[name]
        if t["shape"] != want["shape"]:
            raise SystemExit(f"{path}: {name!r} shape {t['shape']} != header {want['shape']}")
        buf = ctypes.create_string_buffer(data, len(data)) if data else ctypes.create_string_buffer(1)
        buffers.append(buf)
        specs[name] = TensorSpec(dtype=NAMES[want["dtype"]], shape=t["shape"], data_ptr=ctypes.addressof(buf), data_len=len(data))
    again = bytes(serialize(specs, metadata))
    keys = 0 if metadata is None else len(metadata)
    if again == raw:
        print(f"ok {os.path.basename(path)}: {len(tensors)} tensors, metadata keys {keys}, {len(raw)} bytes identical")
        return
    # The library writes metadata keys in hash-map order (safetensors issue #584), so with two or
    # more keys its bytes vary from run to run; then require the same header as a JSON object and
    # an identical data section.
    again_len = int.from_bytes(again[:8], "little")
    same_header = json.loads(again[8:8 + again_len]) == header and again_len == header_len
    if keys >= 2 and same_header and again[8 + again_len:] == raw[8 + header_len:]:
        print(f"ok {os.path.basename(path)}: {len(tensors)} tensors, metadata keys {keys}: same header (metadata "
              f"order aside) and identical data")
        return
    raise SystemExit(f"{path}: the safetensors library writes {len(again)} bytes that differ from the fixture's {len(raw)}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "resources", "safetensors")
    files = sorted(f for f in os.listdir(root) if f.endswith(".safetensors"))
    if not files:
        raise SystemExit(f"no .safetensors files in {root}")
    for f in files:
        check(os.path.join(root, f))


if __name__ == "__main__":
    main()
