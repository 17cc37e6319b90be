"""penumbra.ndimage against scipy.ndimage in the same process: results, views, errors, threads."""

import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
import scipy.ndimage as sndi

from penumbra import ndimage as ndi

RNG = np.random.default_rng(7)
BASE = sndi.gaussian_filter(RNG.standard_normal((13, 17, 19)), 1.5)
BASE = BASE / np.abs(BASE).max()


def volume(dtype, shape=(13, 17, 19)):
    """Smoothed random data spread over the dtype's range (N(0,1)-like for floats)."""
    x = BASE[: shape[0], : shape[1], : shape[2]] if len(shape) == 3 else BASE[0, 0, : shape[0]]
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (x * 3).astype(dt)
    info = np.iinfo(dt)
    lo, hi = info.min * 0.9 if info.min < 0 else info.max * 0.05, info.max * 0.9
    return (lo + (x + 1) / 2 * (hi - lo)).astype(dt)


def assert_scipy(got, ref):
    """float32: within 1e-5 * max(1, |ref|) (the project's parity tolerance); float64 1e-10; integers exact."""
    assert got.dtype == ref.dtype and got.shape == ref.shape
    if ref.dtype == np.float32:
        bound = 1e-5 * np.maximum(1, np.abs(ref.astype(np.float64)))
        assert np.all(np.abs(got.astype(np.float64) - ref) <= bound), np.abs(got.astype(np.float64) - ref).max()
    elif ref.dtype == np.float64:
        assert np.allclose(got, ref, rtol=1e-10, atol=1e-10)
    else:
        np.testing.assert_array_equal(got, ref)


CASES = [
    ("gaussian_filter", (2.0,), {}),
    ("gaussian_filter", ((1.0, 0.0, 2.5),), {"order": (0, 1, 2), "mode": ("reflect", "nearest", "wrap")}),
    ("gaussian_filter", (1.2,), {"mode": "constant", "cval": 0.5, "truncate": 3.0}),
    ("gaussian_filter", (1.5,), {"radius": (2, 3, 1)}),
    ("gaussian_filter1d", (2.0,), {"axis": 1, "order": 1, "mode": "mirror"}),
    ("uniform_filter", (4,), {}),
    ("uniform_filter", ((3, 1, 6),), {"origin": (1, 0, -2), "mode": "grid-wrap"}),
    ("uniform_filter1d", (5,), {"axis": 0, "mode": "nearest", "origin": -1}),
    ("sobel", (), {}),
    ("sobel", (), {"axis": 0, "mode": "constant", "cval": 2.0}),
    ("prewitt", (), {"axis": 1, "mode": ("wrap", "mirror", "nearest")}),
    ("laplace", (), {}),
    ("laplace", (), {"mode": ("nearest", "reflect", "constant"), "cval": 1.0}),
    ("gaussian_laplace", (1.5,), {}),
    ("gaussian_laplace", ((1.0, 2.0, 0.5),), {"mode": "nearest", "truncate": 3.0}),
    ("gaussian_gradient_magnitude", (1.5,), {}),
    ("gaussian_gradient_magnitude", (2.0,), {"mode": "wrap", "radius": 3}),
    ("correlate1d", ([1.0, -2.5, 0.5, 3.0],), {"axis": 2, "origin": 1}),
    ("correlate1d", ([0.25, 0.5, 0.25],), {"axis": 0, "mode": "grid-constant", "cval": -1.0}),
]


# Kernels of radius 1-2 with fractional weights, integer outputs: the native and simd double kernels
# sum with fused multiply-adds, inner taps first; scipy multiplies, then adds, outer taps first. Where
# scipy's double sum lands within an ulp of an integer (flat regions), truncation then differs by 1
# (uint8, sigma 1.5, radius (2,3,1): 46 of 4199 elements). The scalar backend sums as scipy does.
@pytest.mark.parametrize("name,args,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint16", "int16", "uint8"])
@pytest.mark.parametrize("backend", ["native", "simd", "scalar"])
def test_every_function_as_scipy(name, args, kw, dtype, backend):
    # integer outputs are compared exactly: their truncation shows the last bit of every sum
    x = volume(dtype)
    assert_scipy(getattr(ndi, name)(x, *args, backend=backend, **kw), getattr(sndi, name)(x, *args, **kw))


