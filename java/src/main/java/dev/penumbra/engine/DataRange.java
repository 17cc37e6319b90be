package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The smallest and largest value of a float32 volume, read with {@link MemorySegment#copy} in
 * blocks (never with vector loads on a mapping; a truncated file raises a catchable error). A
 * volume that fills its segment (a whole file, C or Fortran order) is read as one flat range by all
 * threads; other views row by row. The backend's float kernel reduces each block (vectorised in
 * simd). NaN anywhere makes both NaN.
 */
final class DataRange {
    private static final int BLOCK = 1 << 14;

    private DataRange() {
    }

    /** {min, max}; {+inf, -inf} for an empty volume. */
    static float[] of(Volume v, int threads, FloatTileKernel kernel) {
        float[] range = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        if (v.elementCount() == 0) {
            return range;
        }
        if (v.offset() == 0 && v.byteSize() == v.segment().byteSize()) {
            flat(v, threads, kernel, range);
        } else {
            rows(v, kernel, range);
        }
        return range;
    }

    private static void flat(Volume v, int threads, FloatTileKernel kernel, float[] range) {
        long n = v.elementCount();
        long blocks = (n + BLOCK - 1) / BLOCK;
        AtomicLong next = new AtomicLong();
        float[][] parts = new float[Math.max(1, threads)][];
        java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Runnable work = () -> {
            float[] mine = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            float[] buf = new float[BLOCK];
            try {
                long b;
                while (failure.get() == null && (b = next.getAndIncrement()) < blocks) {
                    long first = b * BLOCK;
                    int count = (int) Math.min(BLOCK, n - first);
                    MemorySegment.copy(v.segment(), v.layout(), first * 4, buf, 0, count);
                    kernel.range(buf, 0, count, mine);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            parts[ids.getAndIncrement()] = mine;
        };
        int workers = (int) Math.min(Math.max(1, threads), blocks);
        if (workers == 1) {
            work.run();
        } else {
            Engine.runParallel(work, workers, null, failure);
        }
        if (failure.get() != null) {
            throw Engine.translate(failure.get(), v);
        }
        for (float[] p : parts) {
            if (p != null) {
                merge(p, range);
            }
        }
    }

    private static void rows(Volume v, FloatTileKernel kernel, float[] range) {
        float[] buf = new float[(int) v.shape(v.rank() - 1)];
        RowIO io = new RowIO();
        forEachRow(v, elem -> {
            io.readFloat(v, elem, v.stride(v.rank() - 1), buf.length, buf, 0);
            kernel.range(buf, 0, buf.length, range);
            return true;
        });
    }

    /** Receives the first element of each row (lines of the last axis); false stops the walk. */
    private interface RowVisitor {
        boolean row(long elem);
    }

    /** Walks the rows of {@code v} in C order; returns false when the visitor stopped it. */
    private static boolean forEachRow(Volume v, RowVisitor visitor) {
        int last = v.rank() - 1;
        long rows = v.elementCount() / v.shape(last);
        long[] idx = new long[v.rank()];
        for (long r = 0; r < rows; r++) {
            long elem = v.offset();
            long rest = r;
            for (int a = last - 1; a >= 0; a--) {
                idx[a] = rest % v.shape(a);
                rest /= v.shape(a);
                elem += idx[a] * v.stride(a);
            }
            if (!visitor.row(elem)) {
                return false;
            }
        }
        return true;
    }

    private static void merge(float[] part, float[] acc) {
        acc[0] = Math.min(acc[0], part[0]);
        acc[1] = Math.max(acc[1], part[1]);
    }

    /** True when every value of a float32 or float64 volume is finite (read row by row, as doubles). */
    static boolean allFinite(Volume v) {
        if (v.elementCount() == 0) {
            return true;
        }
        double[] buf = new double[(int) v.shape(v.rank() - 1)];
        RowIO io = new RowIO();
        return forEachRow(v, elem -> {
            io.read(v, elem, v.stride(v.rank() - 1), buf.length, buf, 0);
            for (double x : buf) {
                if (!Double.isFinite(x)) {
                    return false;
                }
            }
            return true;
        });
    }
}
