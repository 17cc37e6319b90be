package dev.penumbra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The library's front door: scipy's defaults in the short overloads, and scipy's checks. */
class FiltersTest {
    private static Volume input() {
        Volume v = Volume.allocate(DType.F32, 20, 64, 48);
        Random r = new Random(4);
        for (long i = 0; i < v.elementCount(); i++) {
            v.writeDouble(i * 4, r.nextDouble());
        }
        return v;
    }

    @Test
    void anOutputOfAnotherShapeIsRefusedNamingBothShapes() {
        try (Volume in = input(); Volume small = Volume.allocate(DType.F32, 2, 2, 2);
             Volume flat = Volume.allocate(DType.F32, 20 * 64 * 48)) {
            BadParameterException e = assertThrows(BadParameterException.class, () -> Filters.gaussian(in, small, 3.0));
            assertEquals("output: shape [2, 2, 2] differs from the input's [20, 64, 48] (scipy's output must have the"
                    + " input's shape)", e.getMessage());
            assertEquals("output", e.parameter());
            assertThrows(BadParameterException.class, () -> Filters.sobel(in, flat, 0));
        }
    }

    @Test
    void theShortOverloadsAreScipysDefaults() {
        try (Volume in = input(); Volume a = Filters.newOutput(in); Volume b = Filters.newOutput(in)) {
            assertEquals(DType.F32, a.dtype());
            Filters.gaussian(in, a, 2.0);
            Filters.gaussian(in, b, new double[] {2.0}, new int[] {0}, BoundaryMode.REFLECT, 0.0, 4.0);
            assertEquals(-1, MemorySegment.mismatch(a.segment(), 0, a.byteSize(), b.segment(), 0, b.byteSize()));
            Filters.uniform(in, a, 5);
            Filters.apply(FilterSpec.of(Op.UNIFORM).withSize(5).withMode("reflect"), in, b);
            assertEquals(-1, MemorySegment.mismatch(a.segment(), 0, a.byteSize(), b.segment(), 0, b.byteSize()));
            Filters.correlate1d(in, a, new double[] {1, 2, 3, 4}, 1);
            Filters.correlate1d(in, b, new double[] {1, 2, 3, 4}, 1, BoundaryMode.REFLECT, 0.0, 0);
            assertEquals(-1, MemorySegment.mismatch(a.segment(), 0, a.byteSize(), b.segment(), 0, b.byteSize()));
        }
        try (Volume d = Volume.allocate(DType.F64, 3, 4); Volume o = Filters.newOutput(d)) {
            assertEquals(DType.F64, o.dtype());
        }
    }
}
