#!/usr/bin/env bash
# Gathers what bench/cuda/on_device.sh needs into .dev/ (ignored by git; carried by the device
# tool): the CUDA binaries of build/release, the shared libraries a bare CUDA image lacks, and
# Fashion-MNIST. Binaries and libraries travel as one xz archive, unpacked there on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .dev && mkdir -p .dev/bin .dev/lib .dev/fashion-mnist
cp build/release/bin/neuromorph build/release/bin/nm_bench_train_step_cuda \
  build/release/bin/nm_bench_microcircuit build/release/bin/nm_lab_lif_forward \
  build/release/tests/nm_gpu_tests .dev/bin/
for lib in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libgomp.so.1 libtomlplusplus.so.3; do
  cp -L "$(ldd build/release/bin/neuromorph | awk -v l=$lib '$1 == l {print $3}')" .dev/lib/
done
cp /usr/share/datasets/fashion-mnist/*.gz .dev/fashion-mnist/
# Compressed: the device tool carries at most 64 MiB.
tar -C .dev -cJf .dev/pack.tar.xz bin lib && rm -rf .dev/bin .dev/lib
du -sh .dev
