#!/usr/bin/env bash
# Out-of-core run: filter a raw float32 volume file to file and report wall time, throughput and
# the peak resident anonymous memory of the JVM (RssAnon: heap, scratch, metaspace — not the
# page cache behind the mappings), next to the disk's own sequential rates measured with dd.
#   tools/out_of_core.sh IN.vol Z,Y,X OUT.vol [cold]
# 'cold' drops the page cache first (root only). Make IN.vol with tools/make_big_volume.py.
set -euo pipefail
IN=$1; SHAPE=$2; OUT=$3; MODE=${4:-warm}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR=$(dirname "$OUT")
if [ "$MODE" = cold ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
"$ROOT/penumbra" --version >/dev/null   # build outside the timing
start=$(date +%s.%N)
"$ROOT/penumbra" gaussian --sigma 3 --shape "$SHAPE" --dtype float32 -q "$IN" "$OUT" &
launcher=$!
peak_anon=0; peak_file=0
while kill -0 "$launcher" 2>/dev/null; do
  pid=$(pgrep -f "dev.penumbra.cli.Main gaussian" | head -1 || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
    a=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    f=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ -n "$a" ] && [ "$a" -gt "$peak_anon" ] && peak_anon=$a
    [ -n "$f" ] && [ "$f" -gt "$peak_file" ] && peak_file=$f
  fi
  sleep 0.2
done
wait "$launcher"
end=$(date +%s.%N)
bytes=$(stat -c %s "$IN")
python3 - "$start" "$end" "$bytes" "$peak_anon" "$peak_file" "$MODE" <<'PY'
import sys
s, e, b, anon, f, mode = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
t = e - s
print(f"{mode}: {b/2**30:.1f} GiB in + {b/2**30:.1f} GiB out in {t:.1f} s: {b/2**30/t:.2f} GiB/s of input, "
      f"{2*b/1e9/t:.2f} GB/s read+write; peak RssAnon {anon/1024:.0f} MiB, peak RssFile {f/1024:.0f} MiB")
PY
