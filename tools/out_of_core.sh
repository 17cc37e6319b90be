#!/usr/bin/env bash
# Out-of-core run: filter a raw float32 volume file to file and report wall time and throughput
# against the disk's own floor measured in the same run (direct-I/O sequential read of the input
# and write of an equal file), the peak resident anonymous memory of the JVM (RssAnon: heap,
# scratch, metaspace; not the page cache behind the mappings), and a spot check of output planes
# against scipy.
#   tools/out_of_core.sh IN.vol Z,Y,X OUT.vol [cold] [--limit BYTES] [--check N] [-- EXTRA CLI OPTIONS]
# cold: drops the page cache before the floors and before the run (root only).
# --limit: runs the command inside a cgroup-v1 memory cgroup of that size (root; page cache is
#   charged to it), so a volume bigger than the limit is out of core for real on a big machine.
# --check N: compares N interior z planes with scipy.ndimage.gaussian_filter (python3 with scipy).
# Make IN.vol with tools/make_big_volume.py (e.g. --shape 96,4096,4096: 6 GiB).
set -euo pipefail
IN=$1; SHAPE=$2; OUT=$3; shift 3
MODE=warm; LIMIT=""; CHECK=0; EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    cold) MODE=cold ;;
    --limit) LIMIT=$2; shift ;;
    --check) CHECK=$2; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "out_of_core.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/tools/peak_anon.sh"
DIR=$(dirname "$OUT")
BYTES=$(stat -c %s "$IN")
drop() { if [ "$MODE" = cold ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi; }

"$ROOT/penumbra" build >/dev/null   # build (and train the AOT cache) outside the timing

# the disk's floor: the input read and an equal file written, sequentially, with direct I/O
drop
t0=$(date +%s.%N)
dd if="$IN" of=/dev/null bs=16M iflag=direct status=none
t1=$(date +%s.%N)
dd if=/dev/zero of="$DIR/.floor-write.tmp" bs=16M count=$(( (BYTES + (16<<20) - 1) / (16<<20) )) oflag=direct conv=fsync status=none
t2=$(date +%s.%N)
rm -f "$DIR/.floor-write.tmp"

CG=""
if [ -n "$LIMIT" ]; then
  CG=/sys/fs/cgroup/memory/penumbra-ooc-$$
  mkdir "$CG"
  echo "$LIMIT" > "$CG/memory.limit_in_bytes"
  trap 'rmdir "$CG" 2>/dev/null || true' EXIT
fi
drop
start=$(date +%s.%N)
if [ -n "$CG" ]; then
  # the subshell enters the cgroup, then becomes the launcher: the JVM and its page cache are charged there
  (echo $BASHPID > "$CG/cgroup.procs"; exec "$ROOT/penumbra" gaussian --sigma 3 --shape "$SHAPE" --dtype float32 -q \
     "${EXTRA[@]}" "$IN" "$OUT") &
else
  "$ROOT/penumbra" gaussian --sigma 3 --shape "$SHAPE" --dtype float32 -q "${EXTRA[@]}" "$IN" "$OUT" &
fi
launcher=$!
watch_peak_anon "$launcher"
wait "$launcher"
end=$(date +%s.%N)
cg_peak=0
[ -n "$CG" ] && cg_peak=$(cat "$CG/memory.max_usage_in_bytes")
python3 - "$t0" "$t1" "$t2" "$start" "$end" "$BYTES" "$peak_anon" "$cg_peak" "$MODE" "${LIMIT:-none}" <<'PY'
import sys
t0, t1, t2, s, e = map(float, sys.argv[1:6])
b, anon, cg = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
mode, limit = sys.argv[9], sys.argv[10]
t = e - s
floor = (t1 - t0) + (t2 - t1)
gib = b / 2**30
print(f"disk floor: read {gib:.1f} GiB in {t1 - t0:.1f} s ({b / 1e9 / (t1 - t0):.2f} GB/s), write in {t2 - t1:.1f} s"
      f" ({b / 1e9 / (t2 - t1):.2f} GB/s): {floor:.1f} s")
print(f"{mode}, memory limit {limit}: {gib:.1f} GiB in + {gib:.1f} GiB out in {t:.1f} s: {gib / t:.2f} GiB/s of input,"
      f" {100 * floor / t:.0f} % of the disk floor; peak RssAnon {anon / 1024:.0f} MiB"
      + (f", cgroup peak {cg / 2**30:.2f} GiB" if cg else ""))
PY
if [ "$CHECK" -gt 0 ]; then
  python3 - "$IN" "$SHAPE" "$OUT" "$CHECK" <<'PY'
import sys
import numpy as np
import scipy.ndimage as ndi
path, shape, out, n = sys.argv[1], tuple(int(x) for x in sys.argv[2].split(',')), sys.argv[3], int(sys.argv[4])
vin = np.memmap(path, dtype='<f4', mode='r', shape=shape)
vout = np.memmap(out, dtype='<f4', mode='r', shape=shape) if not out.endswith('.npy') else np.load(out, mmap_mode='r')
r = 12  # sigma 3, truncate 4
worst = 0.0
for z in np.linspace(r, shape[0] - r - 1, n).astype(int):
    # plane z depends on planes z-r .. z+r only: scipy on that block gives plane z exactly
    ref = ndi.gaussian_filter(np.asarray(vin[z - r:z + r + 1], dtype=np.float64), 3)[r]
    got = np.asarray(vout[z], dtype=np.float64)
    err = float(np.max(np.abs(got - ref) / np.maximum(1, np.abs(ref))))
    worst = max(worst, err)
    print(f"plane {z}: max error {err:.2e} (relative to max(1,|scipy|))")
print("spot check " + ("passed" if worst <= 1e-5 else "FAILED") + f": worst {worst:.2e}")
PY
fi
