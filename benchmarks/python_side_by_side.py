#!/usr/bin/python3
"""penumbra.ndimage and penumbra.dask beside scipy.ndimage and dask's map_overlap, in one run.

    /usr/bin/python3 benchmarks/python_side_by_side.py [--json] [--skip-memmap]

Times, on the seed (50,1104,1104) float32 (standard normal / max|x|, seed 0; written to a temporary
file), each measurement in a fresh process so that the first call is a real first call:
  * first:  `from penumbra import ndimage` (which starts the JVM and the engine's warm-up), np.load
            of the seed, the first gaussian_filter(seed, 3), then the warm best of 5 — and Debian's
            scipy.ndimage.gaussian_filter best of 3 in the same process; and again with the seed
            loaded before the import, so that the first call comes right after it;
  * memmap: gaussian_filter on a 2 GiB np.memmap input into a 2 GiB output array, peak RssAnon of
            the whole process (interpreter and JVM included; sampled every 5 ms while the call runs)
            against the output's size + 0.5 GiB;
  * dask:   penumbra.dask.gaussian_filter on the notebook's chunks (50,552,552) against
            x.map_overlap(scipy gaussian_filter, depth=9) on the same (threaded) scheduler, best of
            3 each, and whether the result equals the whole-array call.
Ratios are against the peer timed in the same process.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHONPATH = os.path.join(HERE, "..", "python")

FIRST = r"""
import json, time, numpy as np
if NO_GAP:
    x = np.load(SEED)           # the data first: the first call comes right after the import
t0 = time.perf_counter()
from penumbra import ndimage as ndi   # starts the JVM and the engine's warm-up
t_start = time.perf_counter() - t0
if not NO_GAP:
    x = np.load(SEED)           # as a script does: import, load, filter
t0 = time.perf_counter(); y = ndi.gaussian_filter(x, 3); t_first = time.perf_counter() - t0
warm = []
for _ in range(5):
    t0 = time.perf_counter(); y = ndi.gaussian_filter(x, 3); warm.append(time.perf_counter() - t0)
out = np.empty_like(x)
into = []
for _ in range(3):
    t0 = time.perf_counter(); ndi.gaussian_filter(x, 3, output=out); into.append(time.perf_counter() - t0)
import scipy, scipy.ndimage as sndi
sc = []
for _ in range(3):
    t0 = time.perf_counter(); r = sndi.gaussian_filter(x, 3); sc.append(time.perf_counter() - t0)
err = float(np.max(np.abs(y.astype(np.float64) - r) / np.maximum(1, np.abs(r))))
print(json.dumps(dict(import_s=t_start, first_s=t_first, warm_s=min(warm), into_output_s=min(into),
                      scipy_s=min(sc), scipy_version=scipy.__version__, max_rel_err=err)))
"""

MEMMAP = r"""
import json, threading, time, numpy as np
from penumbra import ndimage as ndi, _jvm
_jvm.bridge()
def rss_anon():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssAnon:'):
                return int(line.split()[1]) * 1024
shape = (128, 2048, 2048)
x = np.memmap(BIG, dtype=np.float32, mode='r', shape=shape)
out = np.empty(shape, dtype=np.float32)
out.fill(0)                     # the output's pages are the caller's, counted in the baseline
base = rss_anon()
peak = [base]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_anon()); time.sleep(0.005)
th = threading.Thread(target=sample); th.start()
t0 = time.perf_counter()
ndi.gaussian_filter(x, 3, output=out)
t = time.perf_counter() - t0
done.set(); th.join()
peak[0] = max(peak[0], rss_anon())
import scipy.ndimage as sndi
sl = np.s_[60:68, 1000:1100, :]
ref = sndi.gaussian_filter(np.asarray(x[40:88]), 3)[20:28, 1000:1100, :]
ok = bool(np.all(np.abs(out[sl].astype(np.float64) - ref) <= 1e-5 * np.maximum(1, np.abs(ref))))
print(json.dumps(dict(input_bytes=x.nbytes, output_bytes=out.nbytes, rss_anon_before=base,
                      rss_anon_peak=peak[0], extra_over_output=peak[0] - base, seconds=t, spot_check_ok=ok)))
