"""fastnn.saving: the file format, atomic writes, rejection of bad files, model round trips."""
import hashlib
import io
import json
import os
import zipfile

import numpy as np
import pytest

from fastnn import saving


# ====================================================================== the container
def _arrays():
    rng = np.random.default_rng(0)
    return {"weights": [rng.normal(size=(4, 3)).astype(np.float32), np.arange(3, dtype=np.float32)],
            "optimizer": [np.array(7, dtype=np.int64), rng.normal(size=(4, 3))]}


def _header(fmt=saving.MODEL_FORMAT):
    return {"format": fmt, "format_version": saving.FORMAT_VERSION, "fastnn_version": "test"}


def _rewrite(path, mutate):
    """Rewrite the archive at path with mutate(members: dict name -> bytes) applied."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    mutate(members)
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def _edit_config(members, fn):
    cfg = json.loads(members["config.json"])
    fn(cfg)
    members["config.json"] = json.dumps(cfg).encode()


def test_archive_round_trip_and_layout(tmp_path):
    path = tmp_path / "a.fastnn"
    saving._write_archive(path, _header(), _arrays())
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "optimizer/00000.npy", "optimizer/00001.npy",
                                         "weights/00000.npy", "weights/00001.npy"]
        cfg = json.loads(zf.read("config.json"))
        # The members are plain .npy files that numpy reads without pickle.
        w0 = np.load(io.BytesIO(zf.read("weights/00000.npy")), allow_pickle=False)
        assert hashlib.sha256(zf.read("weights/00000.npy")).hexdigest() == cfg["arrays"]["weights"][0]["sha256"]
    assert cfg["arrays"]["weights"][0]["shape"] == [4, 3] and cfg["arrays"]["weights"][0]["dtype"] == "<f4"
    assert cfg["arrays"]["optimizer"][0] == {**cfg["arrays"]["optimizer"][0], "shape": [], "dtype": "<i8"}
    config, arrays = saving._read_archive(path, saving.MODEL_FORMAT)
    assert config["fastnn_version"] == "test"
    for group, expected in _arrays().items():
        assert len(arrays[group]) == len(expected)
        for got, want in zip(arrays[group], expected):
            assert got.dtype == want.dtype and np.array_equal(got, want)
    assert np.array_equal(w0, _arrays()["weights"][0])


def test_big_endian_arrays_are_stored_little_endian(tmp_path):
    path = tmp_path / "be.fastnn"
    saving._write_archive(path, _header(), {"weights": [np.arange(4, dtype=">f8")]})
    _, arrays = saving._read_archive(path, saving.MODEL_FORMAT)
    assert arrays["weights"][0].dtype.str == "<f8" and arrays["weights"][0].tolist() == [0, 1, 2, 3]


def test_object_arrays_cannot_be_saved(tmp_path):
    with pytest.raises(TypeError, match="numeric"):
        saving._write_archive(tmp_path / "o", _header(), {"weights": [np.array([{}], dtype=object)]})
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- atomic writes
def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.fastnn"
    saving._write_archive(path, _header(), _arrays())
    before = path.read_bytes()

    real_writestr = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def failing_writestr(self, name, data, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:  # config and one array are written, then the "crash"
            raise OSError("disk full (simulated)")
        return real_writestr(self, name, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    bigger = _arrays()
    bigger["weights"][0] = bigger["weights"][0] + 1
    with pytest.raises(OSError, match="simulated"):
        saving._write_archive(path, _header(), bigger)
    monkeypatch.undo()
    assert calls["n"] == 3
    assert path.read_bytes() == before  # the old file is intact...
    assert os.listdir(tmp_path) == ["model.fastnn"]  # ...and no temporary file is left
    saving._read_archive(path, saving.MODEL_FORMAT)


def test_crash_before_replace_never_exposes_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "m.fastnn"
    saving._write_archive(path, _header(), _arrays())
    before = path.read_bytes()
    seen = {}

    def crash(src, dst):
        # At this point the new archive is complete and fsync'ed in a temp file beside path.
        seen["src"] = src
        assert os.path.dirname(os.path.abspath(src)) == str(tmp_path)
        saving._read_archive(src, saving.MODEL_FORMAT)
        raise KeyboardInterrupt  # the process dies before the rename

    monkeypatch.setattr(saving.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        saving._write_archive(path, _header(), _arrays())
    monkeypatch.undo()
    assert path.read_bytes() == before and not os.path.exists(seen["src"])


def test_save_uses_fsync_and_normal_permissions(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(saving.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "p.fastnn"
    saving._write_archive(path, _header(), _arrays())
    assert len(synced) >= 1
    mask = os.umask(0)
    os.umask(mask)
    assert (os.stat(path).st_mode & 0o777) == (0o666 & ~mask)


def test_save_onto_directory_is_an_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        saving._write_archive(tmp_path, _header(), _arrays())


# ---------------------------------------------------------------------- bad files
def _saved(tmp_path):
    path = tmp_path / "m.fastnn"
    saving._write_archive(path, _header(), _arrays())
    return path


@pytest.mark.parametrize("cut", [0, 10, 100, -200, -30, -1])
def test_truncated_files_rejected(tmp_path, cut):
    path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut else b"")
    with pytest.raises(ValueError, match="m.fastnn"):
        saving._read_archive(path, saving.MODEL_FORMAT)


@pytest.mark.parametrize("payload", [
    b"\x89HDF\r\n\x1a\n" + b"\x00" * 100,            # a Keras .h5 file
    b"\x80\x04\x95" + b"\x00" * 50,                  # a pickle
    b"just some text\n",
    b"\x93NUMPY" + b"\x00" * 100,                    # a bare .npy
])
def test_foreign_files_rejected(tmp_path, payload):
    path = tmp_path / "foreign.fastnn"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="not a fastnn file"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_foreign_zip_rejected(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as zf:  # what a Keras 3 .keras file looks like
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        zf.writestr("model.weights.h5", b"\x89HDF")
    with pytest.raises(ValueError, match="not a fastnn file: format is None"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_missing_file_and_wrong_kind(tmp_path):
    with pytest.raises(FileNotFoundError):
        saving._read_archive(tmp_path / "nope", saving.MODEL_FORMAT)
    path = tmp_path / "w.fastnn"
    saving._write_archive(path, _header(saving.WEIGHTS_FORMAT), {"weights": _arrays()["weights"]})
    with pytest.raises(ValueError, match="load_weights"):
        saving._read_archive(path, saving.MODEL_FORMAT)


@pytest.mark.parametrize("mutate, message", [
    (lambda m: m.__setitem__("weights/00000.npy", m["weights/00000.npy"][:-4] + b"\x00\x00\x80\x7f"),
     "SHA-256"),                                                                   # edited values
    (lambda m: m.pop("optimizer/00001.npy"), "missing"),                           # dropped member
    (lambda m: m.__setitem__("evil.py", b"import os"), "does not list"),           # extra member
    (lambda m: m.__setitem__("config.json", b"{not json"), "not valid UTF-8 JSON"),
    (lambda m: m.__setitem__("config.json", b"[1, 2]"), "JSON object"),
    (lambda m: _edit_config(m, lambda c: c.__setitem__("format_version", 99)), "format_version 99"),
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("shape", [3, 4])),
     "config.json says"),                                                          # shape lie
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("shape", [4000, 3000])),
     "config.json says"),                                                          # size lie
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("dtype", "|O")),
     "numeric dtype"),                                                             # object dtype
    (lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("file", "../../x.npy")),
     "should be"),                                                                 # path games
    (lambda m: _edit_config(m, lambda c: c["arrays"].__setitem__("code", [])), "'arrays' must map"),
])
def test_tampered_files_rejected(tmp_path, mutate, message):
    path = _saved(tmp_path)
    _rewrite(path, mutate)
    with pytest.raises(ValueError, match=message):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_pickled_object_array_never_unpickled(tmp_path):
    """A member holding a pickled object array (with a matching digest) is refused, not loaded."""
    path = _saved(tmp_path)
    buf = io.BytesIO()
    np.save(buf, np.array([print], dtype=object), allow_pickle=True)
    evil = buf.getvalue()

    def mutate(m):
        m["weights/00001.npy"] = evil
        _edit_config(m, lambda c: c["arrays"]["weights"][1].update(
            sha256=hashlib.sha256(evil).hexdigest(), dtype="<f4", shape=[1]))

    _rewrite(path, mutate)
    with pytest.raises(ValueError, match="not a valid .npy array|config.json says"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_member_larger_than_declared_is_not_read(tmp_path):
    """A small declared shape bounds how much of a member is ever decompressed."""
    path = tmp_path / "bomb.fastnn"
    saving._write_archive(path, _header(), {"weights": [np.zeros(1 << 20, dtype=np.float32)]})
    _rewrite(path, lambda m: _edit_config(m, lambda c: c["arrays"]["weights"][0].__setitem__("shape", [1])))
    with pytest.raises(ValueError, match="more than"):
        saving._read_archive(path, saving.MODEL_FORMAT)


def test_corrupted_member_crc_rejected(tmp_path):
    path = tmp_path / "c.fastnn"
    saving._write_archive(path, _header(), {"weights": [np.zeros(1000, dtype=np.float32)]})
    data = bytearray(path.read_bytes())
    # Flip a byte inside the compressed weights member (after the config member).
    i = data.index(b"weights/00000.npy") + 40
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        saving._read_archive(path, saving.MODEL_FORMAT)
