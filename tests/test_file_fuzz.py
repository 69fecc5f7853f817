"""Crafted and mutated model files: a load ends in ValueError (naming the file) or in a
correct model, and a refusal is cheap, whatever the file holds.

The crafted files that used to cost gigabytes (shape bombs, wrapping size products, a
config asking for Dense(12000) on 12,000 inputs, a deflate bomb) are loaded in one child
process with its address space capped (RLIMIT_AS) and a timeout, and each load's time
and peak traced memory are reported back; the cheap ones and the hypothesis mutation
fuzz run here, the fuzz under the same kind of cap and an alarm per example.
"""
import contextlib
import hashlib
import io
import json
import os
import re
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fastnn import saving
from fastnn.models import load_model, model_from_json

pytestmark = pytest.mark.filterwarnings("ignore:load_model.*skipping the optimizer state")


# ====================================================================== helpers
def _trained(path, rich=False, seed=0):
    """Save a small trained model (Adam with a schedule, so the file holds a step count
    and slots) to path; returns the model."""
    from fastnn import Sequential
    from fastnn.layers import BatchNormalization, Dense, Dropout, Input, Normalization
    from fastnn.losses import SparseCategoricalCrossentropy
    from fastnn.optimizers import Adam
    from fastnn.optimizers.schedules import ExponentialDecay
    from fastnn.utils import set_random_seed
    set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    if rich:
        norm = Normalization()
        norm.adapt(x)
        layers = [Input((6,)), norm, Dense(5, activation="relu"), BatchNormalization(),
                  Dropout(0.1), Dense(3)]
    else:
        layers = [Input((6,)), Dense(5, activation="relu"), Dense(3)]
    m = Sequential(layers, name="small")
    m.compile(optimizer=Adam(learning_rate=ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)),
              loss=SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    m.save(path)
    return m


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _config(members):
    return json.loads(members["config.json"])


def _put_config(members, cfg, **dump):
    members["config.json"] = json.dumps(cfg, **dump).encode()


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _npy_header(shape, descr):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _replace_array(members, group, i, data, shape, dtype):
    """Put `data` as arrays.<group>[i] with a matching digest and the given declaration."""
    name = f"{group}/{i:05d}.npy"
    members[name] = data
    cfg = _config(members)
    cfg["arrays"][group][i] = {"file": name, "shape": list(shape), "dtype": dtype,
                               "sha256": hashlib.sha256(data).hexdigest()}
    _put_config(members, cfg)


def _raw_zip(path, entries):
    """A ZIP written by hand, for what zipfile will not write: entries are
    (name, stored bytes, method, crc32, uncompressed size as the directory states it)."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, usize in entries:
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                           len(data), usize, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                               crc, len(data), usize, len(n), 0, 0, 0, 0, 0, offset) + n
    cd_offset = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                                 len(central), cd_offset, 0)
    with open(path, "wb") as f:
        f.write(bytes(out))


def _deflate_bomb(header, zero_mib):
    """(raw deflate stream, crc32, size) of header + zero_mib MiB of zero bytes, built in
    milliseconds: after a full flush every MiB of zeros deflates to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero = bytes(1 << 20)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH) == block
    stream = head + block * zero_mib + c.flush()
    crc = zlib.crc32(header)
    for _ in range(zero_mib):
        crc = zlib.crc32(zero, crc)
    return stream, crc, len(header) + (zero_mib << 20)


def _same(a, b):
    return len(a) == len(b) and all(x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
                                    for x, y in zip(a, b))


# ====================================================================== risky crafted files
# Loaded in a child process with its address space capped at what it uses after import
# plus _CAP, a timeout, and tracemalloc measuring each load's peak.
_CAP = 1 << 30
_CHILD = textwrap.dedent("""
    import json, resource, sys, time, tracemalloc
    import numpy as np
    import fastnn
    from fastnn import saving
    from fastnn.models import load_model, model_from_json
    cases = json.load(open(sys.argv[1]))
    with open("/proc/self/status") as f:
        vm = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (vm + int(sys.argv[3]), hard))
    defaults = {k: getattr(saving, k, None) for k in ("MAX_LOAD_BYTES", "MAX_COMPRESSION_RATIO")}
    out = {}
    for case in cases:
        for k, v in {**defaults, **case.get("settings", {})}.items():
            setattr(saving, k, v)
        tracemalloc.start()
        t = time.perf_counter()
        try:
            if case["call"] == "model_from_json":
                model_from_json(open(case["path"]).read())
            else:
                load_model(case["path"], **case.get("kwargs", {}))
            r = {"type": "ok", "message": ""}
        except BaseException as e:
            r = {"type": type(e).__name__, "message": str(e)[:3000]}
        r["seconds"] = time.perf_counter() - t
        r["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[case["id"]] = r
    json.dump(out, open(sys.argv[2], "w"))
""")


