#!/usr/bin/env bash
# OpenMP scaling (issue 4): W3 and W4 at each thread count, fastnn beside the NumPy
# reference and PyTorch (when importable), one bench/compare.py table per count.
# Meant for a many-core machine; on the 2-core one only counts 1 and 2 mean anything.
#   bash bench/scaling.sh [OUTDIR [THREADS...]]     (default: scaling-out, 1 4 16)
set -u
cd "$(dirname "$0")/.."
out=${1:-scaling-out}
shift $(( $# > 0 ? 1 : 0 ))
counts=${*:-1 4 16}
py=${PYTHON:-python3}
mkdir -p "$out"
"$py" -c "import fastnn, os; print('fastnn', fastnn.build_info(), 'cpus', os.cpu_count())"
for t in $counts; do
    echo "== $t thread(s)"
    "$py" bench/compare.py --workloads W3,W4 --frameworks fastnn,numpy,torch \
        --threads "$t" --runs "${RUNS:-3}" --json "$out/threads_$t.json" \
        2>&1 | tee "$out/threads_$t.txt"
done
