#!/usr/bin/env python3
"""Writes the reference data the Kernels tests compare Swiftlet's quant code against.

The reference is the `gguf` Python package (gguf.quants), whose numpy code reproduces ggml's
dequantize_row_* and quantize_row_q8_0_ref bit for bit. Outputs, in Tests/KernelsTests/Vectors/:

- digests.json: for every tensor of the test fixtures (../shared/testdata/models) and of the real
  models (models/*.gguf), the SHA-256 of the whole tensor dequantized to little-endian float32;
  plus digests of all 65536 F16 / BF16 bit patterns decoded to float32.
- dequant.json: small cases (raw block bytes in hex, expected float32 bits in hex) for every
  decodable type: the first blocks of one real tensor per type where a file has that type, and
  blocks of seeded random bytes (scale fields made finite) for every type.
- quant.json: float32 -> F16 / BF16 conversions and f32 -> Q8_0 / Q8_1 / Q8_K quantizations.
  BF16 and Q8_0 come from gguf.quants.quantize, F16 from numpy's astype. gguf-py implements neither Q8_1 nor Q8_K, so those two are a
  numpy port (below) of ggml's quantize_row_q8_1_ref / quantize_row_q8_K_ref; that port is the one
  part of this data not made by an independent tool.

Usage: scripts/make-quant-vectors.py   (needs `pip install gguf numpy`; 1-2 minutes)
Rerun after fetching the models; a missing model file is skipped with a note, and its previous
digests are kept.
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests" / "KernelsTests" / "Vectors"
FIXTURES = REPO.parent / "shared" / "testdata" / "models"
FIXTURE_NAMES = ["llama-spm-q4_k_m.gguf", "llama-bpe-q4_k_m.gguf", "phi3-f16.gguf"]
MODEL_NAMES = ["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "gemma-3-270m-q4_k_m.gguf"]

DECODABLE = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
             T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]
# (block elements, block bytes, byte offsets of the f16 scale fields) per type.
LAYOUT = {
    T.F32: (1, 4, []), T.F16: (1, 2, []), T.BF16: (1, 2, []),
    T.Q4_0: (32, 18, [0]), T.Q4_1: (32, 20, [0, 2]), T.Q5_0: (32, 22, [0]),
    T.Q5_1: (32, 24, [0, 2]), T.Q8_0: (32, 34, [0]),
    T.Q2_K: (256, 84, [80, 82]), T.Q3_K: (256, 110, [108]), T.Q4_K: (256, 144, [0, 2]),
    T.Q5_K: (256, 176, [0, 2]), T.Q6_K: (256, 210, [208]),
}
# Elements per small case: the first two blocks of a real tensor, 64 elements of the float types;
# random cases span more blocks (5 of 32, 3 of 256) to exercise multi-block rows.
CASE_ELEMENTS = {t: (64 if LAYOUT[t][0] == 1 else 2 * LAYOUT[t][0]) for t in DECODABLE}
RANDOM_BLOCKS = {32: 5, 256: 3}


def f32_hex(values: np.ndarray) -> str:
    return values.astype("<f4").tobytes().hex()


def sha256_f32(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f4").tobytes()).hexdigest()


def tensor_digests(path: Path) -> list[dict]:
    reader = GGUFReader(path)
    out = []
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type)
        out.append({"name": t.name, "type": t.tensor_type.name, "elements": int(t.n_elements),
                    "sha256": sha256_f32(values)})
    return out


def first_blocks(path: Path, wanted: set) -> dict:
    """The leading bytes of the first tensor of each wanted type in the file."""
    found = {}
    for t in GGUFReader(path).tensors:
        if t.tensor_type in wanted and t.tensor_type not in found:
            elements, nbytes, _ = LAYOUT[t.tensor_type]
            count = CASE_ELEMENTS[t.tensor_type]
            raw = np.asarray(t.data).view(np.uint8).reshape(-1)[: count // elements * nbytes]
            found[t.tensor_type] = (f"{path.name}:{t.name}", raw.copy())
    return found


def random_blocks(qtype, rng: np.random.Generator) -> np.ndarray:
    """Seeded random block bytes whose f16 scales are finite and of realistic size."""
    elements, nbytes, scale_offsets = LAYOUT[qtype]
    if elements == 1:  # plain floats: random finite values of mixed magnitudes
        values = rng.standard_normal(CASE_ELEMENTS[qtype]).astype(np.float32) * np.float32(3.0)
        if qtype == T.F32:
            return values.view(np.uint8)
        if qtype == T.F16:
            return values.astype(np.float16).view(np.uint8)
        return quantize(values, T.BF16).view(np.uint8)
    nblocks = RANDOM_BLOCKS[elements]
    raw = rng.integers(0, 256, size=(nblocks, nbytes), dtype=np.uint8)
    for off in scale_offsets:
        scale = (rng.standard_normal(nblocks) * 0.05).astype(np.float16)
        raw[:, off:off + 2] = scale.view(np.uint8).reshape(nblocks, 2)
    return raw.reshape(-1)


def dequant_case(qtype, source: str, raw: np.ndarray) -> dict:
    values = dequantize(raw.copy(), qtype).reshape(-1)
    return {"type": qtype.name, "source": source, "elements": int(values.size),
            "bytes": raw.tobytes().hex(), "expected": f32_hex(values)}


# ---- numpy ports of the ggml quantizers gguf-py lacks (see module docstring) ----

def np_roundf(x: np.ndarray) -> np.ndarray:
    """C roundf: half away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def quantize_q8_1(x: np.ndarray) -> bytes:
    blocks = x.reshape(-1, 32)
    out = bytearray()
    for b in blocks:
        d = np.float32(np.max(np.abs(b))) / np.float32(127)
        inv = np.float32(1) / d if d != 0 else np.float32(0)
        qs = np_roundf((b * inv).astype(np.float32)).astype(np.int8)
        s = np.float32(int(qs.astype(np.int32).sum())) * d
        out += np.float16(d).tobytes() + np.float16(s).tobytes() + qs.tobytes()
    return bytes(out)