def _risky_cases(d, base):
    """{id: (case for the child, regex the ValueError must match)}; base: a saved model."""
    cases = {}
    members = _members(base)

    def case(cid, m, regex, **kw):
        path = str(d / f"{cid}.fastnn")
        _write(path, m)
        cases[cid] = ({"id": cid, "call": "load_model", "path": path, **kw}, regex)

    # A 7 KB file whose .npy header and config both declare 2**36 float64 values.
    big = dict(members)
    _replace_array(big, "weights", 0, _npy_header((2 ** 36,), "<f8") + bytes(7000), (2 ** 36,), "<f8")
    case("shape_bomb", big, r"549755813888 bytes\) or more .*more than the 4294967296 bytes a load may read")
    # The same with the total limit lifted: the ZIP directory's size gives it away.
    case("shape_bomb_no_limit", big, r"weights/00000.npy is 7128 bytes uncompressed, fewer than the "
         r"549755813888 bytes", kwargs={"max_bytes": 2 ** 62})
    # (2**32+1)**2 bytes wraps to 2**33+1 in int64: the product must be exact.
    wrap = dict(members)
    _replace_array(wrap, "weights", 0, _npy_header((2 ** 32 + 1, 2 ** 32 + 1), "|u1") + bytes(100),
                   (2 ** 32 + 1, 2 ** 32 + 1), "|u1")
    case("wrapping_product", wrap, r"fewer than the 18446744082299486209 bytes",
         kwargs={"max_bytes": 2 ** 70})
    case("wrapping_product_limit", wrap, r"\(18446744082299486209 bytes\) or more")
    # config.json declares the real small shape, the .npy header inside claims 2**36
    # values (the digest matches): refused from the header, before NumPy allocates.
    liar = dict(members)
    shape0 = tuple(_config(members)["arrays"]["weights"][0]["shape"])
    n0 = int(np.prod(shape0)) * 4
    fake = _npy_header((2 ** 36,), "<f8")
    _replace_array(liar, "weights", 0, fake + bytes(n0 + 128 - len(fake)), shape0, "<f4")
    case("npy_header_bomb", liar, r"weights/00000.npy holds float64 \(68719476736,\), config.json says "
         r"float32 \(6, 5\)")
    # A 3.6 KB config asking for Dense(12000) on 12,000 inputs, with the file's 53 weights.
    dense = dict(members)
    cfg = _config(dense)
    cfg["model"]["config"]["layers"][0]["config"]["batch_shape"] = [None, 12000]
    cfg["model"]["config"]["layers"][1]["config"]["units"] = 12000
    _put_config(dense, cfg)
    case("dense_12000", dense, r"layers\[1\] \(Dense 'dense\w*'\) asks for a weight 'kernel' of shape "
         r"\(12000, 12000\): the layers so far need 144000000 weight values, the file holds 53 "
         r"\(weight 0 has shape \(6, 5\) in the file, the model expects \(12000, 12000\)\)")
    # A deflate bomb: 256 MiB of zeros inside a consistent declared shape, in a 260 KB file.
    header = _npy_header((1 << 26,), "<f4")
    stream, crc, size = _deflate_bomb(header, 256)
    sha = hashlib.sha256(header)
    zero = bytes(1 << 20)
    for _ in range(256):
        sha.update(zero)
    bomb_cfg = _config(members)
    bomb_cfg["arrays"]["weights"][0] = {"file": "weights/00000.npy", "shape": [1 << 26],
                                        "dtype": "<f4", "sha256": sha.hexdigest()}
    entries = []
    for name, data in members.items():
        if name == "config.json":
            data = json.dumps(bomb_cfg).encode()
        if name == "weights/00000.npy":
            entries.append((name, stream, 8, crc, size))
        else:
            entries.append((name, data, 0, zlib.crc32(data), len(data)))
    path = str(d / "deflate_bomb.fastnn")
    _raw_zip(path, entries)
    cases["deflate_bomb"] = ({"id": "deflate_bomb", "call": "load_model", "path": path},
                             r"inflate to 256\.0 MiB .*more than 100 times the file's \d+ bytes "
                             r"\(fastnn.saving.MAX_COMPRESSION_RATIO\)")
    cases["deflate_bomb_no_ratio"] = (
        {"id": "deflate_bomb_no_ratio", "call": "load_model", "path": path,
         "settings": {"MAX_COMPRESSION_RATIO": None}, "kwargs": {"max_bytes": 64 << 20}},
        r"\(268435456 bytes\) or more .*more than the 67108864 bytes a load may read")
    # model_from_json asked for 4 TB of weights, and for a 4 TB per-sample shape.
    huge = {"class_name": "Sequential", "config": {"name": "huge", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 10 ** 6]}},
        {"class_name": "Dense", "config": {"units": 10 ** 6}}]}}
    path = d / "huge.json"
    path.write_text(json.dumps(huge))
    cases["json_huge_dense"] = ({"id": "json_huge_dense", "call": "model_from_json", "path": str(path)},
                                r"model_from_json: json_string.config.layers\[1\] \(Dense '\w+'\) asks "
                                r"for a weight 'kernel' of shape \(1000000, 1000000\): .*"
                                r"4000000000000 bytes\) of weights, more than the limit of 4294967296")
    wide = {"class_name": "Sequential", "config": {"name": "wide", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 2 ** 40]}},
        {"class_name": "Normalization", "config": {"mean": 0.0, "variance": 1.0}}]}}
    path = d / "wide.json"
    path.write_text(json.dumps(wide))
    cases["json_wide_sample"] = ({"id": "json_wide_sample", "call": "model_from_json", "path": str(path)},
                                 r"the input of layers\[1\] \(Normalization '\w+'\) has shape "
                                 r"\(None, 1099511627776\): 1099511627776 values per sample")
    # ... and the same per-sample shape in a model file (no weights at all).
    wide_file = dict(members)
    cfg = _config(wide_file)
    cfg["model"]["config"]["layers"] = wide["config"]["layers"]
    cfg["arrays"] = {"weights": [], "optimizer": []}
    cfg["compile"] = None
    _put_config(wide_file, cfg)
    wide_file = {n: b for n, b in wide_file.items() if n == "config.json"}
    case("wide_sample_file", wide_file, r"1099511627776 values per sample")
    return cases


