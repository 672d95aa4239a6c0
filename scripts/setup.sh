#!/usr/bin/env bash
# Installs what Swiftlet needs on a Debian/Ubuntu machine that has the Swift toolchain, apt and pip:
# system libraries (OpenBLAS, libcurl) and the default models. Idempotent: skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for pkg in libopenblas-dev libcurl4-openssl-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "ok: system packages present"
fi

scripts/fetch-models.sh
