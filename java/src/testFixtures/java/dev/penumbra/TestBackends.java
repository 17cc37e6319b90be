package dev.penumbra;

import static org.junit.jupiter.api.Assertions.fail;

import dev.penumbra.backend.Backends;
import dev.penumbra.backend.blas.Blas;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;

/**
 * The backends the parity and identity tests run: every backend this build has, or only those that
 * {@code -Dpenumbra.test.backends=blas,...} names. java/pom.xml runs the blas tests again in one
 * forked JVM per OpenBLAS core type that way, with {@code OPENBLAS_CORETYPE} set, since OpenBLAS
 * reads it once, at load.
 */
public final class TestBackends {
    private TestBackends() {
    }

    /** The backends to test. */
    public static List<Backends.Kind> list() {
        String named = System.getProperty("penumbra.test.backends", "").trim();
        if (named.isEmpty()) {
            return Backends.available();
        }
        List<Backends.Kind> kinds = new ArrayList<>();
        for (String n : named.split(",")) {
            kinds.add(Backends.Kind.valueOf(n.trim().toUpperCase(Locale.ROOT)));
        }
        return List.copyOf(kinds);
    }

    /**
     * Skips the calling test, with the loader's reason, when a named backend cannot run because the
     * environment forces an OpenBLAS core type this CPU lacks the instructions for; fails when a
     * named backend did not load for any other reason (a test of it must not pass by running nothing).
     */
    public static void assumeRunnable() {
        if (System.getProperty("penumbra.test.backends", "").isBlank()) {
            return; // all the build has: Backends.available() says which
        }
        for (Backends.Kind kind : list()) {
            boolean ok = switch (kind) {
                case BLAS -> Backends.blasAvailable();
                case NATIVE -> Backends.nativeAvailable();
                case SIMD -> Backends.simdAvailable();
                case SCALAR -> true;
            };
            if (!ok && kind == Backends.Kind.BLAS && Blas.unsupportedCoreType().isPresent()) {
                String why = "blas: " + Blas.unsupportedCoreType().get();
                System.err.println("skipped: " + why); // surefire's console shows only counts
                Assumptions.abort(why);
            }
            if (!ok) {
                fail("backend " + kind + " was asked for but is unavailable: " + switch (kind) {
                    case BLAS -> Backends.blasStatus();
                    case NATIVE -> Backends.nativeStatus();
                    default -> Backends.simdStatus();
                });
            }
        }
    }
}