@pytest.fixture(scope="module")
def risky(tmp_path_factory):
    """Each risky case's outcome in the capped child: {id: (result, regex)}."""
    d = tmp_path_factory.mktemp("risky")
    _trained(d / "base.fastnn")
    cases = _risky_cases(d, d / "base.fastnn")
    (d / "cases.json").write_text(json.dumps([c for c, _ in cases.values()]))
    if not sys.platform.startswith("linux"):
        pytest.skip("the capped child reads /proc and sets RLIMIT_AS (Linux)")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(d / "cases.json"), str(d / "out.json"),
                           str(_CAP)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"the capped child failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    out = json.loads((d / "out.json").read_text())
    return {cid: (out[cid], case, regex) for cid, (case, regex) in cases.items()}


_RISKY = ["shape_bomb", "shape_bomb_no_limit", "wrapping_product", "wrapping_product_limit",
          "npy_header_bomb", "dense_12000", "deflate_bomb", "deflate_bomb_no_ratio",
          "json_huge_dense", "json_wide_sample", "wide_sample_file"]


@pytest.mark.parametrize("cid", _RISKY)
def test_crafted_file_is_refused_cheaply(risky, cid):
    """Refused with a ValueError that names the file (or model_from_json) and the field,
    in well under a second and a few MiB; before, each cost from 0.5 GB to 512 GiB."""
    result, case, regex = risky[cid]
    assert result["type"] == "ValueError", result
    assert re.search(regex, result["message"]), result["message"]
    prefix = "model_from_json: " if case["call"] == "model_from_json" else case["path"] + ": "
    assert result["message"].startswith(prefix), result["message"]
    assert result["peak"] < 8 << 20, f"{cid}: peak traced memory {result['peak']} bytes"
    assert result["seconds"] < 1.0, f"{cid}: took {result['seconds']:.2f} s"


# ====================================================================== cheap crafted files
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small trained model's file: (path, model)."""
    d = tmp_path_factory.mktemp("saved")
    model = _trained(d / "m.fastnn")
    return d / "m.fastnn", model


def _variant(tmp_path, saved, edit=None, tokens=None, name="v.fastnn"):
    """A copy of the saved file with edit(members) applied; tokens: {placeholder string:
    raw JSON text} substituted into config.json (for numbers json.dumps will not write)."""
    members = _members(saved[0])
    if edit:
        edit(members)
    for placeholder, raw in (tokens or {}).items():
        members["config.json"] = members["config.json"].replace(f'"{placeholder}"'.encode(), raw.encode())
    path = tmp_path / name
    _write(path, members)
    return path


def _set_field(path_in_config, value):
    def edit(members):
        cfg = _config(members)
        node = cfg
        for key in path_in_config[:-1]:
            node = node[key]
        node[path_in_config[-1]] = value
        _put_config(members, cfg)
    return edit


_BIG = "1" + "0" * 400
_UNITS = ("model", "config", "layers", 1, "config", "units")
_OPT = ("compile", "optimizer", "config")


