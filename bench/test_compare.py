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