"""

SCIPY_FIRST = r"""
import json, time, numpy as np, scipy.ndimage as sndi
x = np.load(SEED)
t0 = time.perf_counter(); sndi.gaussian_filter(x, 3); t = time.perf_counter() - t0
print(json.dumps(dict(scipy_first_s=t)))
"""

DASK = r"""
import json, time, numpy as np, dask, dask.array as da, scipy.ndimage as sndi
import penumbra.dask as pd
from penumbra import ndimage as ndi
x = np.load(SEED)
dx = da.from_array(x, chunks=(50, 552, 552), name=False)
whole = ndi.gaussian_filter(x, 3)
def best(f, n=3):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t0)
    return min(ts), r
with dask.config.set(scheduler='threads'):
    pd.gaussian_filter(dx, 3).compute()      # warm
    tp, rp = best(lambda: pd.gaussian_filter(dx, 3).compute())
    ts, rs = best(lambda: dx.map_overlap(sndi.gaussian_filter, depth=9, sigma=3, boundary='none').compute())
print(json.dumps(dict(penumbra_dask_s=tp, map_overlap_scipy_s=ts, equal_to_whole=bool(np.array_equal(rp, whole)))))
"""


def run(code, **paths):
    pre = "".join("%s = %r\n" % kv for kv in paths.items())
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    p = subprocess.run([sys.executable, "-c", pre + code], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("benchmark failed:\n" + p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    import numpy as np
    as_json = "--json" in sys.argv
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as d:
        seed = os.path.join(d, "seed.npy")
        x = np.random.default_rng(0).standard_normal((50, 1104, 1104), dtype=np.float32)
        np.save(seed, x / np.abs(x).max())
        del x
        res = {"first": run(FIRST, SEED=seed, NO_GAP=False), "first_no_gap": run(FIRST, SEED=seed, NO_GAP=True)}
        res["first"].update(run(SCIPY_FIRST, SEED=seed))
        for f in (res["first"], res["first_no_gap"]):
            f["warm_vs_scipy"] = f["scipy_s"] / f["warm_s"]
            f["first_vs_warm"] = f["first_s"] / f["warm_s"]
        res["dask"] = run(DASK, SEED=seed)
        res["dask"]["ratio"] = res["dask"]["map_overlap_scipy_s"] / res["dask"]["penumbra_dask_s"]
        if "--skip-memmap" not in sys.argv:
            big = os.path.join(d, "big.f32")
            with open(big, "wb") as fh:
                rng = np.random.default_rng(1)
                for _ in range(16):  # 2 GiB in 128 MiB pieces
                    fh.write(rng.standard_normal(32 * 1024 * 1024, dtype=np.float32).tobytes())
            res["memmap"] = run(MEMMAP, BIG=big)
            m = res["memmap"]
            m["within_target"] = m["rss_anon_peak"] < m["output_bytes"] + 0.5 * 2 ** 30
    if as_json:
        print(json.dumps(res, indent=1))
        return
    f, g, dk = res["first"], res["first_no_gap"], res["dask"]
    print("gaussian_filter(seed, 3): import (JVM start) %.2f s, first call after np.load %.3f s (right after the "
          "import: %.3f s), warm %.3f s (into an output array %.3f s); scipy %s %.3f s warm, %.3f s first: "
          "%.1fx warm, %.1fx first" % (f["import_s"], f["first_s"], g["first_s"], f["warm_s"], f["into_output_s"],
                                       f["scipy_version"], f["scipy_s"], f["scipy_first_s"], f["warm_vs_scipy"],
                                       f["scipy_first_s"] / f["first_s"]))
    print("dask (50,552,552) chunks: penumbra.dask %.3f s, map_overlap(scipy, depth=9) %.3f s: %.1fx, equal to "
          "the whole-array call: %s" % (dk["penumbra_dask_s"], dk["map_overlap_scipy_s"], dk["ratio"],
                                        dk["equal_to_whole"]))
    if "memmap" in res:
        m = res["memmap"]
        print("2 GiB memmap in, 2 GiB output: %.2f s, peak RssAnon %.2f GiB = the output's %.2f GiB + %.3f GiB "
              "(target < output + 0.5; the call itself added %.3f GiB), spot check against scipy %s" % (
                  m["seconds"], m["rss_anon_peak"] / 2 ** 30, m["output_bytes"] / 2 ** 30,
                  (m["rss_anon_peak"] - m["output_bytes"]) / 2 ** 30, m["extra_over_output"] / 2 ** 30,
                  "ok" if m["spot_check_ok"] else "FAILED"))


if __name__ == "__main__":
    main()
