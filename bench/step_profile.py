"""Where one W3 training step spends its time, kernel by kernel, at one thread count.

    python bench/step_profile.py [--threads N] [--repeats 200] [--scale 1.0]
    python bench/step_profile.py --workload W2 [--threads 1]     # a digit network's step

Times each kernel the fused step calls (csrc/train_impl.inc, fnn_train_steps) on W3's
shapes (batch 128, 784-512-256-10, Adam), in the step's order, through fastnn._kernels;
then the whole step (one epoch of fit over 60,000 rows, per step) with the team-size
policy on and off, the second split into its phases as the engine times them
(FusedNet.set_phase_timing). The kernels' sum against the step shows what the kernels
alone do not explain; 1-thread against N-thread times show which kernels do not scale. Medians
of ``--repeats`` calls, in microseconds. With ``--policy mixed_bfloat16`` the model is
built under that dtype policy and only the whole step and its phases are timed (the
kernels one by one are the float32 ones).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def median_us(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e6 * float(np.median(times))


def kernel_times(repeats, batch=128, sizes=(784, 512, 256, 10)):
    from fastnn import _kernels as K
    from fastnn._codes import ACTIVATIONS, LOSSES
    rng = np.random.default_rng(0)
    f = np.float32
    relu, linear = ACTIVATIONS["relu"][0], ACTIVATIONS["linear"][0]
    x = rng.standard_normal((batch, sizes[0])).astype(f)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(dict(
            W=(rng.standard_normal((n_in, n_out)) * 0.05).astype(f), b=np.zeros(n_out, f),
            Z=np.empty((batch, n_out), f), A=np.empty((batch, n_out), f),
            dZ=np.empty((batch, n_out), f), dW=np.empty((n_in, n_out), f),
            db=np.empty(n_out, f), mW=np.zeros(n_in * n_out, f), vW=np.zeros(n_in * n_out, f),
            mb=np.zeros(n_out, f), vb=np.zeros(n_out, f),
            act=relu if i < len(sizes) - 2 else linear))
    y = rng.integers(0, sizes[-1], (batch, 1)).astype(f)
    rows = []

    def add(name, fn):
        rows.append((name, median_us(fn, repeats)))

    src = x
    for i, L in enumerate(layers):
        add(f"forward {i} ({src.shape[1]}x{L['W'].shape[1]})",
            lambda L=L, src=src: K.dense_forward(src, L["W"], L["b"], L["act"], 0.0, L["Z"], L["A"]))
        K.dense_forward(src, L["W"], L["b"], L["act"], 0.0, L["Z"], L["A"])
        src = L["A"]
    last = layers[-1]
    add("loss (sparse CE logits)",
        lambda: K.loss(LOSSES["sparse_categorical_crossentropy_logits"], 0.0, y, last["A"],
                       None, 1.0 / batch, last["dZ"], None))
    for i in reversed(range(len(layers))):
        L = layers[i]
        xin = x if i == 0 else layers[i - 1]["A"]
        dX = None if i == 0 else layers[i - 1]["dZ"]
        add(f"backward {i} (dW{', dX' if dX is not None else ''})",
            lambda L=L, xin=xin, dX=dX: K.dense_backward(xin, L["W"], L["dZ"], L["dW"], L["db"], dX))
        add(f"adam {i} (W {L['W'].size:,} + b)",
            lambda L=L: (K.adam_update(L["W"].reshape(-1), L["dW"].reshape(-1), L["mW"], L["vW"],
                                       1e-7, 0.9, 0.999, 1e-7, 0.0),
                         K.adam_update(L["b"], L["db"], L["mb"], L["vb"], 1e-7, 0.9, 0.999, 1e-7, 0.0)))
        if i > 0:
            P = layers[i - 1]
            add(f"relu backward {i - 1}",
                lambda P=P: K.act_backward(relu, 0.0, P["Z"], P["A"], P["dZ"], P["dZ"]))
    # The same products through NumPy's BLAS (its thread count: OPENBLAS_NUM_THREADS).
    L0, L1 = layers[0], layers[1]
    add("numpy: x @ W0", lambda: np.matmul(x, L0["W"], out=L0["Z"]))
    add("numpy: x.T @ dZ0", lambda: np.matmul(x.T, L0["dZ"], out=L0["dW"]))
    add("numpy: A0.T @ dZ1 + dZ1 @ W1.T",
        lambda: (np.matmul(L0["A"].T, L1["dZ"], out=L1["dW"]), np.matmul(L1["dZ"], L1["W"].T, out=L0["dZ"])))
    return rows


def step_times(scale=None, workload="W3"):
    """Microseconds per step of fit on a workload's rows (scaled as workloads.py scales
    them; its epochs, at least one), the model built and compiled as bench/compare.py
    builds it, with the team-size policy on and off, and the policy's state after."""
    import frameworks
    from workloads import get_workload, load_data
    w = get_workload(workload, scale)
    data = load_data(w)
    x, y, batch, epochs = data.x_train, data.y_train, w.batch_size, max(1, w.epochs)
    out = {}
    for adapt in (True, False):
        model = frameworks.FastnnRunner(w, data, seed=0).model
        model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, epochs=1, verbose=0)
        net = model._engine.fit_plan.net
        net.set_adapt(adapt)
        net.set_phase_timing(not adapt)   # the policy-off fit also reports its phases
        t = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True)
        dt = time.perf_counter() - t
        out[adapt] = (1e6 * dt / (-(-len(x) // batch) * epochs), net.adapt_state(),
                      net.phase_times())
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--scale", type=float, default=None, help="scale of the workload's rows or epochs (see workloads.py)")
    p.add_argument("--workload", default="W3",
                   help="the fit to time step by step: W3 (784-512-256-10, with its kernels "
                        "timed one by one first), W1 or W2 (the digit networks, 100 epochs)")
    p.add_argument("--policy", default="float32", choices=("float32", "mixed_bfloat16"),
                   help="the dtype policy the model is built under (default float32)")
    args = p.parse_args(argv)
    import fastnn
    from fastnn import mixed_precision
    if args.threads:
        fastnn.set_num_threads(args.threads)
    before = mixed_precision.global_policy()
    mixed_precision.set_global_policy(args.policy)
    try:
        return _report(args)
    finally:
        mixed_precision.set_global_policy(before)


def _report(args):
    import fastnn
    print(f"threads {fastnn.get_num_threads()}, dtype policy {args.policy}, {fastnn.build_info()}",
          flush=True)
    if args.workload == "W3" and args.policy == "float32":
        rows = kernel_times(args.repeats)
        for name, us in rows:
            print(f"  {name:34s} {us:9.1f} us")
        total = sum(us for name, us in rows if not name.startswith("numpy"))
        print(f"  {'kernels, sum':34s} {total:9.1f} us")
    for adapt, (us, state, phases) in step_times(args.scale, args.workload).items():
        print(f"  {'fit step, policy ' + ('on' if adapt else 'off'):34s} {us:9.2f} us   {state}")
        for name, phase_us in (phases or {}).items():
            print(f"    {'phase ' + name:32s} {phase_us:9.2f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
