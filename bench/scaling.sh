#!/usr/bin/env bash
# OpenMP scaling (issue 4), one prepared script for the many-core machine:
#  0. the float32 FMA peak at each count (bench/peak.py), 256- and 512-bit where it can;
#  1. W3 and W4 at each thread count, fastnn beside the NumPy reference and PyTorch (when
#     importable), one bench/compare.py table per count;
#  2. the Keras MNIST MLP (784-128-10) at batch 32 and 128, µs a step at each count,
#     with the engine's team-size search and on the whole team (bench/thread_scaling.py);
#  3. one W3 step kernel by kernel and phase by phase at the largest count
#     (bench/step_profile.py).
# Run it again with FASTNN_AVX512=0 to compare the AVX2 micro-kernel. On the 2-core
# machine only counts 1 and 2 mean anything.
#   bash bench/scaling.sh [OUTDIR [THREADS...]]     (default: scaling-out, 1 4 16)
set -u
cd "$(dirname "$0")/.."
out=${1:-scaling-out}
shift $(( $# > 0 ? 1 : 0 ))
counts=${*:-1 4 16}
py=${PYTHON:-python3}
mkdir -p "$out"
"$py" -c "import fastnn, os; print('fastnn', fastnn.build_info(), 'cpus', os.cpu_count())"
for isa in auto avx2; do   # the yardstick: GFLOP/s of pure FMA chains at each count
    "$py" bench/peak.py --threads "$(echo $counts | tr ' ' ',')" --isa $isa 2>&1 | tee -a "$out/peak.txt"
done
for t in $counts; do
    echo "== $t thread(s)"
    "$py" bench/compare.py --workloads W3,W4 --frameworks fastnn,numpy,torch \
        --threads "$t" --runs "${RUNS:-3}" --json "$out/threads_$t.json" \
        2>&1 | tee "$out/threads_$t.txt"
done
for b in 32 128; do
    echo "== 784-128-10, batch $b"
    "$py" bench/thread_scaling.py --batch "$b" --threads "$(echo $counts | tr ' ' ',')" \
        --repeats "${RUNS:-3}" --policy both 2>&1 | tee "$out/mlp_batch_$b.txt"
done
max=$(echo $counts | tr ' ' '\n' | sort -n | tail -1)
echo "== one W3 step at $max thread(s)"
OMP_NUM_THREADS=$max OPENBLAS_NUM_THREADS=$max "$py" bench/step_profile.py --repeats 100 \
    2>&1 | tee "$out/step_profile.txt"
