"""fastnn.ops.matmul against NumPy's matmul (OpenBLAS here) over a sweep of shapes:
square products from 64^3 to 4096^3 (the powers of two and a few sizes between them,
1000..1040 around 1024 among them) and the GEMMs of one training step of the
784-512-256-10 network at batch 128 (forward x W, the weight gradient x^T dz and the
input gradient dz W^T of each layer).

    python bench/gemm_sweep.py [--max-size 4096] [--dtype float32] [--threads N]
                               [--seconds 0.2] [--rounds 3] [--pause 0.15] [--markdown]

Both libraries run in the same process on the same operands, one after the other, in
alternating order over --rounds rounds; each round times a block of calls of one, waits
--pause seconds, then a block of the other. The figures are medians over every call,
GFLOP/s = 2 M N K / median time, and the ratio is NumPy's median time over fastnn's
(above 1: fastnn is faster); the best (minimum) times are given too, the steadier figure
on a machine shared with other work.

The pause matters on a machine with few cores: after a call, OpenBLAS's worker threads
keep spinning for about 0.1 s (its thread timeout), and fastnn's OpenMP threads for a few
milliseconds, each holding a core the next library's threads need. Timed back to back
(--pause 0) on two cores, each library runs at about half speed right after the other,
at every size, which is an artefact of the alternation, not of either GEMM.
"""
import argparse
import statistics
import sys
import time

import numpy as np

SQUARE = (64, 128, 256, 384, 512, 768, 1000, 1008, 1016, 1024, 1032, 1040, 1536, 2048,
          3072, 4096)


def mlp_shapes(batch=128, sizes=(784, 512, 256, 10)):
    """[(label, M, K, N, trans_a, trans_b)] of one training step of a Dense stack.

    The forward GEMM of layer l is x (batch x n_in) times W (n_in x n_out); its weight
    gradient x^T dz (x read transposed) and, from the second layer on, the input
    gradient dz W^T (W read transposed).
    """
    out = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        out.append((f"forward {batch}x{n_in} . {n_in}x{n_out}", batch, n_in, n_out,
                    False, False))
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        out.append((f"dW {n_in}x{batch} . {batch}x{n_out} (x^T dz)", n_in, batch, n_out,
                    True, False))
    for n_in, n_out in list(zip(sizes[:-1], sizes[1:]))[1:]:
        out.append((f"dX {batch}x{n_out} . {n_out}x{n_in} (dz W^T)", batch, n_out, n_in,
                    False, True))
    return out


def sweep_shapes(max_size=4096):
    """Square shapes up to max_size, then the 784-512-256-10 training shapes."""
    sq = [(f"{n}^3", n, n, n, False, False) for n in SQUARE if n <= max_size]
    return sq + mlp_shapes()


def _operands(M, K, N, trans_a, trans_b, dtype, rng):
    """(a, b) with op(a) M x K and op(b) K x N; a transposed operand is the .T view of a
    C-contiguous array, as in a backward pass."""
    a = rng.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if trans_b else (K, N)).astype(dtype)
    return (a.T if trans_a else a), (b.T if trans_b else b)


def _block(fn, calls):
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def measure(M, K, N, trans_a=False, trans_b=False, dtype=np.float32, seconds=0.2,
            rounds=3, pause=0.15, seed=0):
    """Median seconds per call of fastnn.ops.matmul and numpy.matmul on one shape.

    Parameters
    ----------
    M, K, N : int
        The product's shape: op(a) is M x K, op(b) is K x N.
    trans_a, trans_b : bool
        Whether a (b) is passed as the transposed view of a C-contiguous array.
    dtype : numpy dtype
        float32 or float64.
    seconds : float
        About how long each block of calls runs (at least 3 calls per block).
    rounds : int
        Rounds of (fastnn block, pause, NumPy block, pause), the order alternating.
    pause : float
        Seconds to wait after each block (see the module's docstring).
    seed : int
        Seed of the random operands.

    Returns
    -------
    dict
        ``fastnn`` and ``numpy``: median seconds per call; ``fastnn_min`` and
        ``numpy_min``: the fastest call; ``max_rel_diff``: the largest difference between
        the two results relative to NumPy's largest magnitude.
    """
    import fastnn
    rng = np.random.default_rng(seed)
    a, b = _operands(M, K, N, trans_a, trans_b, dtype, rng)
    ours = lambda: fastnn.ops.matmul(a, b)   # noqa: E731
    theirs = lambda: np.matmul(a, b)         # noqa: E731
    got, want = np.asarray(ours()), theirs()
    diff = float(np.abs(got - want).max() / (np.abs(want).max() + 1e-30))
    t0 = time.perf_counter()
    theirs()
    one = max(time.perf_counter() - t0, 1e-7)
    calls = max(3, int(seconds / one))
    times = {"fastnn": [], "numpy": []}
    order = [("fastnn", ours), ("numpy", theirs)]
    time.sleep(pause)
    for r in range(rounds):
        for name, fn in (order if r % 2 == 0 else order[::-1]):
            fn()                                   # warm: buffers, caches
            times[name] += _block(fn, calls)
            time.sleep(pause)
    return {"fastnn": statistics.median(times["fastnn"]),
            "numpy": statistics.median(times["numpy"]), "fastnn_min": min(times["fastnn"]),
            "numpy_min": min(times["numpy"]), "max_rel_diff": diff}


