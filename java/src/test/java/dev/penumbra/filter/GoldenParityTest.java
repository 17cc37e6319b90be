package dev.penumbra.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.Filters;
import dev.penumbra.Goldens;
import dev.penumbra.TestBackends;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every golden case through every backend, whole-volume and in small chunks that do not divide the
 * shape: each must match scipy, and the chunked bytes must equal the whole-volume bytes.
 */
public class GoldenParityTest {
    /** The backends this build has (native when libpenumbra loaded, blas when OpenBLAS did), or those asked for. */
    public static final List<Backends.Kind> BACKENDS = TestBackends.list();

    @BeforeEach
    void backendsRun() {
        TestBackends.assumeRunnable();
    }

    @Test
    void manifestIsComplete() {
        List<Goldens.Case> cases = Goldens.cases();
        assertTrue(cases.size() > 300, "expected the whole golden suite, found " + cases.size());
        for (Op op : Op.values()) {
            assertTrue(cases.stream().anyMatch(c -> c.op() == op), "no golden for " + op);
        }
    }

    @Test
    void simdBackendIsTheVectorApiHere() {
        assertTrue(Backends.simdAvailable(), Backends.simdStatus());
    }

    @TestFactory
    Stream<DynamicTest> everyCaseEveryBackend() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Goldens.Case c : Goldens.cases()) {
            tests.add(DynamicTest.dynamicTest(c.toString(), () -> check(c)));
        }
        return tests.stream();
    }

    private static void check(Goldens.Case c) {
        try (Volume in = VolumeFiles.mapNpy(c.inputPath())) {
            long[] small = new long[in.rank()];
            for (int a = 0; a < small.length; a++) {
                // uneven thirds on the first three axes; higher axes whole (halos on 8 axes of
                // length 2 would make each chunk's tile thousands of times its core)
                small[a] = a < 3 ? Math.max(1, (in.shape(a) + 1) / 3) : in.shape(a);
            }
            List<Schedule> schedules = new ArrayList<>();
            for (Backends.Kind kind : BACKENDS) {
                schedules.add(Schedule.defaults().withBackend(kind));
            }
            // (not on data with NaN or infinities: AUTO never takes the float path there, and scipy's
            // uniform_filter1d spreads them along whole lines, which only the double path reproduces)
            // (integer inputs only where the rigorous bound holds: pinned, their magnitudes would miss)
            Plan plan = c.spec().plan(in.rank());
            boolean floatData = in.dtype() == DType.F32 || !in.dtype().isFloating()
                    && Engine.arithmeticFor(plan, in, c.outDType(), Schedule.defaults()) == Schedule.Arithmetic.FLOAT32;
            if (floatData && plan.gain() <= 64 && allFinite(in) && Double.isFinite(plan.cval())) {
                // the float kernels too, wherever their error can meet the tolerance on this data
                // (AUTO takes them only when a rigorous bound says so)
                for (Backends.Kind kind : BACKENDS) {
                    if (Backends.floatKernel(kind) != null) {
                        schedules.add(Schedule.defaults().withBackend(kind).withArithmetic(Schedule.Arithmetic.FLOAT32));
                    }
                }
            }
            // native does the simd backend's operations in the same order: the same bytes, not just close
            Map<String, byte[]> simdBytes = new HashMap<>();
            for (Schedule base : schedules) {
                String kind = base.backend() + (base.arithmetic() == Schedule.Arithmetic.AUTO ? "" : " float32");
                try (Volume whole = Volume.allocate(c.outDType(), in.shape());
                     Volume chunked = Volume.allocate(c.outDType(), in.shape())) {
                    Filters.apply(c.spec(), in, whole, base.withThreads(1));
                    Goldens.assertMatches(c, whole, kind + " whole");
                    byte[] bytes = whole.segment().toArray(ValueLayout.JAVA_BYTE);
                    if (base.backend() == Backends.Kind.SIMD) {
                        simdBytes.put(base.arithmetic().name(), bytes);
                    } else if (base.backend() == Backends.Kind.NATIVE) {
                        assertTrue(sameBitsNanAware(simdBytes.get(base.arithmetic().name()), bytes, c.outDType()),
                                kind + " whole differs from simd's bytes for " + c);
                    }
                    Filters.apply(c.spec(), in, chunked, base.withThreads(3).withChunks(small));
                    assertEquals(-1, mismatchNanAware(whole, chunked), kind + " chunked "
                            + Arrays.toString(small) + " differs from whole for " + c);
                }
            }
        }
    }

    /**
     * The first element where two volumes differ in their bits, NaNs of any payload counting as
     * equal (which NaN an operation on two NaNs returns depends on the operand order), or -1.
     */
    static long mismatchNanAware(Volume a, Volume b) {
        long m = MemorySegment.mismatch(a.segment(), 0, a.byteSize(), b.segment(), 0, b.byteSize());
        if (m < 0) {
            return -1;
        }
        int size = a.dtype().size();
        for (long i = m / size; i < a.elementCount(); i++) {
            double x = a.readDouble(i * size);
            double y = b.readDouble(i * size);
            boolean same = Double.isNaN(x) ? Double.isNaN(y)
                    : Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(y);
            if (!same) {
                return i;
            }
        }
        return -1;
    }

    private static boolean allFinite(Volume v) {
        Volume c = Volume.allocate(DType.F64, v.shape());
        try (c) {
            Engine.run(FilterSpec.of(Op.CORRELATE1D).withWeights(1.0).plan(v.rank()), v, c,
                    Schedule.defaults().withBackend(Backends.Kind.SCALAR));
            for (long i = 0; i < c.elementCount(); i++) {
                if (!Double.isFinite(c.readDouble(i * 8))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Two little-endian float32/float64 arrays with the same bits, NaNs of any payload equal. */
    static boolean sameBitsNanAware(byte[] a, byte[] b, DType t) {
        if (a == null || b == null || a.length != b.length) {
            return false;
        }
        if (Arrays.equals(a, b)) {
            return true;
        }
        ByteBuffer x = ByteBuffer.wrap(a).order(ByteOrder.nativeOrder());
        ByteBuffer y = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        int size = t.size();
        for (int i = 0; i < a.length; i += size) {
            double u = size == 8 ? x.getDouble(i) : x.getFloat(i);
            double v = size == 8 ? y.getDouble(i) : y.getFloat(i);
            boolean same = Double.isNaN(u) ? Double.isNaN(v) : Double.doubleToRawLongBits(u) == Double.doubleToRawLongBits(v);
            if (!same) {
                return false;
            }
        }
        return true;
    }
}