@pytest.mark.parametrize("field, raw, regex", [
    (_UNITS, _BIG, r"model.config.layers\[1\].config.units is an integer of 401 digits; integers must "
                   r"lie in \[-2\*\*63, 2\*\*63\)"),
    (_UNITS, str(2 ** 63), r"model.config.layers\[1\].config.units is 9223372036854775808; integers"),
    (_UNITS, "NaN", r"model.config.layers\[1\].config.units is NaN; only finite numbers"),
    (_OPT + ("learning_rate",), _BIG, r"compile.optimizer.config.learning_rate is an integer of 401 digits"),
    (_OPT + ("beta_1",), _BIG, r"compile.optimizer.config.beta_1 is an integer of 401 digits"),
    (_OPT + ("beta_1",), "-" + _BIG, r"compile.optimizer.config.beta_1 is an integer of 401 digits"),
    (_OPT + ("learning_rate", "config", "initial_learning_rate"), "1e400",
     r"learning_rate.config.initial_learning_rate is 1e400, which overflows a float"),
    (("arrays", "weights", 0, "shape", 0), "Infinity", r"arrays.weights\[0\].shape\[0\] is Infinity"),
    (("arrays", "weights", 1, "shape", 0), "-Infinity", r"arrays.weights\[1\].shape\[0\] is -Infinity"),
    (("arrays", "weights", 0, "shape", 1), "NaN", r"arrays.weights\[0\].shape\[1\] is NaN"),
    (("model", "config", "layers", 0, "config", "batch_shape", 1), "Infinity",
     r"model.config.layers\[0\].config.batch_shape\[1\] is Infinity"),
    (("format_version",), _BIG, r"config.json: format_version is an integer of 401 digits"),
])
def test_unusable_numbers_are_refused_by_field(tmp_path, saved, field, raw, regex):
    """Numbers that overflowed (OverflowError escaped the loader) or that JSON's
    Infinity/NaN put into shapes: ValueError naming the file and the field."""
    path = _variant(tmp_path, saved, _set_field(field, "@@"), {"@@": raw})
    with pytest.raises(ValueError, match=regex) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path}: config.json: ")


def test_unusable_numbers_in_a_weights_file(tmp_path, saved):
    path, model = saved
    from fastnn import Sequential
    saving.save_weights(model, tmp_path / "w.fastnn")
    members = _members(tmp_path / "w.fastnn")
    cfg = _config(members)
    cfg["arrays"]["weights"][0]["shape"][0] = "@@"
    _put_config(members, cfg)
    members["config.json"] = members["config.json"].replace(b'"@@"', _BIG.encode())
    _write(tmp_path / "w.fastnn", members)
    other = Sequential.from_config(model.get_config())
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"w.fastnn: config.json: arrays.weights\[0\].shape\[0\] is an "
                                         r"integer of 401 digits"):
        saving.load_weights(other, tmp_path / "w.fastnn")
    assert _same(other.get_weights(), before)


def _with_state(i, arr):
    return lambda members: _replace_array(members, "optimizer", i, _npy(arr), arr.shape, arr.dtype.str)


@pytest.mark.parametrize("step", [-1, 2 ** 63 - 1, 2 ** 53])
def test_step_count_out_of_range_is_refused(tmp_path, saved, step):
    """-1 loaded and the next fit made every weight NaN (Adam divides by 1 - beta**0);
    2**63 - 1 loaded and the C engine's step counter overflowed."""
    path = _variant(tmp_path, saved, _with_state(0, np.array(step, dtype=np.int64)))
    with pytest.raises(ValueError, match=rf"arrays.optimizer\[0\] \(the step count, optimizer.iterations\) "
                                         rf"must be in \[0, 2\*\*53\) \(fastnn.saving.MAX_ITERATIONS\), "
                                         rf"got {step}$"):
        load_model(path)


def test_largest_step_count_loads_and_trains(tmp_path, saved):
    path = _variant(tmp_path, saved, _with_state(0, np.array(2 ** 53 - 1, dtype=np.int64)))
    m = load_model(path)
    assert m.optimizer.iterations == 2 ** 53 - 1
    m.train_on_batch(np.ones((4, 6), np.float32), np.array([0, 1, 2, 0]))
    assert m.optimizer.iterations == 2 ** 53
    assert all(np.all(np.isfinite(w)) for w in m.get_weights())


@pytest.mark.parametrize("i, arr, regex", [
    (0, np.array(3.0), r"optimizer.iterations\) must be a 0-d integer array, got float64 \(\)"),
    (0, np.array([3], dtype=np.int64), r"must be a 0-d integer array, got int64 \(1,\)"),
    (0, np.array(True), r"must be a 0-d integer array, got bool"),
    (2, np.full((6, 5), -1.0, np.float32), r"arrays.optimizer\[2\] \(slot 'v' of trainable weight 0\) is "
                                           r"a sum of squares, so it cannot be negative"),
    (1, np.zeros((6, 5), np.int32), r"slot 'm' of trainable weight 0\) must be floating-point, got int32"),
    (1, np.full((6, 5), 1e300), r"slot 'm' of trainable weight 0\) holds values up to 1e\+300 in "
                                r"magnitude, beyond what the model's float32 can hold"),
    (1, np.zeros((5, 6), np.float32), r"arrays.optimizer\[1\] \(slot 'm' of trainable weight 0\) has "
                                      r"shape \(5, 6\), the weight has \(6, 5\)"),
])
def test_bad_optimizer_state_is_refused(tmp_path, saved, i, arr, regex):
    path = _variant(tmp_path, saved, _with_state(i, arr))
    with pytest.raises(ValueError, match=regex):
        load_model(path)


