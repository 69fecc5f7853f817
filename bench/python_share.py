#!/usr/bin/env python
"""How much of a fastnn ``fit`` is Python: the fit's wall time against the time spent
inside the fused engine's C calls.

    python bench/python_share.py [--workloads W1,W2] [--runs 7] [--scale 1.0]

For each run a fresh model is built (untimed), the engine's FusedNet is wrapped so that
every train call is timed, and one ``fit`` as the workload defines it is timed around
it. The median run is reported. Everything outside the C calls counts as Python: input
checks, the plan look-up, shuffling, per-epoch logs and callbacks.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import frameworks  # noqa: E402
from workloads import get_workload, load_data  # noqa: E402

_TIMED = ("train_epochs", "train_steps")


class TimedNet:
    """A FusedNet stand-in that sums the seconds spent in its training calls."""

    def __init__(self, net):
        self._net = net
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name):
        attr = getattr(self._net, name)
        if name not in _TIMED:
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1
        return timed


def measure(name, runs=7, scale=None):
    """(fit seconds, seconds in C, C calls) of the median run of workload `name`."""
    from fastnn import engine
    w = get_workload(name, scale)
    if w.kind != "fit":
        raise ValueError(f"workloads: {name} is not a training workload")
    data = load_data(w)
    results = []
    for seed in range(runs):
        runner = frameworks.FastnnRunner(w, data, seed=seed)
        model = runner.model
        # epochs=0 builds what fit needs (weights, metrics, optimizer slots, the plan)
        model.fit(data.x_train, data.y_train, batch_size=w.batch_size, epochs=0, verbose=0)
        plan = engine.plan_for(model, model._convert_x(data.x_train, "fit"), training=True)
        if plan is None:
            raise RuntimeError(f"{name}: the model does not take the fused engine "
                               f"({model._engine.why})")
        plan.net = TimedNet(plan.net)
        t0 = time.perf_counter()
        runner.run()
        total = time.perf_counter() - t0
        results.append((total, plan.net.seconds, plan.net.calls))
    results.sort()
    return results[len(results) // 2]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="W1,W2")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scale", type=float, default=None)
    args = ap.parse_args(argv)
    for name in args.workloads.split(","):
        total, in_c, calls = measure(name, args.runs, args.scale)
        print(f"{name}: fit {total * 1e3:.2f} ms, in C {in_c * 1e3:.2f} ms ({calls} calls), "
              f"Python {(total - in_c) * 1e3:.2f} ms = {(total - in_c) / total:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
