#!/usr/bin/env bash
# Tokenizer throughput: tokenizes ~1 MB of mixed text (English, code, CJK, Cyrillic, emoji,
# digits, whitespace runs) with each available model's tokenizer, using a release build, and
# prints MB/s (best of 3 runs; the vocab load time is shown separately).
# Usage: benchmarks/tokenizer.sh [model.gguf ...]
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --product swiftlet >&2
bin="$(swift build -c release --show-bin-path)/swiftlet"

text="$(mktemp)"
trap 'rm -f "$text"' EXIT
python3 - "$text" <<'PY'
import glob, json, sys
parts = []
for inp in sorted(glob.glob("../shared/testdata/tokenizer/*.inp")):
    parts += open(inp, encoding="utf-8").read().split("\n__ggml_vocab_test__\n")
for ref in sorted(glob.glob("../shared/testdata/reference/*.json")):
    data = json.load(open(ref, encoding="utf-8"))
    parts += [p["text"] for p in data["prompts"]]
chunk = "\n".join(parts)
out, size = [], 0
while size < 1_000_000:
    out.append(chunk)
    size += len(chunk.encode("utf-8"))
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(out))
PY

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
    models=(models/*.gguf ../shared/testdata/tokenizer/ggml-vocab-llama-spm.gguf ../shared/testdata/tokenizer/ggml-vocab-llama-bpe.gguf)
fi
for m in "${models[@]}"; do
    [ -f "$m" ] || continue
    printf '%-50s ' "$(basename "$m")"
    "$bin" tokenize --model "$m" --file "$text" --benchmark
done