def test_learning_rate_schedule_must_be_finite_at_the_saved_step(tmp_path, saved):
    """A growing schedule overflows at a large step: refused at the load, not at the
    first step of the next fit."""
    def edit(members):
        _set_field(_OPT + ("learning_rate", "config"), {"initial_learning_rate": 0.01, "decay_steps": 1,
                                                         "decay_rate": 2.0, "staircase": False,
                                                         "name": "ExponentialDecay"})(members)
        _with_state(0, np.array(5000, dtype=np.int64))(members)
    path = _variant(tmp_path, saved, edit)
    with pytest.raises(ValueError, match=r"compile.optimizer.config.learning_rate cannot be used at the "
                                         r"saved step 5000 \(.*\); a learning rate must be a finite"):
        load_model(path)
    # the same schedule at a small step is a fine file
    edit2 = lambda m: (edit(m), _with_state(0, np.array(5, dtype=np.int64))(m))
    assert load_model(_variant(tmp_path, saved, edit2, name="ok.fastnn")).optimizer.learning_rate == 0.32


@pytest.mark.parametrize("value, regex", [
    (np.full((6, 5), 1e39), r"weight 0 \(float64 \(6, 5\)\) holds values up to 1e\+39 in magnitude, "
                            r"beyond what the model's float32 can hold"),
    (np.where(np.eye(6, 5) > 0, np.nan, 1e39), r"weight 0 \(float64 \(6, 5\)\) holds values up to "
                                                r"1e\+39"),
])
def test_weights_that_are_not_finite_in_the_model_dtype_are_refused(tmp_path, saved, value, regex):
    path = _variant(tmp_path, saved, lambda m: _replace_array(m, "weights", 0, _npy(value), value.shape,
                                                              value.dtype.str))
    with pytest.raises(ValueError, match=regex):
        load_model(path)


