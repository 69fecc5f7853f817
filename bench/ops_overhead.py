"""The per-call cost of fastnn's public ops on small float32 arrays, against NumPy's
equivalent in the same run.

    python bench/ops_overhead.py [--number 2000] [--repeat 15] [--limit-us 1.5]
                                 [--threads N]

Each op runs on a 4 x 4 input, where the arithmetic is a few nanoseconds and the time
is the op's fixed cost (argument checks, dispatch, the result's allocation), and on the
shapes of a small dense layer (batch 32, 64 -> 25). Times are the minimum over --repeat
timeit runs of --number calls each, in microseconds per call: the minimum is the figure
least disturbed by other work on the machine. The ratio is NumPy's time over fastnn's
(above 1: fastnn is faster). Rows whose fixed cost (the 4 x 4 case) is --limit-us or
more are marked. --threads sets both libraries' thread count (NumPy's BLAS through
threadpoolctl): on a busy machine, OpenBLAS's threads make its small products (the
32 x 64 x 25 ones) several times slower while they wait for each other.
"""
import argparse
import sys
import timeit

import numpy as np


def cases():
    """[(label, fastnn call, NumPy call)] on fixed random float32 inputs."""
    import fastnn
    ops = fastnn.ops
    rng = np.random.default_rng(0)

    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    a4, b4, c4 = f32(4, 4), f32(4, 4), f32(4)
    x, w, b = f32(32, 64), f32(64, 25), f32(25)
    z = f32(32, 25)
    out = []
    for tag, (p, q, r, s) in (("4x4", (a4, b4, c4, a4)), ("32x64x25", (x, w, b, z))):
        out += [
            (f"matmul {tag}", lambda p=p, q=q: ops.matmul(p, q),
             lambda p=p, q=q: np.matmul(p, q)),
            (f"dense relu {tag}", lambda p=p, q=q, r=r: ops.dense(p, q, r, "relu"),
             lambda p=p, q=q, r=r: np.maximum(p @ q + r, 0)),
            (f"relu {tag}", lambda s=s: ops.relu(s), lambda s=s: np.maximum(s, 0)),
            (f"sigmoid {tag}", lambda s=s: ops.sigmoid(s),
             lambda s=s: 1 / (1 + np.exp(-s))),
            (f"tanh {tag}", lambda s=s: ops.tanh(s), lambda s=s: np.tanh(s)),
            (f"add {tag}", lambda s=s: ops.add(s, s), lambda s=s: np.add(s, s)),
            (f"multiply {tag}", lambda s=s: ops.multiply(s, s),
             lambda s=s: np.multiply(s, s)),
        ]
    return out


def best_us(fn, number, repeat):
    """Minimum over `repeat` timeit runs of `number` calls, in microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def _positive_int(v):
    try:
        n = int(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v!r}")
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v!r}")
    return n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--number", type=_positive_int, default=2000,
                   help="calls per timeit run (default 2000)")
    p.add_argument("--repeat", type=_positive_int, default=15,
                   help="timeit runs; the minimum is reported (default 15)")
    p.add_argument("--limit-us", type=float, default=1.5,
                   help="fixed-cost budget in microseconds (default 1.5)")
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="threads for both libraries (default: each library's own count)")
    args = p.parse_args(argv)
    if not args.limit_us > 0:
        p.error(f"--limit-us: expected a positive number, got {args.limit_us}")
    import fastnn
    from workloads import limit_threads
    limiter = limit_threads(args.threads) if args.threads else None
    print(f"fastnn {fastnn.__version__} ({fastnn.get_num_threads()} threads), NumPy "
          f"{np.__version__}; minimum of {args.repeat} x {args.number} calls, microseconds "
          f"per call")
    print("| op | fastnn us | NumPy us | ratio |")
    print("|---|---:|---:|---:|")
    over = []
    for label, ours, theirs in cases():
        ours(), theirs()
        t_ours = best_us(ours, args.number, args.repeat)
        t_theirs = best_us(theirs, args.number, args.repeat)
        mark = ""
        if label.endswith("4x4") and t_ours >= args.limit_us:
            mark = f" (fixed cost over {args.limit_us} us)"
            over.append(label)
        print(f"| {label} | {t_ours:.2f} | {t_theirs:.2f} | {t_theirs / t_ours:.2f}{mark} |",
              flush=True)
    if over:
        print(f"fixed cost at or over {args.limit_us} us: {', '.join(over)}")
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