def quantize_q8_K(x: np.ndarray) -> bytes:
    blocks = x.reshape(-1, 256)
    out = bytearray()
    for b in blocks:
        a = np.abs(b)
        amax = a.max()
        if amax == 0:
            out += bytes(292)
            continue
        vmax = b[int(np.argmax(a))]  # first element of largest magnitude
        iscale = np.float32(-127) / vmax
        v = np.rint((iscale * b).astype(np.float32)).astype(np.int32)  # ties to even
        qs = np.minimum(v, 127).astype(np.int8)
        bsums = qs.astype(np.int32).reshape(16, 16).sum(axis=1).astype("<i2")
        d = np.float32(1) / iscale
        out += np.float32(d).astype("<f4").tobytes() + qs.tobytes() + bsums.tobytes()
    return bytes(out)


def activation_rows(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Inputs for the Q8 quantizers: 512 floats each, including a zero block and exact ties."""
    normal = rng.standard_normal(512).astype(np.float32)
    # Magnitudes from 1e-6 to ~100: tiny blocks get subnormal F16 scales; none overflows F16.
    wide = (rng.standard_normal(512) * np.exp(rng.uniform(-14, 4, 512))).astype(np.float32)
    special = normal.copy()
    special[:256] = 0.0                                   # an all-zero block (both block sizes)
    special[256:288] = np.arange(-16, 16, dtype=np.float32) * np.float32(0.5)  # halves: ties
    special[300] = np.float32(-7.25)                      # negative maximum of its block
    return [("normal", normal), ("wide-range", wide), ("zeros-and-ties", special)]


def f16_conversion_inputs(rng: np.random.Generator) -> np.ndarray:
    """float32 values around every F16 regime: subnormals, normals, overflow, ties, NaN/inf."""
    exps = rng.integers(127 - 30, 127 + 18, size=3000).astype(np.uint32)
    mant = rng.integers(0, 1 << 23, size=3000, dtype=np.uint32)
    sign = rng.integers(0, 2, size=3000, dtype=np.uint32) << 31
    bits = sign | (exps << 23) | mant
    # Exact ties between two halves (low 13 bits = 0x1000) and their neighbours.
    ties = (bits[:500] & ~np.uint32(0x1fff)) | np.uint32(0x1000)
    edges = np.array([0x0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x477fe000, 0x477fefff,
                      0x477ff000, 0x477fffff, 0x38800000, 0x387fffff, 0x33000000, 0x33000001,
                      0x337fffff, 0x2f800000, 0x00000001, 0x3f800000], dtype=np.uint32)
    return np.concatenate([bits, ties, ties + 1, ties - 1, edges]).view(np.float32)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261129)

    # Digests of whole tensors; keep earlier digests of a model that is not present now.
    digest_path = OUT / "digests.json"
    previous = json.loads(digest_path.read_text())["files"] if digest_path.exists() else []
    files = []
    sources = [("fixture", FIXTURES / n) for n in FIXTURE_NAMES] + \
              [("model", REPO / "models" / n) for n in MODEL_NAMES]
    from_files = {}
    for kind, path in sources:
        if not path.exists():
            kept = [f for f in previous if f["file"] == path.name]
            print(f"missing {path}, keeping {len(kept)} earlier entr(y/ies)", file=sys.stderr)
            files += kept
            continue
        print(f"digesting {path.name}", file=sys.stderr)
        files.append({"file": path.name, "kind": kind, "tensors": tensor_digests(path)})
        for qtype, case in first_blocks(path, set(DECODABLE) - set(from_files)).items():
            from_files[qtype] = case
    all_halves = np.arange(65536, dtype=np.uint16)
    digest_path.write_text(json.dumps({
        "f16_all_sha256": sha256_f32(dequantize(all_halves.view(np.uint8), T.F16)),
        "bf16_all_sha256": sha256_f32(dequantize(all_halves.view(np.uint8), T.BF16)),
        "files": files,
    }, indent=1) + "\n")

    cases = []
    for qtype in DECODABLE:
        if qtype in from_files:
            source, raw = from_files[qtype]
            cases.append(dequant_case(qtype, source, raw))
        cases.append(dequant_case(qtype, "random", random_blocks(qtype, rng)))
        if qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.BF16):  # realistic blocks too
            values = rng.standard_normal(CASE_ELEMENTS[qtype]).astype(np.float32)
            cases.append(dequant_case(qtype, "gguf.quants.quantize", quantize(values, qtype).reshape(-1)))
    (OUT / "dequant.json").write_text(json.dumps({"cases": cases}, indent=1) + "\n")

    f16_in = f16_conversion_inputs(rng)
    # BF16 covers the whole float range: any bit pattern, NaNs with payloads included.
    bf16_in = np.concatenate([f16_in, rng.integers(0, 1 << 32, size=1000, dtype=np.uint64)
                              .astype(np.uint32).view(np.float32)])
    with np.errstate(over="ignore"):  # the inputs include values that overflow F16 on purpose
        f16_out = f16_in.astype("<f2")
    quant = {
        "f32_to_f16": {"input": f32_hex(f16_in), "expected": f16_out.tobytes().hex()},
        "f32_to_bf16": {"input": f32_hex(bf16_in), "expected": quantize(bf16_in, T.BF16).tobytes().hex()},
        "rows": [],
    }
    for name, row in activation_rows(rng):
        quant["rows"].append({
            "name": name, "input": f32_hex(row),
            "q8_0": quantize(row, T.Q8_0).tobytes().hex(),
            "q8_1": quantize_q8_1(row).hex(),
            "q8_K": quantize_q8_K(row).hex(),
        })
    (OUT / "quant.json").write_text(json.dumps(quant, indent=1) + "\n")

    total = sum(p.stat().st_size for p in OUT.glob("*.json"))
    print(f"wrote {len(cases)} dequant cases, {len(files)} digest files; {total} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
