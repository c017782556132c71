#!/usr/bin/env bash
# Installs the Debian packages the build, tests, demo and benchmarks need.
# Idempotent: prints nothing and changes nothing when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libopenblas-dev zlib1g-dev
  dataset-fashion-mnist
)
# Optional: the peer benchmarks (bench/peers): Brian2, and PyTorch for the training step.
if [ "${NM_WITH_PEERS:-0}" = 1 ]; then
  packages+=(python3-brian python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
