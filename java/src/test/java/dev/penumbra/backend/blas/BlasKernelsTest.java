package dev.penumbra.backend.blas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenBLAS backend beyond the golden suite: NaN and ∞ reach exactly the outputs scipy's
 * arithmetic (the scalar reference) gives them, although the Toeplitz matrices' zeros meet them
 * (0 · ∞ = NaN in a GEMM), on the double path and on the float path pinned; and the load status.
 */
class BlasKernelsTest {
    @BeforeEach
    void available() {
        assumeTrue(Backends.blasAvailable(), "blas backend " + Backends.blasStatus());
    }

    private static Volume data(long seed, boolean specials) {
        Volume v = Volume.allocate(DType.F32, 6, 20, 70);
        Random r = new Random(seed);
        for (long i = 0; i < v.elementCount(); i++) {
            v.writeDouble(i * 4, r.nextGaussian());
        }
        if (specials) {
            v.writeDouble(((2 * 20 + 7) * 70 + 30) * 4L, Double.NaN);
            v.writeDouble(((4 * 20 + 15) * 70 + 3) * 4L, Double.POSITIVE_INFINITY);
            v.writeDouble(((1 * 20 + 2) * 70 + 66) * 4L, Double.NEGATIVE_INFINITY);
        }
        return v;
    }

    private static void assertSameSpecialsAndClose(Volume want, Volume got, double tol, String what) {
        int nans = 0;
        for (long i = 0; i < want.elementCount(); i++) {
            double a = want.readDouble(i * 4);
            double b = got.readDouble(i * 4);
            if (Double.isNaN(a) || Double.isInfinite(a)) {
                nans++;
                assertEquals(a, b, what + " at " + i); // NaN equals NaN here, ±∞ must match
            } else {
                assertTrue(Math.abs(a - b) <= tol * Math.max(1, Math.abs(a)), what + " at " + i + ": " + a + " vs " + b);
            }
        }
        assertTrue(nans > 0, what + ": the data should reach some outputs with NaN or ∞");
    }

    @Test
    void nanAndInfinityReachTheOutputsScipyGivesThem() {
        List<FilterSpec> specs = List.of(FilterSpec.gaussian(2.0), FilterSpec.of(Op.SOBEL).withAxis(2),
                FilterSpec.of(Op.UNIFORM).withSize(5), FilterSpec.gaussian(1.0).withOrder(0, 1, 2).withMode("wrap"));
        try (Volume in = data(1, true);
             Volume ref = Volume.allocate(DType.F32, in.shape());
             Volume out = Volume.allocate(DType.F32, in.shape())) {
            for (FilterSpec fs : specs) {
                Plan plan = fs.plan(3);
                Schedule scalar = Schedule.defaults().withBackend(Backends.Kind.SCALAR);
                Engine.run(plan, in, ref, scalar);
                Engine.run(plan, in, out, Schedule.defaults().withBackend(Backends.Kind.BLAS));
                assertSameSpecialsAndClose(ref, out, 1e-6, "blas double path " + fs);
                if (fs.op() == Op.UNIFORM) {
                    continue; // scipy's running sum spreads NaN along whole lines: the double path reproduces it
                }
                Engine.run(plan, in, out, Schedule.defaults().withBackend(Backends.Kind.BLAS).withChunks(3, 7, 33)
                        .withArithmetic(Schedule.Arithmetic.FLOAT32));
                assertSameSpecialsAndClose(ref, out, 1e-5, "blas float path, chunked " + fs);
            }
        }
    }

    @Test
    void statusNamesOpenBlasAndOneThread() {
        String s = Backends.blasStatus();
        assertTrue(s.startsWith("OpenBLAS ") && s.contains("1 thread per Penumbra thread"), s);
        assertTrue(BlasKernels.usefulShareRows(25) > 0.7 && BlasKernels.usefulShareRows(3) < 0.35,
                BlasKernels.usefulShareRows(25) + " " + BlasKernels.usefulShareRows(3));
    }
}
