"""Writes the safetensors fixtures that SafetensorsTest checks Kiln against.

The Python `safetensors` package is not available here, so this script writes the format itself,
independently of Kiln, mirroring the reference implementation's exact byte layout
(huggingface/safetensors, Rust safetensors/src/tensor.rs `prepare`/`serialize`):
  * 8-byte little-endian header length N, N bytes of header, then the data section;
  * tensors ordered by dtype descending in the reference's `Dtype` enum order, then by name as
    UTF-8 bytes; data_offsets relative to the start of the data section;
  * header = compact JSON (serde_json: no whitespace, non-ASCII raw, control characters escaped
    as \\b \\t \\n \\f \\r or \\u00xx), "__metadata__" first, then the tensors in data order,
    padded with spaces to a multiple of 8 bytes.
The reference writes metadata keys in random (hash map) order; this script sorts them by UTF-8
bytes, the convention Kiln follows, so fixtures with one metadata key are exactly what the
reference writes and fixtures with more keys are one of its possible outputs.

For each fixture <name>.safetensors a text file <name>.txt lists the tensors in insertion order
with their exact values (floats as IEEE bit patterns in hex), so the Java test checks loading
bit for bit and rebuilds the same tensors to check that Kiln's writer reproduces the file.

Run with /usr/bin/python3 (torch) from the repository root:
    /usr/bin/python3 nn/src/test/python/safetensors_fixtures.py
"""
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "safetensors")

# The reference's Dtype enum in declaration order (it sorts tensors by it, descending).
REFERENCE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
                   "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64",
                   "F64", "I64", "U64"]
RANK = {code: i for i, code in enumerate(REFERENCE_ORDER)}

# torch dtype -> (safetensors code, same-size integer view for raw bits, hex digits of one element or None)
DTYPES = {
    torch.float64: ("F64", torch.int64, 16),
    torch.float32: ("F32", torch.int32, 8),
    torch.float16: ("F16", torch.int16, 4),
    torch.bfloat16: ("BF16", torch.int16, 4),
    torch.int64: ("I64", torch.int64, None),
    torch.int32: ("I32", torch.int32, None),
    torch.int8: ("I8", torch.int8, None),
    torch.bool: ("BOOL", torch.uint8, None),
}


def raw_ints(t):
    """The elements' bit patterns (floats) or values (integers, bools as 0/1), row-major."""
    t = t.contiguous()
    _, view, _ = DTYPES[t.dtype]
    ints = t.to(torch.uint8) if t.dtype == torch.bool else t.view(view)
    return [int(v) for v in ints.reshape(-1).tolist()]


def tensor_bytes(t):
    """Little-endian row-major bytes, built element by element with struct (not numpy's buffer)."""
    code, _, _ = DTYPES[t.dtype]
    fmt = {"F64": "<q", "F32": "<i", "F16": "<h", "BF16": "<h", "I64": "<q", "I32": "<i", "I8": "<b",
           "BOOL": "<B"}[code]
    return b"".join(struct.pack(fmt, v) for v in raw_ints(t))


def serialize(tensors, metadata):
    items = sorted(tensors.items(), key=lambda kv: (-RANK[DTYPES[kv[1].dtype][0]], kv[0].encode("utf-8")))
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata, key=lambda k: k.encode("utf-8"))}
    blobs = []
    offset = 0
    for name, t in items:
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def crc32c(data):
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: the checksum Kiln stores
    for model files under "kiln.data_crc32c" (an independent reference for java.util.zip.CRC32C)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def data_section(tensors):
    """The data section serialize() writes (tensors in data order), for the checksum."""
    items = sorted(tensors.items(), key=lambda kv: (-RANK[DTYPES[kv[1].dtype][0]], kv[0].encode("utf-8")))
    return b"".join(tensor_bytes(t) for _, t in items)