def test_weights_and_slots_that_diverged_load_with_a_warning(tmp_path, saved):
    """A model saved after it diverged (NaN / Inf weights and optimizer slots) loads as
    it was, as in Keras, with one warning naming the arrays."""
    w = np.full((6, 5), np.nan, np.float32)
    w[0, :] = [np.inf, -np.inf, 1.5, 0.0, -2.0]
    m_slot = np.full((6, 5), np.inf, np.float32)

    def edit(members):
        _replace_array(members, "weights", 0, _npy(w), w.shape, w.dtype.str)
        _with_state(1, m_slot)(members)
    path = _variant(tmp_path, saved, edit)
    with pytest.warns(RuntimeWarning, match=r"weight 0 \(float32 \(6, 5\)\), arrays.optimizer\[1\] "
                                            r"\(slot 'm' of trainable weight 0\) hold NaN or Inf"):
        m = load_model(path)
    np.testing.assert_array_equal(m.get_weights()[0], w)
    np.testing.assert_array_equal(m.optimizer.variables[1], m_slot)
    # saved again, it reads back the same
    m.save(tmp_path / "again.fastnn")
    with pytest.warns(RuntimeWarning, match="hold NaN or Inf"):
        again = load_model(tmp_path / "again.fastnn")
    for a, b in zip(m.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_archive_level_refusals(tmp_path, saved):
    members = _members(saved[0])
    # bzip2 members inflate without a bound per read: refused before any is opened
    path = tmp_path / "bz.fastnn"
    _write(path, members, compression=zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match=r"uses ZIP compression method 12; fastnn files are stored or deflated"):
        load_model(path)
    # a directory that states more bytes than the member holds
    entries = [(n, d, 0, zlib.crc32(d), len(d) + (1 if n == "weights/00001.npy" else 0))
               for n, d in members.items()]
    _raw_zip(tmp_path / "short.fastnn", entries)
    with pytest.raises(ValueError, match=r"short.fastnn: "):
        load_model(tmp_path / "short.fastnn")
    # not a regular file (a FIFO would block the reader forever)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        with pytest.raises(ValueError, match="not a regular file"):
            load_model(tmp_path / "fifo")
    # the limits are settings, checked when used
    with pytest.raises(ValueError, match=r"load_model: max_bytes must be an int >= 0 \(bytes\), got -1"):
        load_model(saved[0], max_bytes=-1)
    with pytest.raises(ValueError, match=r"more than the 100 bytes a load may read"):
        load_model(saved[0], max_bytes=100)


@pytest.mark.parametrize("layers, regex", [
    (["Dense"], r"config.layers\[0\] must be an object \{\"class_name\": \"Dense\", \"config\": \{\.\.\.\}\}, "
                r"got 'Dense'"),
    ([{"class_name": 5}], r"config.layers\[0\] must be an object"),
    ([{"class_name": "Dense", "config": [3]}], r"config.layers\[0\].config must be an object of the layer's "
                                                r"arguments, got \[3\]"),
    ({"Dense": 3}, r"config.layers must be a list of layers"),
    ([{"class_name": "Nope"}], r"config.layers\[0\] \('Nope'\) cannot be built \(ValueError: layer: unknown "
                               r"class_name 'Nope'"),
    ([{"class_name": "Dense", "config": {"units": "@@"}}],
     r"config.layers\[0\].config.units is an integer of 401 digits"),
    ([{"class_name": "Dense", "config": {"units": "@inf@"}}], r"config.layers\[0\].config.units is Infinity"),
    ([{"class_name": "InputLayer", "config": {"batch_shape": [None, 2.5]}}],
     r"config.layers\[0\].config.batch_shape must be a list of sizes \(ints >= 1, or null"),
    ([{"class_name": "Dense", "config": {"units": 3, "input_dim": 0}}],
     r"config.layers\[0\].config.input_dim must be an int >= 1, got 0"),
    ([{"class_name": "Dense", "config": {"units": 3, "kernel_initializer": {"class_name": ["x"]}}}],
     r"config.layers\[0\] \('Dense'\) cannot be built \(ValueError: initializer: unknown class_name"),
    ([{"class_name": "Dense", "config": {"units": 3, "name": "@deep@"}}],
     r"config.layers\[0\].config.name\[0\]\[0\]\[0\]... nests deeper than 64 levels"),
])
def test_model_from_json_refuses_malformed_layers(layers, regex):
    text = json.dumps({"class_name": "Sequential", "config": {"name": "m", "layers": layers}})
    text = text.replace('"@@"', _BIG).replace('"@inf@"', "Infinity").replace('"@deep@"', "[" * 900 + "]" * 900)
    with pytest.raises(ValueError, match=r"^model_from_json: json_string") as info:
        model_from_json(text)
    assert re.search(regex, str(info.value)), str(info.value)
    assert type(info.value) is ValueError


def test_model_from_json_still_builds_what_to_json_wrote():
    from fastnn import Sequential
    from fastnn.layers import BatchNormalization, Dense, Dropout, Input
    from fastnn.utils import set_random_seed
    m = Sequential([Input((4,)), Dense(3, activation="relu"), BatchNormalization(), Dropout(0.2), Dense(2)])
    set_random_seed(5)
    a = model_from_json(m.to_json())
    set_random_seed(5)
    b = Sequential.from_config(m.get_config())
    assert a.get_config() == m.get_config()
    assert _same(a.get_weights(), b.get_weights())    # the same random initial weights
    assert "add_weight" not in vars(a.layers[0])      # the size checks are gone after the build
    with pytest.raises(ValueError, match="json_string must be a JSON string, got int"):
        model_from_json(5)


# ====================================================================== mutation fuzz
_ALARM_S = 10


@contextlib.contextmanager
def _bounded(extra=1 << 30, seconds=_ALARM_S):
    """Run the body with this process's address space capped at its current size plus
    `extra` and an alarm after `seconds` (where the platform has them: Linux): a load that
    tried to allocate gigabytes fails with MemoryError, one that hung with TimeoutError,
    and the test (which accepts only ValueError) says so instead of exhausting the
    machine."""
    try:
        import resource
        old = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        cap = vm + extra if old[1] == resource.RLIM_INFINITY else min(vm + extra, old[1])
        resource.setrlimit(resource.RLIMIT_AS, (cap, old[1]))
        capped = True
    except (ImportError, OSError, ValueError, StopIteration):
        capped = False
    timed = hasattr(signal, "setitimer")
    if timed:
        def alarm(signum, frame):
            raise TimeoutError(f"a load ran for more than {seconds} s")
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if capped:
            resource.setrlimit(resource.RLIMIT_AS, old)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A trained model with every kind of weight (Normalization's int count, BatchNorm's
    moving statistics, Adam's slots under a schedule): its file's bytes, members and the
    arrays it holds."""
    d = tmp_path_factory.mktemp("fuzz")
    model = _trained(d / "rich.fastnn", rich=True, seed=3)
    config, arrays = saving._read_archive(d / "rich.fastnn", saving.MODEL_FORMAT)
    assert len(arrays["optimizer"]) == 1 + 2 * 6 and arrays["weights"][2].dtype == np.int64
    return {"dir": d, "data": (d / "rich.fastnn").read_bytes(), "members": _members(d / "rich.fastnn"),
            "config": config, "arrays": arrays, "model": model}


_X = np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6)


def _outcome(path, weights=None, state=None):
    """Load `path` under the bounds. A ValueError must name the file; a model that loads
    must be a correct one: built, holding `weights` (default: whatever the file lists)
    and `state`, predicting, with a step count in range and a usable learning rate."""
    try:
        with _bounded():
            model = load_model(path)
    except ValueError as e:
        assert str(e).startswith(f"{path}: "), str(e)
        return "refused"
    assert model.built
    if weights is None:
        weights = saving._read_archive(path, saving.MODEL_FORMAT)[1]["weights"]
    assert _same(model.get_weights(), weights)
    out = model.predict(_X, verbose=0)
    assert out.shape == (2,) + tuple(model.output_shape[1:])
    if model.compiled:
        it = model.optimizer.iterations
        assert type(it) is int and 0 <= it < saving.MAX_ITERATIONS
        lr = model.optimizer.learning_rate
        assert np.isfinite(lr) and lr >= 0
        if state is not None and model.optimizer.built:
            assert _same(model.optimizer.get_state(), state)
    return "loaded"


_FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_the_unmutated_file_loads_correctly(base):
    path = base["dir"] / "rich.fastnn"
    assert _outcome(path, base["arrays"]["weights"], base["arrays"]["optimizer"]) == "loaded"


@_FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(1, 255)), min_size=1, max_size=3),
       tail=st.one_of(st.just(b""), st.binary(max_size=40)))
def test_fuzz_byte_flips(base, flips, tail):
    """Flipped bytes (and junk appended): refused, or the very same model (a flip in a
    ZIP timestamp, say)."""
    data = bytearray(base["data"])
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    path = base["dir"] / "flipped.fastnn"
    path.write_bytes(bytes(data) + tail)
    _outcome(path, base["arrays"]["weights"], base["arrays"]["optimizer"])


@_FUZZ
@given(cut=st.integers(0, 1 << 30))
def test_fuzz_truncations(base, cut):
    path = base["dir"] / "cut.fastnn"
    path.write_bytes(base["data"][:cut % len(base["data"])])
    assert _outcome(path) == "refused"


@_FUZZ
@given(pair=st.tuples(st.integers(0, 100), st.integers(0, 100)), with_manifest=st.booleans(),
       copy=st.booleans())
def test_fuzz_member_swaps(base, pair, with_manifest, copy):
    """Two members swapped (or one copied over another), with or without their entries
    in config.json: refused, or a correct load of what the file then lists."""
    members = dict(base["members"])
    arrays = [n for n in members if n != "config.json"]
    a, b = (arrays[i % len(arrays)] for i in pair)
    members[a], members[b] = (members[b], members[b]) if copy else (members[b], members[a])
    if with_manifest:
        cfg = _config(members)
        ea, eb = (cfg["arrays"][n.split("/")[0]][int(n[-9:-4])] for n in (a, b))
        keep_a, keep_b = dict(ea), dict(eb)
        for entry, other in ((ea, keep_b), (eb, keep_a)):
            entry.update({k: other[k] for k in ("shape", "dtype", "sha256")})
        if copy:
            eb.update({k: keep_b[k] for k in ("shape", "dtype", "sha256")})
        _put_config(members, cfg)
    path = base["dir"] / "swapped.fastnn"
    _write(path, members)
    result = _outcome(path)
    if not with_manifest and members[a] != base["members"][a]:
        assert result == "refused"     # the digests no longer match


def _paths(obj, prefix=()):
    """Every path into a parsed JSON document, containers included."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _leaf(obj, path):
    for key in path:
        obj = obj[key]
    return obj


_NASTY = st.one_of(
    st.none(), st.booleans(),
    st.sampled_from([0, -1, 1, 2, 3, 5, 6, 12000, 10 ** 6, 2 ** 24, 2 ** 27, 2 ** 30, 2 ** 31, 2 ** 40,
                     2 ** 53, 2 ** 63 - 1, 2 ** 63,
                     -2 ** 63, 10 ** 400, -10 ** 400, 0.0, -0.0, 0.5, 1.0, 1e-300, 1e300, 1e400,
                     float("inf"), float("-inf"), float("nan")]),
    st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "Dense", "relu", "exponential", "float64", "float16", "int32", "<f4", "<f8",
                     "|O", "Sequential", "Adam", "SGD", "zeros", "weights/00000.npy", "../x.npy",
                     "fastnn.weights", "a" * 64]),
    st.text(max_size=6),
    st.lists(st.one_of(st.none(), st.integers(-2, 2 ** 41), st.floats()), max_size=4),
    st.dictionaries(st.sampled_from(["class_name", "config", "name", "units", "shape", "x"]),
                    st.one_of(st.none(), st.integers(-3, 10 ** 6), st.text(max_size=5)), max_size=3),
)


