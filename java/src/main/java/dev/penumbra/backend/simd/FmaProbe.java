package dev.penumbra.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this thread's float32 FMA rate with the widest vectors: eight independent
 * accumulator chains (enough to cover FMA latency on current x86 cores), no memory traffic.
 */
public final class FmaProbe {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FmaProbe() {
    }

    /** Float multiply-adds per second (lanes × vector FMAs) on the calling thread. */
    public static double fmaPerSecond(long vectorFmas) {
        FloatVector a = FloatVector.broadcast(S, 0.999f);
        FloatVector b = FloatVector.broadcast(S, 1e-3f);
        FloatVector x0 = b, x1 = b, x2 = b, x3 = b, x4 = b, x5 = b, x6 = b, x7 = b;
        long rounds = Math.max(1, vectorFmas / 8);
        long t = System.nanoTime();
        for (long i = 0; i < rounds; i++) {
            x0 = x0.fma(a, b);
            x1 = x1.fma(a, b);
            x2 = x2.fma(a, b);
            x3 = x3.fma(a, b);
            x4 = x4.fma(a, b);
            x5 = x5.fma(a, b);
            x6 = x6.fma(a, b);
            x7 = x7.fma(a, b);
        }
        long ns = Math.max(1, System.nanoTime() - t);
        float sink = x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).reduceLanes(
                VectorOperators.ADD);
        if (sink == 42.4242f) {
            System.out.print("");
        }
        return rounds * 8.0 * S.length() / (ns / 1e9);
    }
}
