"""compare.py keeps working: tiny workloads, one run each, real child processes."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import compare


def test_compare_prints_a_table_with_memory_and_ratios(capsys, tmp_path):
    out_json = tmp_path / "runs.json"
    assert compare.main(["--runs", "1", "--scale", "0.01", "--workloads", "W2,W4",
                         "--frameworks", "fastnn,numpy", "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "CPU:" in text and "fastnn.build_info()" in text
    for name in ("W2", "W4"):
        assert f"### {name}:" in text
    rows = [line for line in text.splitlines() if line.startswith("| NumPy reference")]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        seconds, rss = float(cells[1]), float(cells[6])
        assert seconds > 0 and 10 < rss < 2000          # MB: a real process was measured
        assert cells[3].endswith("×")
    assert out_json.stat().st_size > 0


def test_child_failure_is_reported_not_raised():
    r = compare.run_child("numpy", "W9", 0.01, seed=0, timeout=60)
    assert "error" in r and "exit" in r["error"]


def test_fastnn_child_reports_where_the_team_size_search_ended():
    # W3 at 1/100 scale: 600 rows, 5 steps of 784x512 work, worth threads on 2 of them
    import fastnn
    r = compare.run_child("fastnn", "W3", 0.01, seed=0, timeout=120, threads=2)
    assert "error" not in r and r["threads"] == 2
    if fastnn.build_info()["openmp"]:    # else every step is serial: no search
        assert 1 <= r["team"] <= 2 and r["searches"] >= 1
        assert r["tried"][0][0] == 2 and all(us > 0 for _, us in r["tried"])
    # one thread: no search, nothing to report
    r1 = compare.run_child("fastnn", "W3", 0.01, seed=0, timeout=120, threads=1)
    assert "error" not in r1 and "team" not in r1


def test_compare_plot_draws_the_medians_by_workload_in_words(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    chart = tmp_path / "peers.svg"
    assert compare.main(["--runs", "1", "--scale", "0.01", "--workloads", "W2",
                         "--frameworks", "fastnn,numpy", "--plot", str(chart)]) == 0
    assert f"Chart: {chart}" in capsys.readouterr().out
    root = ET.parse(chart).getroot()                     # a valid SVG
    texts = ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]
    joined = "\n".join(texts)
    w2 = compare.get_workload("W2", 0.01)
    assert compare.describe(w2) == ("digit network 64→25→15→10 on digits 0-9, batch 32, "
                                    "1 epoch")
    assert compare.describe(w2) in texts
    assert "fastnn" in texts and "NumPy reference" in texts
    assert any(t.strip().endswith("(1.00× fastnn)") for t in texts)   # fastnn's own bar
    cpu, cores, _ = compare._cpu()
    assert cpu in joined and f"{cores} cores" in joined
    assert not any(f"W{i}" in joined for i in range(1, 5))   # no internal labels


def test_compare_plot_refuses_an_unknown_format(tmp_path):
    with pytest.raises(SystemExit):
        compare.main(["--runs", "1", "--plot", str(tmp_path / "peers.gif")])


def test_bf16_runs_end_the_table_with_their_ratio_to_float32(capsys):
    # the default list leaves the bfloat16 runs out; named, each gets its ratio line
    assert "fastnn-bf16" not in compare.frameworks.DEFAULT_FRAMEWORKS
    fws = ["fastnn", "fastnn-bf16"]
    try:
        import torch  # noqa: F401
        fws += ["torch", "torch-bf16"]
    except ImportError:
        pass
    assert compare.main(["--runs", "1", "--scale", "0.01", "--workloads", "W3",
                         "--frameworks", ",".join(fws)]) == 0
    text = capsys.readouterr().out
    assert "| fastnn, mixed_bfloat16 |" in text
    line = next(ln for ln in text.splitlines()
                if ln.startswith("- fastnn, mixed_bfloat16 / fastnn (float32): "))
    ratio = float(line.split(": ")[1].split("×")[0])
    assert ratio > 0 and "test accuracy" in line
    if "torch-bf16" in fws:
        assert "- PyTorch, bfloat16 autocast / PyTorch (float32): " in text


def test_torch_bf16_runner_predicts_in_bfloat16_and_returns_float32():
    torch = pytest.importorskip("torch")
    import frameworks
    import workloads
    w = workloads.get_workload("W4", 0.01)
    data = workloads.load_data(w)
    f32 = frameworks.TorchRunner(w, data, seed=0)
    bf = frameworks.TorchBf16Runner(w, data, seed=0)
    f32.run()
    bf.run()
    assert bf.outputs.dtype == np.float32 and bf.outputs.shape == f32.outputs.shape
    # the same weights (same seed); bfloat16 products differ from float32 ones a little
    assert not np.array_equal(bf.outputs, f32.outputs)
    np.testing.assert_allclose(bf.outputs, f32.outputs, atol=0.1 * np.abs(f32.outputs).max())
    with bf.autocast():     # a matrix product in it runs in bfloat16
        prod = torch.ones(2, 3) @ torch.ones(3, 2)
    assert prod.dtype == torch.bfloat16
