#!/usr/bin/env bash
# Out-of-core Zarr run: filter a Zarr array into a new Zarr array inside a cgroup-v1 memory cgroup
# (root), and report the wall time, the cgroup's peak (page cache included), the JVM's peak resident
# anonymous memory (RssAnon: chunk cache, chunks being written, heap), how many input chunks were
# decoded against how many the array has (each once: no chunk read twice), and a spot check of a
# few output blocks against scipy.ndimage (v3 zstd arrays as Penumbra writes them; numcodecs).
#   tools/zarr_out_of_core.sh IN.zarr OUT.zarr [--limit BYTES] [--sigma S] [cold] [-- EXTRA CLI OPTIONS]
# Make IN.zarr from a raw volume of tools/make_big_volume.py, e.g. a 6 GiB array:
#   python3 tools/make_big_volume.py big.vol --shape 96,4096,4096
#   ./penumbra uniform --size 1 --shape 96,4096,4096 --out-chunks 64,256,256 --no-sync big.vol in.zarr
set -euo pipefail
IN=$1; OUT=$2; shift 2
LIMIT=$((3 << 30)); SIGMA=3; MODE=warm; EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) LIMIT=$2; shift ;;
    --sigma) SIGMA=$2; shift ;;
    cold) MODE=cold ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "zarr_out_of_core.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/tools/peak_anon.sh"
"$ROOT/penumbra" build >/dev/null   # build (and train the AOT cache) outside the timing
CG=/sys/fs/cgroup/memory/penumbra-zarr-ooc-$$
mkdir "$CG"
echo "$LIMIT" > "$CG/memory.limit_in_bytes"
trap 'rmdir "$CG" 2>/dev/null || true' EXIT
if [ "$MODE" = cold ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
LOG=$(mktemp)
start=$(date +%s.%N)
(echo $BASHPID > "$CG/cgroup.procs"; exec "$ROOT/penumbra" gaussian --sigma "$SIGMA" "${EXTRA[@]}" "$IN" "$OUT") \
  2> "$LOG" &
launcher=$!
watch_peak_anon "$launcher"
rc=0; wait "$launcher" || rc=$?
end=$(date +%s.%N)
tail -1 "$LOG"
[ "$rc" = 0 ] || { cat "$LOG" >&2; exit "$rc"; }
cg_peak=$(cat "$CG/memory.max_usage_in_bytes")
oom=$(awk '/^oom_kill / {print $2}' "$CG/memory.oom_control" 2>/dev/null || echo 0)
# Debian's python3 has numcodecs (the spot check); any python3 with numpy reports the rest
PY=python3; [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import numcodecs, scipy" 2>/dev/null && PY=/usr/bin/python3
"$PY" - "$IN" "$OUT" "$SIGMA" "$start" "$end" "$peak_anon" "$cg_peak" "$LIMIT" "$LOG" "${oom:-0}" <<'PY'
import json, os, re, sys
import numpy as np
inp, out, sigma = sys.argv[1], sys.argv[2], float(sys.argv[3])
s, e = float(sys.argv[4]), float(sys.argv[5])
anon, cg, limit, log, oom = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), sys.argv[9], int(sys.argv[10])
line = open(log).read().strip().splitlines()[-1]
m = re.search(r"decoded (\d+) input chunks \((\d+) in the array\)", line)
decoded, count = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
meta = json.load(open(os.path.join(inp, "zarr.json")))
shape = meta["shape"]
nbytes = int(np.prod(shape)) * np.dtype(meta["data_type"]).itemsize
t = e - s
print(f"zarr out of core: {nbytes / 2**30:.1f} GiB {shape} {meta['data_type']} in a {limit / 2**30:.1f} GiB cgroup:"
      f" {t:.1f} s = {nbytes / 2**30 / t:.3f} GiB/s of input; cgroup peak {cg / 2**30:.2f} GiB (page cache"
      f" included), JVM RssAnon peak {anon / 2**20:.2f} GiB; OOM kills {oom}")
print(f"input chunks decoded: {decoded} of {count} in the array ({'each once' if decoded == count else 'SOME TWICE'})")
try:
    import numcodecs
    import scipy.ndimage as ndi
except ImportError:
    print("spot check skipped: no numcodecs/scipy")
    sys.exit(0 if decoded == count else 1)

def chunk(path, key):
    m = json.load(open(os.path.join(path, "zarr.json")))
    c = m["chunk_grid"]["configuration"]["chunk_shape"]
    names = [x["name"] for x in m["codecs"]]
    assert names == ["bytes", "zstd"], names
    raw = numcodecs.Zstd().decode(open(os.path.join(path, "c", *map(str, key)), "rb").read())
    return np.frombuffer(raw, np.dtype(m["data_type"]).newbyteorder("<")).reshape(c), c

def block(path, lo, hi):
    m = json.load(open(os.path.join(path, "zarr.json")))
    c = m["chunk_grid"]["configuration"]["chunk_shape"]
    outb = np.zeros([h - l for l, h in zip(lo, hi)], np.dtype(m["data_type"]))
    import itertools
    for key in itertools.product(*[range(l // k, (h - 1) // k + 1) for l, h, k in zip(lo, hi, c)]):
        data, _ = chunk(path, key)
        src = tuple(slice(max(l, k0 * k) - k0 * k, min(h, (k0 + 1) * k) - k0 * k) for l, h, k, k0 in zip(lo, hi, c, key))
        dst = tuple(slice(max(l, k0 * k) - l, min(h, (k0 + 1) * k) - l) for l, h, k, k0 in zip(lo, hi, c, key))
        outb[dst] = data[src]
    return outb

halo = int(4 * sigma + 0.5)
rng = np.random.default_rng(0)
worst = 0.0
for _ in range(3):
    lo = [int(rng.integers(0, max(1, n - 40))) for n in shape]
    hi = [min(n, l + 40) for l, n in zip(lo, shape)]
    glo = [max(0, l - halo) for l in lo]
    ghi = [min(n, h + halo) for h, n in zip(hi, shape)]
    x = block(inp, glo, ghi)
    ref = ndi.gaussian_filter(x, sigma, mode="reflect")
    # compare where the halo is whole (at the volume's edges scipy's reflect applies to both)
    inner = tuple(slice(l - g, h - g) for l, h, g in zip(lo, hi, glo))
    got = block(out, lo, hi)
    ok = [(g == 0 or l - g >= halo) and (gh == n or gh - h >= halo) for l, h, g, gh, n in zip(lo, hi, glo, ghi, shape)]
    if all(ok):
        worst = max(worst, float(np.max(np.abs(got - ref[inner]) / np.maximum(1, np.abs(ref[inner])))))
print(f"spot check against scipy (3 blocks of 40^3): max relative difference {worst:.2e}"
      f" ({'ok' if worst <= 1e-5 else 'FAILED'})")
sys.exit(0 if decoded == count and worst <= 1e-5 else 1)
PY
