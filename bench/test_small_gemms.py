"""bench/small_gemms.c and bench/bf16_gemms.c build from csrc with the command their
headers give, and time their GEMMs."""
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _build_command(exe, name="small_gemms"):
    """The gcc line of bench/<name>.c's header, its output renamed to exe."""
    with open(os.path.join(HERE, name + ".c")) as f:
        header = f.read().split("*/", 1)[0]
    lines = [ln.strip(" *").rstrip("\\").strip() for ln in header.splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("gcc "))
    words = []
    for ln in lines[start:]:
        if not ln or ln.startswith("OMP_NUM_THREADS"):
            break
        words += ln.split()
    return [exe if w == name else w for w in words]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_small_gemms_builds_and_times_the_eight_products(tmp_path):
    exe = str(tmp_path / "small_gemms")
    subprocess.run(_build_command(exe), cwd=REPO, check=True)
    out = subprocess.run([exe, "20"], check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1")).stdout
    rows = [ln for ln in out.splitlines() if re.search(r"\d ns ", ln)]
    assert len(rows) == 8 and "the step's eight GEMMs" in out
    bad = subprocess.run([exe, "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "calls" in bad.stderr


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_bf16_gemms_builds_and_times_the_step_s_bfloat16_products(tmp_path):
    exe = str(tmp_path / "bf16_gemms")
    subprocess.run(_build_command(exe, "bf16_gemms"), cwd=REPO, check=True)
    out = subprocess.run([exe, "0.001"], check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1")).stdout
    rows = [ln for ln in out.splitlines() if re.search(r"\d us", ln)]
    assert len(rows) == 9 and rows[0].startswith("forward 0")
    bad = subprocess.run([exe, "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "scale" in bad.stderr
