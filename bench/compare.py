#!/usr/bin/env python
"""fastnn against the NumPy reference and the peers that happen to be installed.

    python bench/compare.py [--runs 3] [--workloads W1,W2,W3,W4]
                            [--frameworks fastnn,numpy,torch,keras,sklearn]
    python bench/compare.py --workloads W3,W4 --frameworks fastnn,fastnn-bf16,torch,torch-bf16
                            [--scale 1.0] [--threads N] [--timeout 900] [--json results.json]
                            [--plot peers.png]

Every run of every (framework, workload) is its own process (``compare.py --child
FRAMEWORK WORKLOAD``): it loads the data, builds the model (untimed), waits
``frameworks.SETTLE_S`` for the cores to go idle, times one ``fit`` (or, for W4, one
``predict``) and prints its result. The parent reaps it with
``os.wait4`` and takes the child's peak resident memory from the kernel (the figure
``/usr/bin/time -v`` reports as "Maximum resident set size"), so memory is that of the
whole process: interpreter, framework, data and model. Runs of the frameworks are
interleaved (run 1 of each, then run 2 of each...) so a noisy machine hurts all alike;
the table shows medians and every ratio against fastnn. ``--plot`` draws the medians
as a bar chart (one panel per workload, each bar labelled with its ratio to fastnn; needs
matplotlib).

Peers are optional: a framework whose module is not importable is listed as skipped.
torch runs with its default thread count, Keras is tf.keras (TensorFlow's CPU build),
scikit-learn is MLPClassifier; see bench/frameworks.py for the exact code of each.
``fastnn-bf16`` (the mixed_bfloat16 dtype policy) and ``torch-bf16``
(``torch.autocast("cpu", dtype=torch.bfloat16)``) run when named; each table then ends
with their time over the float32 run of the same library, and both accuracies.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# This checkout's fastnn first (as `python -m pytest` from the root sees it), then bench/.
sys.path[:0] = [REPO, HERE]

import frameworks  # noqa: E402
from workloads import WORKLOADS, get_workload, load_data, samples_per_second  # noqa: E402

RESULT_TAG = "COMPARE-RESULT "
LABELS = {"fastnn": "fastnn", "fastnn-customloss": "fastnn, custom loss function",
          "fastnn-tape": "fastnn, GradientTape loop", "numpy": "NumPy reference",
          "torch": "PyTorch", "keras": "Keras (TensorFlow)",
          "sklearn": "scikit-learn MLPClassifier",
          "fastnn-bf16": "fastnn, mixed_bfloat16",
          "torch-bf16": "PyTorch, bfloat16 autocast"}
# bfloat16 run -> the float32 run of the same library its ratio is taken against
BF16_OF = {"fastnn-bf16": "fastnn", "torch-bf16": "torch"}
# Distributions whose versions describe the run (the first one installed of each group).
DISTRIBUTIONS = (("numpy",), ("torch",), ("tensorflow", "tensorflow-cpu"), ("keras",),
                 ("scikit-learn",))
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# -- child: one timed run ------------------------------------------------------------
def _limit_threads(framework, n):
    """Pin the child's framework to n threads (the BLAS and OpenMP pools follow the
    environment the parent set; torch and TensorFlow keep their own pools)."""
    if framework.startswith("torch"):
        import torch
        torch.set_num_threads(n)
    elif framework == "keras":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    elif framework.startswith("fastnn"):
        import fastnn
        fastnn.set_num_threads(n)


def child(framework, name, scale, seed, threads=None):
    if threads:
        _limit_threads(framework, threads)
    w = get_workload(name, scale)
    data = load_data(w)
    runner, seconds = frameworks.timed_run(framework, w, data, seed=seed)
    result = {
        "framework": framework, "workload": name, "seconds": seconds,
        "samples_per_s": samples_per_second(w, data, seconds),
        "accuracy": runner.test_accuracy(), "final_loss": runner.final_loss(),
        "rows": len(data.x_train),
    }
    if framework.startswith("torch"):
        import torch
        result["threads"] = torch.get_num_threads()
    elif framework.startswith("fastnn"):
        import fastnn
        from fastnn import engine
        result["threads"] = fastnn.get_num_threads()
        plan = engine.plan_for(runner.model, data.x_train, training=True)
        state = plan.net.adapt_state() if plan is not None and w.kind == "fit" else None
        if state and state["max_team"]:   # the team-size search ran: where it ended
            result["team"], result["searches"] = state["team"], state["searches"]
            result["tried"] = state["tried"]   # the last search: (team, us per row)
    print(RESULT_TAG + json.dumps(result), flush=True)


# -- parent --------------------------------------------------------------------------
def _maxrss_mb(rusage):
    # Linux reports kilobytes, macOS bytes.
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return rusage.ru_maxrss * scale / 1e6


def run_child(framework, name, scale, seed, timeout, threads=None):
    """One child process; returns its result dict (with peak_rss_mb) or an error dict."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", framework, name,
           "--scale", repr(scale), "--seed", str(seed)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    if threads:
        cmd += ["--threads", str(threads)]
        env.update({var: str(threads) for var in THREAD_ENV})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        deadline = time.monotonic() + timeout
        while True:
            # wait4 rather than Popen.wait: it hands back this child's own rusage.
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, rusage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return {"error": f"timed out after {timeout} s"}
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    for line in stdout.splitlines():
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
            result["peak_rss_mb"] = _maxrss_mb(rusage)
            return result
    tail = (stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {proc.returncode}: {tail[:200]}"}


def _cpu():
    """(CPU model name, logical cores, cores this process may use)."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or cpu
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return cpu, os.cpu_count(), usable


def machine_description():
    lines = []
    cpu, _, usable = _cpu()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    lines.append(f"- CPU: {cpu}, {os.cpu_count()} logical cores ({usable} usable){mem}")
    lines.append(f"- OS: {platform.platform()}; Python {platform.python_version()}")
    from importlib import metadata
    versions = []
    for group in DISTRIBUTIONS:
        for dist in group:
            try:
                versions.append(f"{dist} {metadata.version(dist)}")
                break
            except metadata.PackageNotFoundError:
                pass
        else:
            versions.append(f"{group[0]} not installed")
    lines.append("- Versions: " + ", ".join(versions))
    try:
        import fastnn
        lines.append(f"- fastnn.build_info(): {fastnn.build_info()}")
    except Exception as exc:           # report, never fail the comparison on it
        lines.append(f"- fastnn: not importable ({exc})")
    threads = os.environ.get("OMP_NUM_THREADS")
    lines.append(f"- Threads: {threads} for every framework (OMP_NUM_THREADS)" if threads
                 else "- Threads: every framework at its default thread count")
    return "\n".join(lines)


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(results):
    """{(framework, workload): [run results]} -> {(framework, workload): medians}."""
    summary = {}
    for key, runs in results.items():
        good = [r for r in runs if "error" not in r]
        if not good:
            summary[key] = {"error": runs[-1]["error"] if runs else "not run"}
            continue
        summary[key] = {
            "runs": len(good),
            "seconds": _median([r["seconds"] for r in good]),
            "best": min(r["seconds"] for r in good),
            "samples_per_s": _median([r["samples_per_s"] for r in good]),
            "accuracy": _median([r["accuracy"] for r in good]),
            "peak_rss_mb": _median([r["peak_rss_mb"] for r in good]),
            "threads": good[-1].get("threads"),
            "errors": len(runs) - len(good),
        }
    return summary


def _fmt(value, spec, none="—"):
    return none if value is None else format(value, spec)


def markdown_table(workload, fws, summary, skipped):
    w = workload
    unit = "rows/s" if w.kind == "predict" else "samples/s"
    lines = [f"### {w.name}: {w.title}" + (f" (scale {w.scale})" if w.scale < 1 else ""),
             "",
             f"| framework | time (s) | best (s) | time / fastnn | {unit} | test accuracy "
             "| peak RSS (MB) | RSS / fastnn |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    base = summary.get(("fastnn", w.name), {})
    for fw in fws:
        s = summary.get((fw, w.name))
        if fw in skipped:
            lines.append(f"| {LABELS[fw]} | skipped: not installed | | | | | | |")
            continue
        if s is None:
            continue
        if "error" in s:
            lines.append(f"| {LABELS[fw]} | failed: {s['error']} | | | | | | |")
            continue
        t_ratio = (s["seconds"] / base["seconds"]) if base.get("seconds") else None
        m_ratio = (s["peak_rss_mb"] / base["peak_rss_mb"]) if base.get("peak_rss_mb") else None
        lines.append(
            f"| {LABELS[fw]} | {_secs(s['seconds'])} | {_secs(s['best'])} | {_fmt(t_ratio, '.2f')}× "
            f"| {s['samples_per_s']:,.0f} | {_fmt(s['accuracy'], '.4f')} "
            f"| {s['peak_rss_mb']:.0f} | {_fmt(m_ratio, '.2f')}× |")
    return "\n".join(lines)


def bf16_lines(workload, fws, summary):
    """One line per bfloat16 run in this table: its median time over the float32 run of
    the same library (below 1: bfloat16 is faster), and the two accuracies."""
    lines = []
    for fw, base in BF16_OF.items():
        s, b = summary.get((fw, workload.name), {}), summary.get((base, workload.name), {})
        if fw not in fws or not s.get("seconds") or not b.get("seconds"):
            continue
        acc = ""
        if s.get("accuracy") is not None and b.get("accuracy") is not None:
            acc = f"; test accuracy {s['accuracy']:.4f} against {b['accuracy']:.4f}"
        lines.append(f"- {LABELS[fw]} / {LABELS[base]} (float32): "
                     f"{s['seconds'] / b['seconds']:.2f}× the time{acc}")
    return "\n".join(lines)


def _secs(t):
    """Seconds to 3 significant digits at least (W1 takes milliseconds)."""
    return f"{t:.3f}" if t >= 0.1 else f"{t:.4f}" if t >= 0.01 else f"{t:.5f}"


def describe(workload):
    """What a workload is, in words: its network, data, batch size and length."""
    w = workload
    net = "→".join(str(n) for n in (w.n_features,) + tuple(u for u, _ in w.layers))
    if w.output_activation not in ("linear", "softmax"):
        net += f" ({w.output_activation})"
    if w.kind == "predict":
        return f"predict, network {net}, {w.n_train:,} rows, batch {w.batch_size}"
    if w.data.startswith("digits"):
        data = "digits 0/1" if w.data == "digits01" else "digits 0-9"
        text = f"digit network {net} on {data}"
    else:
        text = f"network {net} on {w.n_train:,} synthetic rows"
    return f"{text}, batch {w.batch_size}, {w.epochs} epoch{'s' if w.epochs != 1 else ''}"


def plot_chart(path, names, fws, summary, runs, scale):
    """Bar chart of the median times in `summary`: one panel per workload, a bar per
    framework that ran, each labelled with its time and its ratio to fastnn; the
    machine (CPU, cores) and the date in the title. Writes `path`, returns the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    import matplotlib

    cpu, logical, usable = _cpu()
    fig = Figure(figsize=(9.0, 0.6 + 1.9 * len(names)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
    colours = matplotlib.colormaps["tab10"]
    for ax, name in zip(axes, names):
        w = get_workload(name, scale)
        ran = [fw for fw in fws if "seconds" in summary.get((fw, name), {})]
        base = summary.get(("fastnn", name), {}).get("seconds")
        times = [summary[(fw, name)]["seconds"] for fw in ran]
        bars = ax.barh(range(len(ran)), times,
                       color=[colours(fws.index(fw) % 10) for fw in ran])
        ax.set_yticks(range(len(ran)), [LABELS[fw] for fw in ran])
        ax.invert_yaxis()
        for bar, t in zip(bars, times):
            ratio = f" ({t / base:.2f}× fastnn)" if base else ""
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                    f" {_secs(t)} s{ratio}", va="center", fontsize=8)
        missing = [LABELS[fw] for fw in fws if fw not in ran]
        title = describe(w) + (f"  [not run: {', '.join(missing)}]" if missing else "")
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xlabel("median seconds (lower is faster)", fontsize=8)
        ax.margins(x=0.35)
        ax.tick_params(labelsize=8)
    fig.suptitle(f"fastnn and its peers, {runs} run{'s' if runs > 1 else ''} per bar: "
                 f"{cpu}, {logical} cores ({usable} usable), "
                 f"{time.strftime('%Y-%m-%d', time.gmtime())}", fontsize=9)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(path)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(sorted(WORKLOADS)))
    parser.add_argument("--frameworks", default=",".join(frameworks.DEFAULT_FRAMEWORKS),
                        help="comma-separated, from " + ",".join(frameworks.FRAMEWORKS) +
                             " (default: all but the bfloat16 runs)")
    parser.add_argument("--scale", type=float, default=None,
                        help="shrink every workload (0 < scale <= 1; default "
                             "$FASTNN_BENCH_SCALE or 1)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before a child run is killed")
    parser.add_argument("--threads", type=int, default=None,
                        help="run every framework with this many threads (default: each "
                             "framework's own default)")
    parser.add_argument("--json", help="also write every run's result to this file")
    parser.add_argument("--plot", metavar="PATH",
                        help="also draw the medians as a bar chart to PATH (.png, .svg or "
                             ".pdf; needs matplotlib)")
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from workloads import get_scale
    scale = get_scale(args.scale)
    if args.child:
        child(args.child[0], args.child[1], scale, args.seed, args.threads)
        return 0

    if args.runs < 1:
        parser.error(f"--runs: expected an integer >= 1, got {args.runs}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads: expected an integer >= 1, got {args.threads}")
    if args.threads:
        os.environ.update({var: str(args.threads) for var in THREAD_ENV})
    if args.plot is not None:
        if not args.plot.lower().endswith((".png", ".svg", ".pdf")):
            parser.error(f"--plot: expected a .png, .svg or .pdf file, got {args.plot!r}")
        try:
            import matplotlib  # noqa: F401  (checked before the runs, not after)
        except ImportError:
            parser.error('--plot: needs matplotlib (pip install "fastnn-cpu[plot]")')
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    fws = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    for n in names:
        if n not in WORKLOADS:
            parser.error(f"--workloads: expected names from {sorted(WORKLOADS)}, got {n!r}")
    for f in fws:
        if f not in frameworks.FRAMEWORKS:
            parser.error(f"--frameworks: expected names from {frameworks.FRAMEWORKS}, "
                         f"got {f!r}")
    skipped = {f for f in fws if not frameworks.available(f)}
    live = [f for f in fws if f not in skipped]

    print(f"# fastnn compare: {' '.join(['python', 'bench/compare.py'] + sys.argv[1:])}")
    print(time.strftime("Measured %Y-%m-%d %H:%M UTC", time.gmtime()))
    print(machine_description())
    print(f"- {args.runs} run{'s' if args.runs > 1 else ''} per cell, each in a fresh "
          "process; medians shown. "
          "best: the fastest run. Ratios: the framework's median over fastnn's (above 1: "
          "fastnn is faster / smaller).\n", flush=True)

    results = {}
    for name in names:
        w = get_workload(name, scale)
        for run in range(args.runs):
            for fw in live:
                r = run_child(fw, name, scale, seed=run, timeout=args.timeout,
                              threads=args.threads)
                results.setdefault((fw, name), []).append(r)
                state = r.get("error") or (f"{_secs(r['seconds'])} s, "
                                           f"{r['peak_rss_mb']:.0f} MB")
                if "team" in r:
                    state += f", team {r['team']} of {r['threads']} ({r['searches']} searches"
                    state += "; last: " + ", ".join(f"{t} threads {us:.2f} us/row"
                                                    for t, us in r.get("tried", [])) + ")"
                print(f"  [{name} run {run + 1}/{args.runs}] {fw}: {state}",
                      file=sys.stderr, flush=True)
        print(markdown_table(w, fws, summarise(results), skipped) + "\n", flush=True)
        bf16 = bf16_lines(w, fws, summarise(results))
        if bf16:
            print(bf16 + "\n", flush=True)

    summary = summarise(results)
    torch_threads = next((summary.get((fw, names[0]), {}).get("threads")
                          for fw in ("torch", "torch-bf16")
                          if summary.get((fw, names[0]), {}).get("threads")), None)
    if torch_threads:
        print(f"PyTorch ran with torch.get_num_threads() = {torch_threads}.")
    if "W4" in names:
        print("W4 predicts with batch 128 in every framework but scikit-learn, whose "
              "MLPClassifier.predict_proba takes all rows in one pass.")
    if args.plot:
        plot_chart(args.plot, names, fws, summary, args.runs, scale)
        print(f"Chart: {args.plot}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": sys.argv, "scale": scale, "machine": machine_description(),
                       "runs": {f"{k[0]}/{k[1]}": v for k, v in results.items()}},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