@pytest.fixture(scope="module")
def functional_base(tmp_path_factory):
    """A trained functional model (two branches from one input, Concatenate, Add,
    Normalization, BatchNormalization, a layer called twice): its file, as `base`."""
    import fastnn as keras
    from fastnn import layers
    from fastnn.utils import set_random_seed
    set_random_seed(4)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    inp = keras.Input(shape=(6,), name="x")
    norm = layers.Normalization()
    norm.adapt(x)
    shared = layers.Dense(6, activation="tanh", name="shared")
    a = shared(norm(inp))
    b = shared(layers.Add()([a, inp]))
    h = layers.Concatenate()([a, b, inp])
    h = layers.BatchNormalization()(layers.Dense(5, activation="relu")(h))
    m = keras.Model(inp, layers.Dense(3)(h), name="graph")
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    d = tmp_path_factory.mktemp("fuzz_functional")
    m.save(d / "graph.fastnn")
    config, arrays = saving._read_archive(d / "graph.fastnn", saving.MODEL_FORMAT)
    return {"dir": d, "members": _members(d / "graph.fastnn"), "config": config,
            "arrays": arrays, "model": m}


def test_the_unmutated_functional_file_loads_correctly(functional_base):
    assert _outcome(functional_base["dir"] / "graph.fastnn") == "loaded"


