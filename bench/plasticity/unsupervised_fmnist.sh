#!/usr/bin/env bash
# Diehl & Cook's unsupervised STDP network on Fashion-MNIST: test accuracy against the number of
# excitatory neurons. The network is examples/unsupervised_digits.toml with the paper's input
# settings for 28x28 images (784 inputs, 63.75 Hz for the darkest pixel, incoming weights
# normalised to sum 78) and a smaller threshold step (0.02 mV per spike instead of 0.05: over
# thousands of presentations the larger step silences the layer, which the paper avoids by
# repeating silent presentations at higher rates).
#   bench/plasticity/unsupervised_fmnist.sh [NEUROMORPH] [NEURONS...]
#   env LEARN, LABEL, TEST: trials per phase (defaults 3000, 1000, 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/release/bin/neuromorph}
shift || true
sizes=("${@:-100 400}")
learn=${LEARN:-3000} label=${LABEL:-1000} test=${TEST:-1000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-8s %8s %8s %8s %10s %10s\n' neurons learn label test accuracy wall_s
for n in ${sizes[@]}; do
    sed -e 's/^dataset = "digits"/dataset = "fashion_mnist"/' \
        -e 's/^max_rate = .*/max_rate = 63.75/' \
        -e "s/^learn = .*/learn = $learn/" -e "s/^label = .*/label = $label/" \
        -e "s/^test = .*/test = $test/" \
        -e '/name = "input"/{n;s/size = .*/size = 784/}' \
        -e '/name = "exc"/{n;s/size = .*/size = '"$n"'/}' \
        -e 's/w_sum = 8.0/w_sum = 78.0/' -e 's/beta = 0.05/beta = 0.02/' \
        examples/unsupervised_digits.toml > "$out/fmnist_$n.toml"
    start=$(date +%s.%N)
    "$bin" simulate "$out/fmnist_$n.toml" --out "$out/run_$n" --quiet
    end=$(date +%s.%N)
    acc=$(python3 -c "import json,sys; print(json.load(open('$out/run_$n/metrics.json'))['trials']['test_accuracy'])")
    printf '%-8s %8s %8s %8s %9.2f%% %10.1f\n' "$n" "$learn" "$label" "$test" \
        "$(python3 -c "print(100*$acc)")" "$(python3 -c "print($end-$start)")"
done
