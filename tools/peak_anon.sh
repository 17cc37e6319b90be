# Sourced by the out-of-core tools: watch_peak_anon PID waits for the launcher PID to end and sets
# peak_anon to the peak RssAnon (KiB) of the CLI's JVM (heap, scratch, chunk caches; not the page
# cache behind mappings), sampled every 0.2 s.
watch_peak_anon() {
  local launcher=$1 pid a
  peak_anon=0
  while kill -0 "$launcher" 2>/dev/null; do
    pid=$(pgrep -f "dev.penumbra.cli.Main gaussian" | head -1 || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
      a=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ -n "$a" ] && [ "$a" -gt "$peak_anon" ] && peak_anon=$a
    fi
    sleep 0.2
  done
}