@_FUZZ
@given(data=st.data())
def test_fuzz_config_fields(base, data):
    """Any field of config.json replaced by (or removed for) an awkward value, JSON's
    NaN/Infinity and 401-digit integers included: refused, or a correct load."""
    _mutate_field_and_load(base, data)


@_FUZZ
@given(data=st.data())
def test_fuzz_functional_config_fields(functional_base, data):
    """The same for a functional model's file: its graph's references (layer names,
    call and output indices), inbound nodes and input/output lists included."""
    _mutate_field_and_load(functional_base, data)


def _mutate_field_and_load(base, data):
    cfg = json.loads(json.dumps(base["config"]))
    paths = [p for p in _paths(cfg) if p]
    numbers = [p for p in paths if _leaf(cfg, p) is not True and _leaf(cfg, p) is not False
               and isinstance(_leaf(cfg, p), (int, float))]     # sizes, rates, ... half the time
    pool = numbers if data.draw(st.booleans(), label="a number") else paths
    path_in = data.draw(st.sampled_from(pool), label="field")
    node = cfg
    for key in path_in[:-1]:
        node = node[key]
    if isinstance(node, dict) and data.draw(st.booleans(), label="remove"):
        del node[path_in[-1]]
    else:
        node[path_in[-1]] = data.draw(_NASTY, label="value")
    members = dict(base["members"])
    _put_config(members, cfg, allow_nan=True)
    path = base["dir"] / "mutated.fastnn"
    _write(path, members)
    _outcome(path)


@_FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(1, 255)), min_size=1, max_size=2))
def test_fuzz_load_weights_leaves_the_model_alone_when_it_refuses(base, flips):
    from fastnn import Sequential
    path = base["dir"] / "w.fastnn"
    if not path.exists():
        saving.save_weights(base["model"], path)
    data = bytearray(path.read_bytes())
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    bad = base["dir"] / "w_flipped.fastnn"
    bad.write_bytes(bytes(data))
    model = Sequential.from_config(base["model"].get_config())
    before = model.get_weights()
    try:
        with _bounded():
            saving.load_weights(model, bad)
    except ValueError as e:
        assert str(e).startswith(f"{bad}: ")
        assert _same(model.get_weights(), before)
    else:
        assert _same(model.get_weights(), base["arrays"]["weights"])


@_FUZZ
@given(data=st.data())
def test_fuzz_architecture_sizes(base, data):
    """One or two numbers of model.config (units, input sizes, axes, rates, ...) set to
    sizes from 0 to 2**40: refused (a layer larger than the file's weights is refused
    before its weights exist) or a correct load."""
    cfg = json.loads(json.dumps(base["config"]))
    numbers = [p for p in _paths(cfg["model"], ("model",)) if not isinstance(_leaf(cfg, p), bool)
               and isinstance(_leaf(cfg, p), (int, float))]
    sizes = st.one_of(st.sampled_from([0, 1, 7, 12000, 2 ** 20, 2 ** 24, 2 ** 27, 2 ** 31, 2 ** 40]),
                      st.integers(-2, 2 ** 34))
    for _ in range(data.draw(st.integers(1, 2), label="how many")):
        path_in = data.draw(st.sampled_from(numbers), label="field")
        _leaf(cfg, path_in[:-1])[path_in[-1]] = data.draw(sizes, label="size")
    members = dict(base["members"])
    _put_config(members, cfg)
    path = base["dir"] / "sized.fastnn"
    _write(path, members)
    _outcome(path)