def values_text(file_name, tensors, metadata):
    lines = ["# kiln safetensors fixture: the contents of " + file_name + " (written by safetensors_fixtures.py,"
             " torch " + torch.__version__ + ")",
             "# 'tensor <name as UTF-8 hex> <dtype> <dims...>' then one line of row-major values:",
             "# floats as IEEE bit patterns in hex, integers in decimal, bools as 0/1",
             "# 'metadata <key as UTF-8 hex> <value as UTF-8 hex>'; entries in insertion order"]
    for k, v in (metadata or {}).items():
        lines.append(f"metadata {k.encode('utf-8').hex()} {v.encode('utf-8').hex()}")
    for name, t in tensors.items():
        code, _, digits = DTYPES[t.dtype]
        lines.append(" ".join(["tensor", name.encode("utf-8").hex(), code] + [str(d) for d in t.shape]))
        vals = raw_ints(t)
        if digits:
            mask = (1 << (4 * digits)) - 1
            lines.append(" ".join(format(v & mask, f"0{digits}x") for v in vals))
        else:
            lines.append(" ".join(str(v) for v in vals))
    return "\n".join(lines) + "\n"


def write(name, tensors, metadata):
    os.makedirs(OUT, exist_ok=True)
    for suffix, content in ((".safetensors", serialize(tensors, metadata)),
                            (".txt", values_text(name + ".safetensors", tensors, metadata).encode("utf-8"))):
        path = os.path.join(OUT, name + suffix)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        print(f"wrote {path} ({len(content)} bytes)")


def main():
    torch.manual_seed(0)
    inf, nan = float("inf"), float("nan")
    # Insertion order deliberately differs from the data order the format prescribes.
    mixed = {
        "layer.weight": torch.randn(3, 4),
        "emb.weight": torch.randn(5, 3).to(torch.bfloat16),
        "layer.bias": torch.randn(4),
        "B": torch.tensor([-0.0, 1e-45]),                          # upper case sorts before lower case; subnormal
        "half": torch.tensor([[1.0, -2.5, 65504.0], [6e-8, inf, nan]], dtype=torch.float16),
        "bhalf": torch.tensor([-inf, 3.140625, 1e-40], dtype=torch.bfloat16),
        "double": torch.tensor([[1 / 3, -0.0], [1e-310, 2.0 ** 1000]], dtype=torch.float64),
        "scalar": torch.tensor(2.718281828459045, dtype=torch.float64),   # 0-d
        "steps": torch.tensor([2 ** 62 + 1, -1, 0], dtype=torch.int64),   # beyond 2^53: exact only as integers
        "ids": torch.tensor([[-2 ** 31, 2 ** 31 - 1], [7, 0]], dtype=torch.int32),
        "tiny": torch.tensor([-128, 127, 0, -1], dtype=torch.int8),
        "mask": torch.tensor([[True, False, True], [False, False, True]]),
        "empty": torch.zeros(0, 3),
        # UTF-8 byte order differs from Java's UTF-16 order here: U+FF21 < U+1F600 in UTF-8,
        # but the surrogate pair of U+1F600 (D83D..) sorts first in UTF-16.
        "\uff21": torch.tensor([1.5]),
        "\U0001F600": torch.tensor([2.5]),
        'quote"back\\slash\ttab': torch.tensor([42], dtype=torch.int32),
    }
    # One metadata key: exactly what the reference writes. Escapes, control characters, non-ASCII.
    write("mixed", mixed, {"note": 'tab\t nl\n cr\r bs\b ff\f ctl\x01\x1f del\x7f "q" \\ / é ✓ 😀'})

    # Several keys inserted unsorted: Kiln (and this script) sort them by UTF-8 bytes.
    write("sorted_metadata", {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)},
          {"zeta": "last", "format": "pt", "Alpha": "first", "\uff21": "fullwidth", "\U0001F600": "emoji"})

    # No metadata at all: no "__metadata__" entry in the header.
    write("no_metadata", {"x": torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)}, None)

    # A Kiln model file: the data section's CRC32C in the metadata (Safetensors.saveModule).
    assert crc32c(b"123456789") == 0xE3069283  # the published CRC-32C check value
    model = {"fc.weight": torch.randn(3, 2), "fc.bias": torch.randn(3), "steps": torch.tensor([5], dtype=torch.int64)}
    write("checksum", model, {"format": "pt", "kiln.data_crc32c": format(crc32c(data_section(model)), "08x")})


if __name__ == "__main__":
    main()
