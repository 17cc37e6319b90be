#!/usr/bin/env bash
# Builds libpenumbra.so with CMake for Maven (java/pom.xml runs it in generate-resources):
#   native/build.sh CLASSES_NATIVE_DIR BUILD_DIR
# The library lands in CLASSES_NATIVE_DIR/<os>-<arch>/ and so goes into the jar. Without CMake or
# a C compiler the Java build still succeeds: this prints a warning and records the reason in
# CLASSES_NATIVE_DIR/<os>-<arch>/NOT-BUILT, which the loader reports and the native tests skip with.
set -uo pipefail
OUT=$1
BUILD=$2
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
[ "$arch" = amd64 ] && arch=x86_64
DEST="$OUT/$os-$arch"
mkdir -p "$DEST"
rm -f "$DEST/NOT-BUILT"
skip() {
  echo "[WARNING] penumbra native: $1; the native backend is not built (Java backends only, native tests skipped)" >&2
  echo "$1" >"$DEST/NOT-BUILT"
  rm -f "$DEST/libpenumbra.so"
  exit 0
}
CMAKE=${PENUMBRA_CMAKE:-cmake}   # PENUMBRA_CMAKE=/no/such/cmake shows what a machine without CMake gets
command -v "$CMAKE" >/dev/null 2>&1 || skip "cmake was not found on PATH when the project was built"
CC_FOUND=""
for c in "${CC:-}" cc gcc clang; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then CC_FOUND=$c; break; fi
done
[ -n "$CC_FOUND" ] || skip "no C compiler (cc, gcc or clang) was found on PATH when the project was built"
mkdir -p "$BUILD"
log="$BUILD/build.log"
if ! { "$CMAKE" -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC_FOUND" \
        && "$CMAKE" --build "$BUILD" --parallel 2; } >"$log" 2>&1; then
  tail -20 "$log" >&2
  skip "the CMake build failed (log: $log)"
fi
cp "$BUILD/libpenumbra.so" "$DEST/libpenumbra.so.tmp" && mv "$DEST/libpenumbra.so.tmp" "$DEST/libpenumbra.so"
