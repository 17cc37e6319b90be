package dev.penumbra.backend.blas;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the kernels of an OpenBLAS core type need from the CPU. {@code OPENBLAS_CORETYPE} makes a
 * DYNAMIC_ARCH OpenBLAS run that core type's kernels without asking the CPU: on a Zen 3,
 * {@code SkylakeX} (AVX-512) or {@code Bulldozer} (FMA4) kernels stop the whole JVM with SIGILL at
 * the first GEMM. {@link Blas} asks here first and reports the blas backend unavailable instead.
 */
final class CoreTypes {
    /** CPU flags (as /proc/cpuinfo names them) each core type's kernels use, by lower-case name. */
    private static final Map<String, List<String>> NEEDS = Map.ofEntries(
            Map.entry("katmai", List.of("sse")),
            Map.entry("coppermine", List.of("sse")),
            Map.entry("northwood", List.of("sse2")),
            Map.entry("prescott", List.of("pni")),
            Map.entry("banias", List.of("sse2")),
            Map.entry("atom", List.of("ssse3")),
            Map.entry("core2", List.of("ssse3")),
            Map.entry("penryn", List.of("sse4_1")),
            Map.entry("dunnington", List.of("sse4_1")),
            Map.entry("nehalem", List.of("sse4_2")),
            Map.entry("athlon", List.of("sse")),
            Map.entry("opteron", List.of("sse2")),
            Map.entry("opteron_sse3", List.of("pni")),
            Map.entry("barcelona", List.of("pni", "sse4a")),
            Map.entry("bobcat", List.of("pni", "sse4a")),
            Map.entry("nano", List.of("ssse3")),
            Map.entry("sandybridge", List.of("avx")),
            Map.entry("bulldozer", List.of("avx", "fma4", "xop")),
            Map.entry("piledriver", List.of("avx", "fma4", "xop", "fma")),
            Map.entry("steamroller", List.of("avx", "fma4", "xop", "fma")),
            Map.entry("excavator", List.of("avx2", "fma4", "xop", "fma")),
            Map.entry("haswell", List.of("avx2", "fma")),
            Map.entry("zen", List.of("avx2", "fma")),
            Map.entry("skylakex", List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")),
            Map.entry("cooperlake", List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16")),
            Map.entry("sapphirerapids", List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
                    "avx512_bf16", "amx_bf16")));

    private CoreTypes() {
    }

    /**
     * Why the core type {@code forced} cannot run on a CPU with {@code flags}, or empty when it can
     * (or when OpenBLAS does not know the name: it then ignores it and picks by itself; or when the
     * flags are unknown).
     */
    static Optional<String> cannotRun(String forced, Set<String> flags) {
        List<String> needs = NEEDS.get(forced.trim().toLowerCase(Locale.ROOT));
        if (needs == null || flags.isEmpty()) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        for (String f : needs) {
            if (!flags.contains(f)) {
                missing.add(f);
            }
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("OPENBLAS_CORETYPE=" + forced.trim() + " selects kernels that need "
                + String.join(", ", missing) + ", which this CPU lacks (they would stop the JVM with SIGILL)");
    }

    /** The CPU's flags from /proc/cpuinfo's first "flags" line; empty when it cannot be read. */
    static Set<String> cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    return new HashSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no /proc: nothing to check against
        }
        return Set.of();
    }
}