def _positive(v, name, cast=float):
    try:
        x = cast(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: expected a positive number, got {v!r}")
    if not x > 0:
        raise argparse.ArgumentTypeError(f"{name}: expected a positive number, got {v!r}")
    return x


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-size", type=lambda v: _positive(v, "--max-size", int), default=4096,
                   help="largest square size (default 4096)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--threads", type=lambda v: _positive(v, "--threads", int), default=None,
                   help="threads for both libraries (default: each library's own count)")
    p.add_argument("--seconds", type=lambda v: _positive(v, "--seconds"), default=0.2,
                   help="about how long each block of calls runs (default 0.2)")
    p.add_argument("--rounds", type=lambda v: _positive(v, "--rounds", int), default=3)
    p.add_argument("--pause", type=float, default=0.15,
                   help="seconds between blocks; 0 times back to back (default 0.15)")
    p.add_argument("--only", default=None,
                   help="comma-separated labels (or square sizes) to run, e.g. 1024,2048")
    args = p.parse_args(argv)
    if args.pause < 0:
        p.error(f"--pause: expected a number >= 0, got {args.pause}")

    import fastnn
    from workloads import limit_threads
    limiter = limit_threads(args.threads) if args.threads else None
    shapes = sweep_shapes(args.max_size)
    if args.only:
        want = {s.strip() for s in args.only.split(",")}
        shapes = [s for s in shapes if s[0] in want or s[0].split("^")[0] in want]
        if not shapes:
            p.error(f"--only: no shape matches {args.only!r}")
    dtype = np.dtype(args.dtype)
    print(f"fastnn {fastnn.__version__}, {fastnn.get_num_threads()} threads; NumPy "
          f"{np.__version__}; {args.dtype}; blocks of ~{args.seconds} s, {args.rounds} "
          f"rounds, pause {args.pause} s")
    print("| shape | M x K x N | fastnn ms | NumPy ms | fastnn GFLOP/s | NumPy GFLOP/s | "
          "ratio | best: fastnn GFLOP/s | NumPy GFLOP/s | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, M, K, N, ta, tb in shapes:
        r = measure(M, K, N, ta, tb, dtype, args.seconds, args.rounds, args.pause)
        tol = (1e-5 if dtype == np.float32 else 1e-13) * np.sqrt(K)
        if r["max_rel_diff"] > tol:
            print(f"{label}: results differ from NumPy's by {r['max_rel_diff']:.2e} "
                  f"(relative), more than {tol:.1e}", file=sys.stderr)
            return 1
        fl = 2.0 * M * N * K
        print(f"| {label} | {M}x{K}x{N} | {r['fastnn'] * 1e3:.3f} | {r['numpy'] * 1e3:.3f} "
              f"| {fl / r['fastnn'] / 1e9:.1f} | {fl / r['numpy'] / 1e9:.1f} | "
              f"{r['numpy'] / r['fastnn']:.2f} | {fl / r['fastnn_min'] / 1e9:.1f} | "
              f"{fl / r['numpy_min'] / 1e9:.1f} | {r['numpy_min'] / r['fastnn_min']:.2f} |",
              flush=True)
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
