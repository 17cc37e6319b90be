package dev.penumbra.backend.blas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.backend.Backends;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * OpenBLAS core types this CPU cannot run are refused before OpenBLAS loads (its kernels would stop
 * the JVM with SIGILL), and a core type that can run is the one whose kernels run. java/pom.xml runs
 * this class once per core type with OPENBLAS_CORETYPE set.
 */
class CoreTypesTest {
    private static final Set<String> ZEN3 = Set.of("sse", "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "sse4a", "avx",
            "avx2", "fma");
    private static final Set<String> ZEN4 = Set.of("sse", "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "sse4a", "avx",
            "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16");

    @Test
    void coreTypesTheCpuCannotRunAreNamedWithWhatIsMissing() {
        assertEquals(Optional.of("OPENBLAS_CORETYPE=SkylakeX selects kernels that need avx512f, avx512cd, avx512bw,"
                + " avx512dq, avx512vl, which this CPU lacks (they would stop the JVM with SIGILL)"),
                CoreTypes.cannotRun("SkylakeX", ZEN3));
        assertEquals(Optional.of("OPENBLAS_CORETYPE=Bulldozer selects kernels that need fma4, xop, which this CPU"
                + " lacks (they would stop the JVM with SIGILL)"), CoreTypes.cannotRun("Bulldozer", ZEN4));
        assertEquals(Optional.of("OPENBLAS_CORETYPE=SapphireRapids selects kernels that need amx_bf16, which this"
                + " CPU lacks (they would stop the JVM with SIGILL)"), CoreTypes.cannotRun("SapphireRapids", ZEN4));
        for (String ok : new String[] {"Haswell", "HASWELL", "zen", "Sandybridge", "Prescott", "Nehalem"}) {
            assertEquals(Optional.empty(), CoreTypes.cannotRun(ok, ZEN3), ok);
        }
        assertEquals(Optional.empty(), CoreTypes.cannotRun("Cooperlake", ZEN4));
        // names OpenBLAS does not know it ignores; flags that cannot be read block nothing
        assertEquals(Optional.empty(), CoreTypes.cannotRun("Zen9", ZEN3));
        assertEquals(Optional.empty(), CoreTypes.cannotRun("SkylakeX", Set.of()));
    }

    @Test
    void theForcedCoreTypeRunsOrBlasSaysWhyNot() {
        String forced = System.getenv("OPENBLAS_CORETYPE");
        Optional<String> cannot = forced == null || forced.isBlank() ? Optional.empty()
                : CoreTypes.cannotRun(forced, CoreTypes.cpuFlags());
        if (cannot.isPresent()) {
            assertEquals("unavailable: " + cannot.get(), Backends.blasStatus());
            assertEquals(cannot, Blas.unsupportedCoreType());
            return;
        }
        assertTrue(Backends.blasAvailable(), Backends.blasStatus());
        // the core types java/pom.xml tests run under their own names (older ones alias: Atom runs Nehalem's)
        if (forced != null && Set.of("haswell", "zen", "skylakex", "cooperlake", "sandybridge", "prescott")
                .contains(forced.trim().toLowerCase(Locale.ROOT))) {
            assertTrue(Backends.blasStatus().toLowerCase(Locale.ROOT).contains(", " + forced.trim().toLowerCase(Locale.ROOT)
                    + " kernels"), "OPENBLAS_CORETYPE=" + forced + " but " + Backends.blasStatus());
        }
    }
}
