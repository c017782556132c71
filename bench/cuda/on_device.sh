#!/usr/bin/env bash
# Runs on the lent GPU machine over binaries built here (carried in .dev/): the libraries the
# machine lacks come along in .dev/lib, Fashion-MNIST in .dev/fashion-mnist. Usage:
#   bench/cuda/on_device.sh tests | bench | sim | train FILE [ARGS...] | shell COMMAND
# sim: the network benchmarks (Brunel, COBA, CUBA, the full-scale microcircuit) with every
# projection spread, walked, and as `auto` chooses.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$here/.dev/bin" ] || tar -C "$here/.dev" -xJf "$here/.dev/pack.tar.xz"
cublas=$(python3 -c 'import nvidia.cublas, os; print(os.path.dirname(nvidia.cublas.__file__) + "/lib")' 2>/dev/null || true)
export LD_LIBRARY_PATH="$here/.dev/lib:/usr/local/cuda/lib64:${cublas}:${LD_LIBRARY_PATH:-}"
export NM_FASHION_MNIST_DIR="$here/.dev/fashion-mnist"
bin="$here/.dev/bin"
what=$1
shift
case "$what" in
tests) "$bin/nm_gpu_tests" "$@" ;;
bench) python3 "$here/bench/peers/train_torch_gpu.py" --bench "$bin/nm_bench_train_step_cuda" "$@" ;;
sim)
  python3 "$here/tools/microcircuit.py" --duration 10500 > /tmp/microcircuit.toml
  for file in "$here"/examples/{brunel,coba,cuba}.toml /tmp/microcircuit.toml; do
    warmup=0
    [ "$file" = /tmp/microcircuit.toml ] && warmup=500
    for propagation in pre post auto; do
      echo "== $(basename "$file") --propagation $propagation"
      "$bin/nm_bench_microcircuit" --file "$file" --warmup $warmup --threads 16 --device cuda \
        --propagation $propagation
    done
  done ;;
train) "$bin/neuromorph" train "$@" ;;
shell) eval "$@" ;;
*) echo "usage: $0 tests|bench|sim|train|shell ..." >&2; exit 2 ;;
esac
