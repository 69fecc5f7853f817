"""This machine's float32 FMA peak at several thread counts: the yardstick for the GEMM
and training figures in bench/PERFORMANCE.md ("% of peak").

    python bench/peak.py [--threads 1,2] [--isa auto|avx2|avx512] [--seconds 0.3]

Each thread runs independent FMA chains in registers (csrc/peak.c) for about --seconds;
prints GFLOP/s (2 per multiply-add) for the team and per thread, the best of 3 tries.
--isa auto takes the register width fastnn's packed GEMM can use.
"""
import argparse
import sys


def peaks(threads, isa="auto", seconds=0.3, tries=3):
    """{threads: best GFLOP/s of `tries` measurements}."""
    from fastnn import _kernels
    return {nt: max(_kernels.fma_peak(nt, isa, seconds) for _ in range(tries))
            for nt in threads}


def main(argv=None):
    from thread_scaling import _ints
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", default="1,2")
    p.add_argument("--isa", choices=("auto", "avx2", "avx512"), default="auto")
    p.add_argument("--seconds", type=float, default=0.3)
    args = p.parse_args(argv)
    threads = _ints(args.threads, "threads")
    if not 0 < args.seconds <= 10:
        raise SystemExit(f"--seconds: expected a number in (0, 10], got {args.seconds}")
    try:
        result = peaks(threads, args.isa, args.seconds)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f"float32 FMA peak, isa {args.isa}, best of 3 x {args.seconds} s (GFLOP/s):")
    for nt, g in result.items():
        print(f"  {nt:3d} threads: {g:9.1f}   per thread {g / nt:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
