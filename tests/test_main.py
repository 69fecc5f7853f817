"""python -m fastnn: trains the seed's digit network to >= 0.95 test accuracy."""
import os
import re
import subprocess
import sys

import pytest

import fastnn

# The folder the fastnn under test is imported from: this checkout, or site-packages
# when the tests run against an installed wheel (the checkout's own fastnn/ has no
# compiled module then, and must not shadow the installed one in a child process).
FASTNN_HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))


def run_main(*args):
    env = dict(os.environ, PYTHONPATH=FASTNN_HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fastnn", *args], capture_output=True, text=True,
                          env=env, cwd=FASTNN_HOME, timeout=300)


def test_main_job_reaches_095_with_progress_bar():
    proc = run_main()
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    acc = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert acc >= 0.95
    assert re.search(r"training time: [0-9.]+ s", out)
    epochs = re.findall(r"Epoch (\d+)/(\d+)", out)
    assert epochs and epochs[-1][0] == epochs[-1][1]  # the bar ran to the last epoch
    assert "loss:" in out and "accuracy:" in out


def test_main_quiet_and_options():
    proc = run_main("--quiet", "--epochs", "2", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert "Epoch" not in proc.stdout and "test accuracy:" in proc.stdout
    assert "(2 epochs" in proc.stdout


@pytest.mark.parametrize("args, message", [(["--epochs", "0"], "--epochs must be >= 1"),
                                           (["--learning-rate", "-1"], "--learning-rate must be > 0")])
def test_main_rejects_bad_options(args, message):
    proc = run_main(*args)
    assert proc.returncode == 2 and message in proc.stderr
