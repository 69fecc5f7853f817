"""What fastnn.autodiff costs per operation on small arrays: medians, printed.

  python bench/tape_overhead.py [--number 2000] [--repeat 15]

Rows, each against the plain NumPy call on ndarrays of the same shape:
  - no tape anywhere: NumPy operators and functions on Tensors (no hook is installed:
    the target is < 1 us over NumPy), and the keras.ops functions (fastnn.autodiff.ops);
  - a tape active in another thread only (the hooks are installed; this thread does not
    record): NumPy on Tensors takes the hook's plain path;
  - recording: the op's inputs are watched, so each call records a node;
  - backward: one tape.gradient over a chain of recorded ops, per op.
Timing goals are not asserted anywhere (machines here are noisy); quote medians.
"""
import argparse
import statistics
import threading
import timeit

import numpy as np

from fastnn.tensor import Tensor
from fastnn.autodiff import GradientTape, ops

SHAPES = {"x": (4, 4), "w": (4, 4)}


def median_us(stmt, ns, number, repeat, setup=None):
    times = timeit.repeat(stmt, globals=ns, number=number, repeat=repeat, setup=setup or "pass")
    return statistics.median(times) / number * 1e6


STATEMENTS = {
    "x * y": "x * y",
    "np.exp(x)": "np.exp(x)",
    "x.sum()": "x.sum()",
    "np.mean(x)": "np.mean(x)",
    "x @ w": "x @ w",
    "x[1:3]": "x[1:3]",
}
OPS = {
    "x * y": "ops.multiply(x, y)",
    "np.exp(x)": "ops.exp(x)",
    "x.sum()": "ops.sum(x)",
    "np.mean(x)": "ops.mean(x)",
    "x @ w": "ops.matmul(x, w)",
    "x[1:3]": None,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    n, r = args.number, args.repeat
    rng = np.random.default_rng(0)
    xa = rng.standard_normal(SHAPES["x"])
    ya = rng.standard_normal(SHAPES["x"])
    wa = rng.standard_normal(SHAPES["w"])
    plain = {"np": np, "x": xa, "y": ya, "w": wa}
    tens = {"np": np, "ops": ops, "x": xa.view(Tensor), "y": ya.view(Tensor),
            "w": wa.view(Tensor)}

    rows = []
    for label, stmt in STATEMENTS.items():
        base = median_us(stmt, plain, n, r)
        no_tape = median_us(stmt, tens, n, r)
        op = OPS[label]
        op_t = median_us(op, tens, n, r) if op else None
        rows.append([label, base, no_tape, op_t])

    # A tape active in another thread: hooks installed, this thread not recording.
    started, stop = threading.Event(), threading.Event()

    def hold():
        with GradientTape():
            started.set()
            stop.wait()
    th = threading.Thread(target=hold)
    th.start()
    started.wait()
    try:
        for row, stmt in zip(rows, STATEMENTS.values()):
            row.append(median_us(stmt, tens, n, r))
    finally:
        stop.set()
        th.join()

    # Recording: x, y, w watched, every call records a node (the tape is reset between
    # repeats so it does not grow without bound).
    for row, (label, stmt) in zip(rows, STATEMENTS.items()):
        vals = []
        for _ in range(r):
            x, y, w = (a.view(Tensor) for a in (xa, ya, wa))
            with GradientTape() as tape:
                tape.watch([x, y, w])
                ns = {"np": np, "ops": ops, "x": x, "y": y, "w": w}
                vals.append(timeit.timeit(stmt, globals=ns, number=n) / n * 1e6)
            del tape
        row.append(statistics.median(vals))
        op = OPS[label]
        if op:
            vals = []
            for _ in range(r):
                x, y, w = (a.view(Tensor) for a in (xa, ya, wa))
                with GradientTape() as tape:
                    tape.watch([x, y, w])
                    ns = {"np": np, "ops": ops, "x": x, "y": y, "w": w}
                    vals.append(timeit.timeit(op, globals=ns, number=n) / n * 1e6)
                del tape
            row.append(statistics.median(vals))
        else:
            row.append(None)

    def fmt(v):
        return "      -" if v is None else f"{v:7.2f}"

    print(f"Per-op time in microseconds (median of {r} x {n} calls), arrays {SHAPES['x']}; "
          f"'+' columns are the difference to plain NumPy on ndarrays.\n")
    print(f"{'operation':<12} {'NumPy':>7} | {'no tape':>7} {'+':>6} | {'ops.*':>7} {'+':>6} "
          f"| {'other thr':>9} {'+':>6} | {'recording':>9} {'+':>6} | {'rec ops.*':>9}")
    for label, base, nt, opt, other, rec, rec_op in rows:
        print(f"{label:<12} {base:7.2f} | {nt:7.2f} {nt - base:+6.2f} | {fmt(opt)} "
              f"{'' if opt is None else f'{opt - base:+6.2f}':>6} | {other:9.2f} "
              f"{other - base:+6.2f} | {rec:9.2f} {rec - base:+6.2f} | {fmt(rec_op):>9}")

    # Backward: a chain of 200 recorded element-wise ops, one gradient call.
    def chain():
        x = xa.view(Tensor)
        with GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(100):
                y = np.tanh(y) * 1.01
            loss = np.sum(y)
        tape.gradient(loss, x)
    total = statistics.median(timeit.repeat(chain, number=5, repeat=r)) / 5 * 1e6
    print(f"\nforward + backward of a 200-op chain (tanh, multiply): {total:.0f} us, "
          f"{total / 200:.2f} us per op")


if __name__ == "__main__":
    main()
