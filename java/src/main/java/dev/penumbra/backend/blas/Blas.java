package dev.penumbra.backend.blas;

import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;

/**
 * Loads OpenBLAS through JavaCPP (natives from the {@code linux-x86_64} jar, extracted by JavaCPP
 * to its cache) once, sets it single-threaded, and says what it found. Penumbra's own threads are
 * the one level of parallelism: each of them calls small GEMMs on its own tiles, and OpenBLAS
 * threads on top would oversubscribe the cores (documented in README).
 */
public final class Blas {
    private static final BlasKernels KERNELS;
    private static final String STATUS;

    static {
        BlasKernels k = null;
        String status;
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
        KERNELS = k;
        STATUS = status;
    }

    private Blas() {
    }

    public static Optional<BlasKernels> kernels() {
        return Optional.ofNullable(KERNELS);
    }

    public static String status() {
        return STATUS;
    }
}
