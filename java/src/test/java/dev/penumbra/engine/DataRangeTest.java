package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.penumbra.backend.Backends;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DataRange.allFinite on every route it takes: a whole float32 volume through its range (all
 * threads, the backend's range kernel, or none), a whole float64 volume read flat by all threads,
 * a big-endian one, and boxes read run by run; one NaN or infinity anywhere is found, and a box
 * that leaves it out is finite.
 */
class DataRangeTest {
    /** Several of DataRange's 16 Ki-element blocks, and a last block that is not full. */
    private static final long[] SHAPE = {5, 97, 211};

    @Test
    void oneNonFiniteValueAnywhereIsFound() {
        long n = SHAPE[0] * SHAPE[1] * SHAPE[2];
        long[] lo = {0, 0, 0};
        for (DType t : List.of(DType.F32, DType.F64)) {
            for (Backends.Kind kind : Backends.available()) {
                for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                    for (long at : new long[] {0, n / 2, n - 1}) {
                        try (Volume v = Volume.allocate(t, SHAPE)) {
                            fill(v, n);
                            String what = t + " " + kind + " " + bad + " at " + at;
                            assertEquals(true, check(v, lo, SHAPE, kind), "finite: " + what);
                            v.writeDouble(at * t.size(), bad);
                            assertEquals(false, check(v, lo, SHAPE, kind), what);
                            // a box without that element is read run by run, and is finite
                            long z = at / (SHAPE[1] * SHAPE[2]);
                            long[] boxLo = {z == 0 ? 1 : 0, 0, 0};
                            long[] boxHi = {z == 0 ? SHAPE[0] : z, SHAPE[1], SHAPE[2]};
                            assertEquals(true, check(v, boxLo, boxHi, kind), "box without it: " + what);
                            long[] withIt = {z, 0, 0};
                            long[] withItHi = {z + 1, SHAPE[1], SHAPE[2]};
                            assertEquals(false, check(v, withIt, withItHi, kind), "box with it: " + what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void bigEndianFloat64IsReadInItsOrder() {
        long n = SHAPE[0] * SHAPE[1] * SHAPE[2];
        MemorySegment seg = MemorySegment.ofArray(new double[(int) n]);
        Volume be = Volume.wrap(seg, DType.F64, ByteOrder.BIG_ENDIAN, SHAPE.clone(),
                new long[] {SHAPE[1] * SHAPE[2], SHAPE[2], 1}, 0);
        fill(be, n);
        assertEquals(true, check(be, new long[3], SHAPE, Backends.Kind.SCALAR));
        be.writeDouble((n - 3) * 8, Double.NaN);
        assertEquals(false, check(be, new long[3], SHAPE, Backends.Kind.SCALAR));
    }

    private static boolean check(Volume v, long[] lo, long[] hi, Backends.Kind kind) {
        return DataRange.allFinite(v, lo, hi, 2, Backends.floatKernel(kind));
    }

    private static void fill(Volume v, long n) {
        for (long i = 0; i < n; i++) {
            // large, small and negative values (a product with zero of each is zero)
            v.writeDouble(i * v.dtype().size(), (i % 7 - 3) * Math.pow(10, i % 61 - 30));
        }
    }
}
