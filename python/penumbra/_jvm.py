"""Starting the JVM once per process, in-process through JPype, with the launcher's options."""

import glob
import os
import re
import subprocess
import sys
import tempfile
import threading

_lock = threading.Lock()
_bridge = None
_error = None


class JVMStartError(RuntimeError):
    """The JVM could not start: no JDK >= 22, the jars not built, JPype missing."""


def home():
    """The Penumbra checkout: $PENUMBRA_HOME, else the one recorded at install, else this file's."""
    env = os.environ.get("PENUMBRA_HOME")
    if env:
        if not os.path.isfile(os.path.join(env, "penumbra")):
            raise JVMStartError("penumbra: PENUMBRA_HOME=%s holds no Penumbra checkout (expected its ./penumbra "
                                "launcher there)" % env)
        return os.path.abspath(env)
    try:
        from . import _home  # written by `pip install` (setup.py)
        if os.path.isfile(os.path.join(_home.HOME, "penumbra")):
            return _home.HOME
    except ImportError:
        pass
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isfile(os.path.join(here, "penumbra")) and os.path.isdir(os.path.join(here, "java")):
        return here
    raise JVMStartError("penumbra: cannot find the Penumbra checkout (set PENUMBRA_HOME to the directory "
                        "that holds the ./penumbra launcher)")


def _jdk_major(jdk):
    if not (os.access(os.path.join(jdk, "bin", "java"), os.X_OK)):
        return 0
    try:
        with open(os.path.join(jdk, "release")) as f:
            m = re.search(r'^JAVA_VERSION="(\d+)', f.read(), re.M)
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


def find_jdk():
    """A JDK >= 22: $PENUMBRA_JAVA_HOME, $JAVA_HOME, else the newest under /usr/lib/jvm (as the launcher)."""
    for var in ("PENUMBRA_JAVA_HOME", "JAVA_HOME"):
        d = os.environ.get(var)
        if d and _jdk_major(d) >= 22:
            return d
    best, bestv = None, 0
    for d in sorted(glob.glob("/usr/lib/jvm/*")):
        if os.path.islink(d):
            continue
        v = _jdk_major(d)
        if v >= 22 and v > bestv:
            best, bestv = d, v
    if best is None:
        raise JVMStartError("penumbra: no JDK 22 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)")
    return best


def _jars(root):
    cli = os.path.join(root, "cli", "target", "penumbra-cli.jar")
    if not os.path.isfile(cli):
        launcher = os.path.join(root, "penumbra")
        r = subprocess.run([launcher, "build"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0 or not os.path.isfile(cli):
            tail = r.stdout.strip().splitlines()[-1:] if r.stdout else []
            raise JVMStartError("penumbra: the jars are not built and `%s build` failed%s" %
                                (launcher, (": " + tail[0]) if tail else ""))
    jars = [cli] + sorted(glob.glob(os.path.join(root, "cli", "target", "lib", "*.jar")))
    jpype_jar = "/usr/share/java/org.jpype.jar"
    if os.path.isfile(jpype_jar):
        jars.append(jpype_jar)
    return jars


def c1_only(root=None):
    """True when the JVM runs C1 alone, as the launcher's native filter commands do: the native
    kernels need no JIT, and C2's compile storm takes a core from the first calls (seed Gaussian:
    first call 1.41 -> 0.49 s, warm 0.19 -> 0.15 s). PENUMBRA_JIT=full keeps C2 (for the simd backend,
    whose Vector API kernels need it); it is the default where the native library is missing."""
    jit = os.environ.get("PENUMBRA_JIT", "").strip().lower()
    if jit in ("full", "c2"):
        return False
    root = root or home()
    lib = os.path.join(root, "java", "target", "classes", "native", "linux-x86_64", "libpenumbra.so")
    return jit == "c1" or os.path.isfile(lib)


def _huge_pages_on_request():
    """True when the kernel gives transparent huge pages to memory that asks (THP "madvise" or
    "always"); where THP is off the JVM would warn about the option."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            mode = f.read()
    except OSError:
        return False
    return "[madvise]" in mode or "[always]" in mode


def _start():
    try:
        import jpype
    except ImportError:
        raise JVMStartError("penumbra: JPype is needed to run in-process (Debian: apt-get install python3-jpype)")
    root = home()
    jdk = find_jdk()
    libjvm = os.path.join(jdk, "lib", "server", "libjvm.so")
    if not os.path.isfile(libjvm):
        raise JVMStartError("penumbra: the JDK at %s has no lib/server/libjvm.so" % jdk)
    jars = _jars(root)
    if not jpype.isJVMStarted():
        cores = os.cpu_count() or 2
        heap = max(256, 64 + 48 * cores)
        opts = ["-Xmx%dm" % heap, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dpenumbra.quiet=true"]
        if _jdk_major(jdk) >= 23:
            opts.append("--sun-misc-unsafe-memory-access=allow")  # jHDF's LZF decoder uses sun.misc.Unsafe
        if c1_only(root):
            opts += ["-XX:TieredStopAtLevel=1", "-Dpenumbra.c1only=true"]
        if _huge_pages_on_request():
            opts.append("-XX:+UseTransparentHugePages")  # as the launcher: fresh heap faults per 2 MiB
        opts += os.environ.get("PENUMBRA_JAVA_OPTS", "").split()
        # the JVM prints "WARNING: Using incubator modules" on fd 2 as it starts: keep the rest
        saved = os.dup(2)
        with tempfile.TemporaryFile() as err:
            os.dup2(err.fileno(), 2)
            try:
                jpype.startJVM(libjvm, *opts, classpath=jars, convertStrings=False)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                err.seek(0)
                for line in err.read().decode(errors="replace").splitlines():
                    if "Using incubator modules" not in line:
                        print(line, file=sys.stderr)
    b = jpype.JClass("dev.penumbra.interop.ArrayBridge")
    if os.environ.get("PENUMBRA_WARMUP", "1") != "0":
        b.warmUp()  # binds the native library and loads the engine on a JVM thread while the caller goes on
    return b


def bridge():
    """dev.penumbra.interop.ArrayBridge, starting the JVM on first use (once per process)."""
    global _bridge, _error
    if _bridge is not None:
        return _bridge
    with _lock:
        if _bridge is None:
            if _error is not None:
                raise JVMStartError(_error)
            try:
                _bridge = _start()
            except JVMStartError as e:
                _error = str(e)
                raise
            except Exception as e:  # JPype's own failures (a JVM that refuses an option, ...)
                _error = "penumbra: the JVM did not start: %s" % (str(e).strip().splitlines() or [type(e).__name__])[0]
                raise JVMStartError(_error) from None
    return _bridge


def start_early():
    """Starts the JVM when penumbra.ndimage is imported, and with it the engine's warm-up on a JVM
    thread (ArrayBridge.warmUp: the native library bound, the engine loaded and compiled), so that the
    time a script spends loading its data overlaps both and its first call runs near warm speed.
    PENUMBRA_WARMUP=0 leaves both to the first call. A JVM that cannot start says so at the first call."""
    if os.environ.get("PENUMBRA_WARMUP", "1") == "0":
        return
    try:
        bridge()
    except JVMStartError:
        pass


def message(e):
    """A Java exception's message, its first line (the project's errors are one line)."""
    m = e.getMessage()
    return (str(m) if m is not None else type(e).__name__).splitlines()[0]
