package dev.penumbra.backend;

import dev.penumbra.BadParameterException;
import dev.penumbra.backend.blas.Blas;
import dev.penumbra.backend.blas.BlasKernels;
import dev.penumbra.backend.ffm.NativeKernels;
import dev.penumbra.backend.ffm.NativeLibrary;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses line kernels (Lucene's VectorizationProvider idea): the Vector API kernel is looked up
 * once, by name, only when the {@code jdk.incubator.vector} module is in the boot layer; without it
 * {@code simd} falls back to the scalar reference and says so once.
 */
public final class Backends {
    /** Backends named by the CLI contract. */
    public enum Kind { SCALAR, SIMD, NATIVE, BLAS }

    // process-wide: one kernel object per backend, chosen once (as Lucene's VectorizationProvider); each
    // keeps only per-thread scratch
    private static final LineKernel SCALAR = new ScalarLineKernel();
    private static final FloatTileKernel SCALAR_EXACT = new ScalarExactKernel();

    /**
     * The Vector API kernels, loaded on first use: a run on the native kernels never loads them
     * (about 40 ms of a command's start-up).
     */
    private static final class Simd {
        static final LineKernel LINE;
        static final FloatTileKernel FLOAT;
        static final FloatTileKernel EXACT;
        static final String REASON;

        static {
            LineKernel simd = null;
            FloatTileKernel simdFloat = null;
            FloatTileKernel simdExact = null;
            String reason;
            if (!vectorModule()) {
                reason = "the jdk.incubator.vector module is not present (run with --add-modules jdk.incubator.vector)";
            } else {
                try {
                    simd = (LineKernel) Class.forName("dev.penumbra.backend.simd.SimdLineKernel")
                            .getDeclaredConstructor().newInstance();
                    Class<?> f = Class.forName("dev.penumbra.backend.simd.SimdFloatTileKernel");
                    simdFloat = (FloatTileKernel) f.getDeclaredConstructor().newInstance();
                    simdExact = (FloatTileKernel) Class.forName("dev.penumbra.backend.simd.SimdExactKernel")
                            .getDeclaredConstructor().newInstance();
                    reason = "Vector API, " + f.getMethod("lanes").invoke(null) + " float lanes";
                } catch (ReflectiveOperationException | LinkageError e) {
                    reason = "the Vector API kernel failed to load (" + e + ")";
                    simd = null;
                    simdFloat = null;
                    simdExact = null;
                }
            }
            LINE = simd;
            FLOAT = simdFloat;
            EXACT = simdExact;
            REASON = reason;
        }
    }

    /** True when the JVM runs with the Vector API module (without loading any kernel). */
    private static boolean vectorModule() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private Backends() {
    }

    /** A backend by its CLI name ({@code scalar, simd, native, blas}); a {@code BadParameterException} otherwise. */
    public static Kind parse(String name) {
        try {
            return Kind.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadParameterException("backend: unknown backend '" + name + "' (expected scalar, simd, native or blas)");
        }
    }

    /** True when the Vector API kernel loaded. */
    public static boolean simdAvailable() {
        return Simd.LINE != null;
    }

    /** Why simd is or is not the Vector API kernel. */
    public static String simdStatus() {
        return Simd.REASON;
    }

    /** The kernel for a backend; simd falls back to scalar when the Vector API is absent. */
    public static LineKernel kernel(Kind kind) {
        return switch (kind) {
            case SCALAR -> SCALAR;
            case SIMD -> Simd.LINE != null ? Simd.LINE : SCALAR;
            case NATIVE -> Native.kernels();
            case BLAS -> blas();
        };
    }

    /**
     * The float32 tile kernel of a backend, or null when it has none (scalar is the double
     * reference; simd without the Vector API falls back to it).
     */
    public static FloatTileKernel floatKernel(Kind kind) {
        return switch (kind) {
            case SIMD -> Simd.FLOAT;
            case NATIVE -> Native.kernels();
            case BLAS -> blas();
            default -> null;
        };
    }

    /**
     * The double path's kernels on float storage, for float32 outputs, or null when the backend has
     * none (blas): each output summed in double exactly as {@link #kernel} sums it, from float
     * values, and rounded to float once — scipy rounds every pass to the output dtype, so these give
     * the double path's bits with float scratch, and let it stream as the float path does.
     */
    public static FloatTileKernel exactKernel(Kind kind) {
        return switch (kind) {
            case SCALAR -> SCALAR_EXACT;
            case SIMD -> Simd.EXACT != null ? Simd.EXACT : SCALAR_EXACT;
            case NATIVE -> Native.kernels().exact();
            case BLAS -> null;
        };
    }

    /** The backends this build has: scalar and simd, native when libpenumbra loaded, blas when OpenBLAS did. */
    public static List<Kind> available() {
        List<Kind> kinds = new ArrayList<>(List.of(Kind.SCALAR, Kind.SIMD));
        if (nativeAvailable()) {
            kinds.add(Kind.NATIVE);
        }
        if (blasAvailable()) {
            kinds.add(Kind.BLAS);
        }
        return List.copyOf(kinds);
    }

    /** True when OpenBLAS loaded (see {@link #blasStatus()}). */
    public static boolean blasAvailable() {
        return Blas.kernels().isPresent();
    }

    /** Which OpenBLAS runs and how, or why it is unavailable. */
    public static String blasStatus() {
        return Blas.status();
    }

    private static BlasKernels blas() {
        return Blas.kernels().orElseThrow(() -> new BadParameterException(
                "backend: 'blas' is " + blasStatus()));
    }

    /** True when libpenumbra loaded (see {@link #nativeStatus()}). */
    public static boolean nativeAvailable() {
        return NativeLibrary.get().isPresent();
    }

    /** Where the native library came from and which kernels run, or why it is unavailable. */
    public static String nativeStatus() {
        return NativeLibrary.status();
    }

    /** The native kernels, bound on first use. */
    private static final class Native {
        // process-wide: the native library is bound once per JVM
        private static final NativeKernels KERNELS;

        static {
            var lib = NativeLibrary.get();
            KERNELS = lib.map(NativeKernels::new).orElse(null);
            // one line for whoever listens (the CLI prints it beside its result, not before errors)
            System.getLogger("dev.penumbra.native").log(KERNELS != null ? System.Logger.Level.DEBUG
                    : System.Logger.Level.TRACE, "native backend: " + nativeStatus());
        }

        static NativeKernels kernels() {
            if (KERNELS == null) {
                throw new BadParameterException("backend: 'native' is " + nativeStatus());
            }
            return KERNELS;
        }
    }

    /**
     * This machine's float32 FMA rate on one thread (multiply-adds per second), measured with the
     * Vector API when present (best of a few short runs), or NaN without it.
     */
    public static double fmaRatePerThread() {
        if (Simd.LINE == null) {
            return Double.NaN;
        }
        try {
            Method m = Class.forName("dev.penumbra.backend.simd.FmaProbe")
                    .getMethod("fmaPerSecond", long.class);
            double best = 0;
            for (int i = 0; i < 5; i++) {
                best = Math.max(best, (double) m.invoke(null, 20_000_000L));
            }
            return best;
        } catch (ReflectiveOperationException e) {
            return Double.NaN;
        }
    }

    // process-wide: the default backend is chosen, and explained, once per JVM
    private static volatile Kind best;

    /**
     * The fastest backend this JVM can run: the native kernels (C through FFM; the simd backend's
     * bytes, up to 2.4x faster) when they load, else the Java SIMD kernels, else the scalar
     * reference. When a JVM flag is missing that a faster backend needs, says once, on stderr, which
     * backend runs and which flag brings the fast one: a library user is
     * never 10x slower without a word.
     */
    public static Kind best() {
        Kind b = best;
        if (b == null) {
            synchronized (Backends.class) {
                if (best == null) {
                    boolean nativeAccess = Backends.class.getModule().isNativeAccessEnabled();
                    // without native access, loading the library makes the JVM print a 4-line warning:
                    // take it only when the alternative is the scalar reference
                    boolean tryNative = nativeAccess || !simdAvailable();
                    best = tryNative && nativeAvailable() ? Kind.NATIVE : simdAvailable() ? Kind.SIMD : Kind.SCALAR;
                    // (whether the simd kernels would load matters only for the notice: the module says it)
                    String notice = defaultNotice(best, best == Kind.NATIVE ? vectorModule() : simdAvailable(),
                            nativeAccess);
                    if (notice != null && !Boolean.getBoolean("penumbra.quiet")) {
                        System.err.println(notice);
                    }
                }
                b = best;
            }
        }
        return b;
    }

    /**
     * The one line said when a JVM flag that a faster backend needs is missing, or null when both
     * {@code --add-modules jdk.incubator.vector} and {@code --enable-native-access=ALL-UNNAMED} are
     * there (or the missing one would not be faster).
     */
    static String defaultNotice(Kind chosen, boolean vectorApi, boolean nativeAccess) {
        String vector = "--add-modules jdk.incubator.vector";
        String access = "--enable-native-access=ALL-UNNAMED";
        return switch (chosen) {
            case NATIVE -> vectorApi && nativeAccess ? null : "penumbra: running the native kernels (C via FFM, the"
                    + " fastest)" + (nativeAccess ? "" : " without native access enabled; add " + access
                    + " to the java command to run them without the JVM's warning")
                    + (vectorApi ? "" : (nativeAccess ? "; add " : ", and ") + vector + " for the Java SIMD kernels too");
            case SIMD -> nativeAccess || !nativeBuilt() ? null : "penumbra: running the Java SIMD kernels; the native"
                    + " kernels (the same results, up to 2.4x faster) need " + access + " on the java command";
            case SCALAR -> "penumbra: running the scalar reference kernels, about 10x slower than the fast ones:"
                    + " add " + vector + (nativeBuilt() ? " and " + access : "") + " to the java command";
            case BLAS -> null;
        };
    }

    /** True when this build carries a native library for this platform (whether or not it is loaded). */
    private static boolean nativeBuilt() {
        return NativeLibrary.built();
    }
}
