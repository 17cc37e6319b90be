#!/usr/bin/env bash
# Follows README.md as a newcomer would, in a temporary directory, and checks what it promises:
#   1. the first screen's instructions: ./penumbra builds and filters a file of one's own;
#   2. the library: README's install command, then README's sample pom.xml and Smooth.java built and
#      run with README's build and java command lines, giving the CLI's bytes;
#   3. that app's runtime class path holds no junit, picocli, xchart or pdfbox jar;
#   4. run without --add-modules jdk.incubator.vector, it says so in one line on stderr;
#   5. an output of another shape is refused with an exception naming both shapes.
# Usage: tools/newcomer.sh [SOURCE_TREE]   (default: this repository; copied, never built in place)
# Exit 0 when every check holds; the first failure is printed and exits 1.
set -euo pipefail
SRC="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "newcomer: FAIL: $*" >&2; exit 1; }
say() { echo "newcomer: $*" >&2; }

# a fresh copy of the tree, without build output (as a clone would have it)
mkdir -p "$WORK/penumbra"
(cd "$SRC" && tar --exclude='./*/target' --exclude=./target --exclude=./.git -cf - .) | (cd "$WORK/penumbra" && tar -xf -)
REPO="$WORK/penumbra"
README="$REPO/README.md"

# README's fenced block after a <!-- newcomer:NAME --> marker
block() {
  awk -v m="<!-- newcomer:$1 -->" '$0 == m {f = 1; next} f && /^```/ {if (inb) exit; inb = 1; next} f && inb {print}' "$README"
}

# 1. the first screen: a filter on one's own .npy file
cp "$REPO/java/src/test/resources/goldens/f4_6x7x8.npy" "$WORK/volume.npy"
(cd "$REPO" && ./penumbra gaussian --sigma 3 "$WORK/volume.npy" "$WORK/cli.npy" -q) || fail "./penumbra gaussian"
[ -s "$WORK/cli.npy" ] || fail "./penumbra wrote no output"
# (on JDK 25 the launcher trains its AOT cache before that first command; a failed training leaves a stamp)
[ ! -e "$REPO/cli/target/penumbra-c1.aot.failed" ] || fail "the launcher's AOT cache training run failed"
say "1. ./penumbra gaussian on a file of one's own: ok"

# 2. the library as README installs, builds and runs it
INSTALL=$(grep -m1 '^mvn .* install' "$README") || fail "README has no install command"
(cd "$REPO" && eval "$INSTALL") || fail "install: $INSTALL"
APP="$WORK/app"
mkdir -p "$APP/src/main/java"
block pom > "$APP/pom.xml"
block java > "$APP/src/main/java/Smooth.java"
block run > "$APP/run.sh"
[ -s "$APP/pom.xml" ] && [ -s "$APP/src/main/java/Smooth.java" ] && [ -s "$APP/run.sh" ] || fail "README's sample blocks"
cp "$WORK/volume.npy" "$APP/volume.npy"
export JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -1)}"
export PATH="$JAVA_HOME/bin:$PATH"
(cd "$APP" && bash -e run.sh 2> "$WORK/run.err") || { cat "$WORK/run.err" >&2; fail "README's build and run lines"; }
cmp -s "$APP/smooth.npy" "$WORK/cli.npy" || fail "the app's output differs from the CLI's"
say "2. README's install, sample pom, Smooth.java and java line: ok (the CLI's bytes)"

# 3. what a library user gets on the class path
BAD=$(ls "$APP/target/lib" | grep -Ei 'junit|picocli|xchart|pdfbox' || true)
[ -z "$BAD" ] || fail "the app's class path holds: $BAD"
say "3. runtime class path: $(ls "$APP/target/lib" | tr '\n' ' ')"

# 4. without the Vector API flag: one line saying so
JAVA_LINE=$(tr '\n' ' ' < "$APP/run.sh" | sed 's/\\ */ /g' | grep -o 'java --add-modules.*')
NO_VECTOR=$(echo "$JAVA_LINE" | sed 's/--add-modules jdk.incubator.vector //; s/smooth.npy$/smooth2.npy/')
(cd "$APP" && eval "$NO_VECTOR" 2> "$WORK/novec.err") || { cat "$WORK/novec.err" >&2; fail "run without the flag"; }
LINES=$(grep -c '^penumbra: ' "$WORK/novec.err" || true)
[ "$LINES" = 1 ] && grep -q 'jdk.incubator.vector' "$WORK/novec.err" || { cat "$WORK/novec.err" >&2; fail "expected one line naming the flag"; }
say "4. without --add-modules: $(grep '^penumbra: ' "$WORK/novec.err")"

# 5. an output of another shape is refused
cat > "$APP/src/main/java/WrongShape.java" <<'JAVA'
import dev.penumbra.BadParameterException;
import dev.penumbra.Filters;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.nio.file.Path;

public class WrongShape {
    public static void main(String[] args) {
        try (Volume in = VolumeFiles.mapNpy(Path.of(args[0])); Volume out = Volume.allocate(DType.F32, 2, 2, 2)) {
            Filters.gaussian(in, out, 3.0);
            System.out.println("accepted");
        } catch (BadParameterException e) {
            System.out.println(e.getMessage());
        }
    }
}
JAVA
(cd "$APP" && mvn -q package) || fail "building WrongShape"
GOT=$(cd "$APP" && java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -cp "target/smooth.jar:target/lib/*" WrongShape volume.npy 2>/dev/null)
[ "$GOT" = "output: shape [2, 2, 2] differs from the input's [6, 7, 8] (scipy's output must have the input's shape)" ] \
  || fail "a wrongly shaped output: $GOT"
say "5. a wrongly shaped output: $GOT"
say "all checks hold"
