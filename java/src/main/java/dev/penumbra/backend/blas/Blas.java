package dev.penumbra.backend.blas;

import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;

/**
 * Loads OpenBLAS through JavaCPP (natives from the {@code linux-x86_64} jar, extracted by JavaCPP
 * to its cache) once, sets it single-threaded, and says what it found. Penumbra's own threads are
 * the one level of parallelism: each of them calls small GEMMs on its own tiles, and OpenBLAS
 * threads on top would oversubscribe the cores (documented in README). When the environment forces
 * a core type ({@code OPENBLAS_CORETYPE}) whose kernels this CPU cannot run, OpenBLAS is not loaded
 * at all and the backend says why ({@link CoreTypes}).
 */
public final class Blas {
    // process-wide: OpenBLAS is loaded once per JVM (it reads OPENBLAS_CORETYPE at load)
    private static final BlasKernels KERNELS;
    private static final String STATUS;
    private static final String UNSUPPORTED_CORE;

    static {
        BlasKernels k = null;
        String status;
        String forced = System.getenv("OPENBLAS_CORETYPE");
        UNSUPPORTED_CORE = forced == null || forced.isBlank() ? null
                : CoreTypes.cannotRun(forced, CoreTypes.cpuFlags()).orElse(null);
        if (UNSUPPORTED_CORE != null) {
            status = "unavailable: " + UNSUPPORTED_CORE;
        } else {
            try {
                Loader.load(openblas.class);
                Loader.load(openblas_full.class);
                openblas_full.openblas_set_num_threads(1);
                String config = openblas_full.openblas_get_config().getString().trim();
                String core = openblas_full.openblas_get_corename().getString().trim();
                k = new BlasKernels();
                status = (config.startsWith("OpenBLAS") ? config : "OpenBLAS " + config) + ", " + core
                        + " kernels, 1 thread per Penumbra thread";
            } catch (Throwable t) {
                status = "unavailable: OpenBLAS did not load (" + t + ")";
            }
        }
        KERNELS = k;
        STATUS = status;
    }

    private Blas() {
    }

    /** The OpenBLAS kernels, or empty when OpenBLAS did not load (see {@link #status()}). */
    public static Optional<BlasKernels> kernels() {
        return Optional.ofNullable(KERNELS);
    }

    /** One line: which OpenBLAS runs with which core type's kernels, or why it is unavailable. */
    public static String status() {
        return STATUS;
    }

    /**
     * Why the core type that {@code OPENBLAS_CORETYPE} forces cannot run on this CPU (OpenBLAS was
     * then not loaded), or empty.
     */
    public static Optional<String> unsupportedCoreType() {
        return Optional.ofNullable(UNSUPPORTED_CORE);
    }
}