@pytest.mark.parametrize("out", [np.float32, np.float64, "uint8", np.dtype("int16"), "int32", "int64", "uint32"])
def test_output_dtypes_as_scipy(out):
    x = volume("int16")
    for name, args in [("sobel", ()), ("gaussian_filter", (1.5,)), ("laplace", ()),
                       ("gaussian_gradient_magnitude", (1.0,))]:
        assert_scipy(getattr(ndi, name)(x, *args, output=out), getattr(sndi, name)(x, *args, output=out))


def test_scipy_cast_like_c():
    # the example: scipy's modular wrap-around
    np.testing.assert_array_equal(ndi.sobel(np.array([0, 0, 10, 0, 0], np.uint8)), [0, 10, 0, 246, 0])


@pytest.mark.parametrize("backend", ["native", "simd", "scalar"])
def test_backends_and_threads_agree(backend):
    x = volume("float32")
    ref = sndi.gaussian_laplace(x, 1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # simd under C1 is slow, not wrong
        for t in (1, 2, 3):
            assert_scipy(ndi.gaussian_laplace(x, 1.5, threads=t, backend=backend), ref)


def test_axes_as_scipy_117():
    # scipy 1.17's axes= (Debian's scipy 1.10 has none): its documented meaning, via 1.10's own calls
    x = volume("float32")
    assert_scipy(ndi.gaussian_filter(x, 2.0, axes=(0, 2)), sndi.gaussian_filter(x, (2.0, 0, 2.0)))
    assert_scipy(ndi.gaussian_filter(x, (1.0, 2.0), axes=(-1, 1), order=(1, 0)),
                 sndi.gaussian_filter(x, (0, 2.0, 1.0), order=(0, 0, 1)))
    assert_scipy(ndi.uniform_filter(x, 5, axes=1), sndi.uniform_filter(x, (1, 5, 1)))
    lap = sndi.correlate1d(x, [1, -2, 1], 0) + sndi.correlate1d(x, [1, -2, 1], 2)
    assert_scipy(ndi.laplace(x, axes=(0, 2)), lap)
    gl = sndi.gaussian_filter(x, (1.5, 0, 1.5), order=(2, 0, 0)) + sndi.gaussian_filter(x, (1.5, 0, 1.5),
                                                                                        order=(0, 0, 2))
    assert_scipy(ndi.gaussian_laplace(x, 1.5, axes=(0, 2)), gl)
    # scipy 1.17 smooths every axis with sigma and differentiates only along axes
    g0 = sndi.gaussian_filter(x, 1.0, order=(0, 1, 0))
    g2 = sndi.gaussian_filter(x, 1.0, order=(0, 0, 1))
    assert_scipy(ndi.gaussian_gradient_magnitude(x, 1.0, axes=(1, 2)), np.sqrt(g0 * g0 + g2 * g2))


def test_layouts_without_copies():
    x = volume("float32", (13, 17, 19))
    ref = sndi.gaussian_filter(x, 1.5)
    f = np.asfortranarray(x)
    assert_scipy(ndi.gaussian_filter(f, 1.5), ref)
    big = np.zeros((26, 17, 40), np.float32)
    view = big[::2, :, 1:39:2]
    view[...] = x
    assert_scipy(ndi.gaussian_filter(view, 1.5), ref)
    rev = x[::-1, :, ::-1]
    assert_scipy(ndi.gaussian_filter(rev, 1.5), sndi.gaussian_filter(rev, 1.5))
    ro = x.copy()
    ro.flags.writeable = False
    assert_scipy(ndi.gaussian_filter(ro, 1.5), ref)
    be = x.astype(">f4")
    assert_scipy(ndi.gaussian_filter(be, 1.5), sndi.gaussian_filter(be, 1.5))
    raw = np.zeros(x.nbytes + 1, np.uint8)
    odd = np.frombuffer(raw.data, dtype=np.float32, count=x.size, offset=1).reshape(x.shape)  # misaligned
    odd.flags.writeable  # read-only view of the buffer
    assert_scipy(ndi.gaussian_filter(np.frombuffer(x.tobytes(), np.float32).reshape(x.shape), 1.5), ref)


def test_memmap_input_and_output(tmp_path):
    x = volume("uint16")
    np.save(tmp_path / "in.npy", x)
    m = np.load(tmp_path / "in.npy", mmap_mode="r")
    out = np.lib.format.open_memmap(tmp_path / "out.npy", mode="w+", dtype=np.float32, shape=x.shape)
    r = ndi.gaussian_filter(m, 2.0, output=out)
    assert r is out
    out.flush()
    assert_scipy(np.load(tmp_path / "out.npy"), sndi.gaussian_filter(x, 2.0, output=np.float32))


def test_output_array_filled_in_place_and_returned():
    x = volume("float32")
    out = np.full(x.shape, np.nan, np.float32)
    assert ndi.sobel(x, 1, output=out) is out
    assert_scipy(out, sndi.sobel(x, 1))
    fo = np.zeros(x.shape, np.float64, order="F")
    ndi.uniform_filter(x, 3, output=fo)
    assert_scipy(fo, sndi.uniform_filter(x, 3, output=np.float64))


@pytest.mark.parametrize("name,args", [("gaussian_filter", (1.5,)), ("laplace", ()), ("sobel", ()),
                                       ("gaussian_gradient_magnitude", (1.0,)), ("gaussian_laplace", (1.0,)),
                                       ("uniform_filter", (3,))])
def test_output_is_the_input(name, args):
    # scipy filters in place; its compound filters read the input as the earlier terms left it
    for dtype in ("float32", "int16"):
        a = volume(dtype)
        b = a.copy()
        getattr(sndi, name)(a, *args, output=a)
        assert getattr(ndi, name)(b, *args, output=b) is b
        assert_scipy(b, a)


def test_edge_inputs_as_scipy():
    s = np.array(3.0)
    for name, args in [("gaussian_filter", (2,)), ("uniform_filter", (3,)), ("laplace", ()),
                       ("gaussian_laplace", (1,)), ("gaussian_gradient_magnitude", (1,))]:
        r, e = getattr(ndi, name)(s, *args), getattr(sndi, name)(s, *args)
        assert r.shape == () and r == e
    e = np.zeros((0, 5), np.float32)
    assert ndi.gaussian_filter(e, 2).shape == (0, 5)
    assert ndi.sobel(e).shape == (0, 5)
    x = volume("float32")
    np.testing.assert_array_equal(ndi.gaussian_filter(x, -1.0), sndi.gaussian_filter(x, -1.0))
    np.testing.assert_array_equal(ndi.gaussian_filter(x, float("nan")), sndi.gaussian_filter(x, float("nan")))
    np.testing.assert_array_equal(ndi.uniform_filter(x, 0), sndi.uniform_filter(x, 0))
    nested = [[1, 2, 3], [4, 5, 6]]
    assert_scipy(ndi.gaussian_filter(nested, 1), sndi.gaussian_filter(nested, 1))
    one_d = volume("float64", (40,))
    assert_scipy(ndi.gaussian_filter1d(one_d, 3, radius=2), sndi.gaussian_filter1d(one_d, 3, radius=2))
    assert_scipy(ndi.gaussian_gradient_magnitude(x, 0), sndi.gaussian_gradient_magnitude(x, 0))
    assert_scipy(ndi.gaussian_laplace(x, (0, 1, 0)), sndi.gaussian_laplace(x, (0, 1, 0)))


def test_nan_data_as_scipy():
    x = volume("float32")
    x[5, 5, 5] = np.nan
    r, e = ndi.gaussian_filter(x, 1.0), sndi.gaussian_filter(x, 1.0)
    np.testing.assert_array_equal(np.isnan(r), np.isnan(e))
    assert_scipy(np.nan_to_num(r), np.nan_to_num(e))


def test_dtypes_the_engine_does_not_run_go_to_scipy_with_one_warning():
    b = np.array([[True, False, True], [False, False, True]])
    with pytest.warns(RuntimeWarning, match="bool"):
        np.testing.assert_array_equal(ndi.gaussian_filter(b, 1), sndi.gaussian_filter(b, 1))
    c = volume("float64") + 1j * volume("float64")
    with pytest.warns(RuntimeWarning, match="complex"):
        np.testing.assert_allclose(ndi.gaussian_filter(c, 1), sndi.gaussian_filter(c, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once already
        ndi.gaussian_filter(b, 2)
    h = volume("float32").astype(np.float16)
    with pytest.warns(RuntimeWarning, match="float16"), pytest.raises(RuntimeError, match="float16"):
        ndi.sobel(h)  # scipy refuses float16 too


def _raises_as_scipy(fn, *args, **kw):
    with pytest.raises(Exception) as ours:
        getattr(ndi, fn)(*args, **kw)
    with pytest.raises(Exception) as theirs:
        getattr(sndi, fn)(*args, **kw)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    assert "\n" not in str(ours.value)
    return ours.value


def test_errors_as_scipy():
    x = volume("float32")
    _raises_as_scipy("gaussian_filter", x, 1, mode="bogus")
    _raises_as_scipy("gaussian_filter", x, (1, 2))
    _raises_as_scipy("gaussian_filter", x, 1, output=np.zeros((3, 3), np.float32))
    ro = np.zeros(x.shape, np.float32)
    ro.flags.writeable = False
    e = _raises_as_scipy("gaussian_filter", x, 1, output=ro)
    assert isinstance(e, ValueError)
    assert isinstance(_raises_as_scipy("gaussian_filter1d", x, 1, order=-1), ValueError)
    e = _raises_as_scipy("sobel", x, axis=3)
    assert type(e).__name__ == "AxisError"
    _raises_as_scipy("correlate1d", x, [])
    _raises_as_scipy("correlate1d", x, [1, 2, 3], origin=2)
    _raises_as_scipy("uniform_filter1d", x, 0)
    _raises_as_scipy("uniform_filter", x, 3, origin=2)
    _raises_as_scipy("gaussian_filter1d", x, 1, radius=-1)
    _raises_as_scipy("laplace", x, mode=("reflect", "wrap"))
    _raises_as_scipy("gaussian_laplace", x, 1, bogus=3)


def test_threads_share_the_engine():
    xs = [volume("float32") * (i + 1) for i in range(6)]
    refs = [sndi.gaussian_filter(x, 2.0) for x in xs]
    got = [None] * len(xs)
    errors = []

    def work(i):
        try:
            for _ in range(5):
                got[i] = ndi.gaussian_filter(xs[i], 2.0, threads=2)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    for g, r in zip(got, refs):
        assert_scipy(g, r)


def test_the_gil_is_released_during_a_call():
    x = np.asarray(np.broadcast_to(volume("float32")[:1], (120, 17, 19)))
    x = np.tile(x, (1, 8, 8))
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
    t = threading.Thread(target=count)
    t.start()
    try:
        for _ in range(3):
            ndi.gaussian_filter(x, 3.0, threads=1)
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 1000  # the counting thread ran while Java filtered


def test_jvm_start_failure_is_one_line(tmp_path):
    env = dict(os.environ, PENUMBRA_HOME=str(tmp_path))
    code = "from penumbra import ndimage as n; import numpy as np; n.gaussian_filter(np.ones(3), 1)"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("penumbra._jvm.JVMStartError: penumbra: PENUMBRA_HOME=") and "launcher" in last
