"""compare.py keeps working: tiny workloads, one run each, real child processes."""
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
