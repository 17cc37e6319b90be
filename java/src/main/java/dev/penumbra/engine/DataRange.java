package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The smallest and largest value of a box of a float32 input, and whether a box holds only finite
 * values. A whole volume that fills its segment (a whole file, C or Fortran order) is read as one
 * flat range by all threads with {@link MemorySegment#copy} in blocks (never with vector loads on a
 * mapping; a truncated file raises a catchable error); other boxes and sources run by run. The
 * backend's float kernel reduces each block (vectorised in simd). NaN anywhere makes both NaN.
 */
final class DataRange {
    private static final int BLOCK = 1 << 14;

    private DataRange() {
    }

    /** {min, max} of the box {@code [lo, hi)}; {+inf, -inf} for an empty box. */
    static float[] of(Source src, long[] lo, long[] hi, int threads, FloatTileKernel kernel) {
        float[] range = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        if (empty(lo, hi)) {
            return range;
        }
        if (src instanceof Volume v && v.dtype() == DType.F32 && isFlat(v, lo, hi)) {
            flat(v, threads, kernel, range);
        } else {
            float[] buf = new float[(int) (hi[hi.length - 1] - lo[lo.length - 1])];
            forEachRun(lo, hi, at -> {
                src.readFloat(at, buf.length, buf, 0);
                kernel.range(buf, 0, buf.length, range);
                return true;
            });
        }
        return range;
    }

    /**
     * {min, max} of up to {@code rows} rows (runs of the last axis) spread evenly over the box
     * {@code [lo, hi)}: a range inside the box's, read in a fraction of a millisecond, that tells
     * early when the whole box's range would fail a bound ({+inf, -inf} for an empty box).
     */
    static float[] sample(Source src, long[] lo, long[] hi, int rows, FloatTileKernel kernel) {
        float[] range = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        if (empty(lo, hi)) {
            return range;
        }
        int last = lo.length - 1;
        long runs = 1;
        for (int a = 0; a < last; a++) {
            runs *= hi[a] - lo[a];
        }
        float[] buf = new float[(int) (hi[last] - lo[last])];
        long[] at = lo.clone();
        long step = Math.max(1, runs / Math.max(1, rows));
        long[] rowHi = hi.clone();
        for (long r = step / 2; r < runs; r += step) {
            long rest = r;
            for (int a = last - 1; a >= 0; a--) {
                long e = hi[a] - lo[a];
                at[a] = lo[a] + rest % e;
                rest /= e;
                rowHi[a] = at[a] + 1;
            }
            // fetched as one row: a fault's own read-ahead (8-16 MB on some disks) read 2.2 GB for the
            // 256 sample rows of a 6 GiB volume not in memory
            src.willRead(at, rowHi);
            src.readFloat(at, buf.length, buf, 0);
            kernel.range(buf, 0, buf.length, range);
        }
        return range;
    }

    /**
     * True when every value of the box {@code [lo, hi)} of a float input is finite (read as doubles).
     * A whole float32 volume is its range's question ({@link #of}: all threads and the backend's
     * range kernel, when it has one); a whole float64 volume is read flat by all threads; others run by run. (One
     * thread run by run took about 50 ms of uniform's 280 ms run on a float64 seed-shape volume.)
     */
    static boolean allFinite(Source src, long[] lo, long[] hi, int threads, FloatTileKernel kernel) {
        if (empty(lo, hi)) {
            return true;
        }
        if (src instanceof Volume v && isFlat(v, lo, hi)) {
            if (v.dtype() == DType.F32 && kernel != null) {
                float[] range = of(src, lo, hi, threads, kernel);
                return Float.isFinite(range[0]) && Float.isFinite(range[1]);
            }
            if (v.dtype() == DType.F64) {
                return flatFinite(v, threads);
            }
        }
        double[] buf = new double[(int) (hi[hi.length - 1] - lo[lo.length - 1])];
        return forEachRun(lo, hi, at -> {
            src.read(at, buf.length, buf, 0);
            return finite(buf, buf.length);
        });
    }

    /** True when {@code buf[0..n)} holds no NaN or infinity: {@code x * 0} is 0 for finite x, NaN otherwise. */
    private static boolean finite(double[] buf, int n) {
        double a0 = 0;
        double a1 = 0;
        double a2 = 0;
        double a3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            a0 += buf[i] * 0.0;
            a1 += buf[i + 1] * 0.0;
            a2 += buf[i + 2] * 0.0;
            a3 += buf[i + 3] * 0.0;
        }
        for (; i < n; i++) {
            a0 += buf[i] * 0.0;
        }
        return a0 + a1 + a2 + a3 == 0;
    }

    /** A whole volume that fills its segment, read as one flat range. */
    private static boolean isFlat(Volume v, long[] lo, long[] hi) {
        return isWhole(v, lo, hi) && v.offset() == 0 && v.byteSize() == v.segment().byteSize();
    }

    private static boolean flatFinite(Volume v, int threads) {
        AtomicBoolean bad = new AtomicBoolean();
        flatBlocks(v, threads, () -> {
            double[] buf = new double[BLOCK];
            return (first, count) -> {
                MemorySegment.copy(v.segment(), v.layout(), first * Double.BYTES, buf, 0, count);
                if (!finite(buf, count)) {
                    bad.set(true);
                    return false;
                }
                return true;
            };
        });
        return !bad.get();
    }

    private static boolean empty(long[] lo, long[] hi) {
        for (int a = 0; a < lo.length; a++) {
            if (hi[a] <= lo[a]) {
                return true;
            }
        }
        return false;
    }

    private static boolean isWhole(Volume v, long[] lo, long[] hi) {
        for (int a = 0; a < lo.length; a++) {
            if (lo[a] != 0 || hi[a] != v.shape(a)) {
                return false;
            }
        }
        return true;
    }

    private static void flat(Volume v, int threads, FloatTileKernel kernel, float[] range) {
        float[][] parts = new float[Math.max(1, threads)][];
        AtomicInteger ids = new AtomicInteger();
        flatBlocks(v, threads, () -> {
            float[] mine = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            parts[ids.getAndIncrement()] = mine;
            float[] buf = new float[BLOCK];
            return (first, count) -> {
                MemorySegment.copy(v.segment(), v.layout(), first * Float.BYTES, buf, 0, count);
                kernel.range(buf, 0, count, mine);
                return true;
            };
        });
        for (float[] p : parts) {
            if (p != null) {
                range[0] = Math.min(range[0], p[0]);
                range[1] = Math.max(range[1], p[1]);
            }
        }
    }

    /** Takes elements {@code [first, first + count)} of a flat volume; false stops every worker. */
    private interface BlockReader {
        boolean read(long first, int count);
    }

    /**
     * Hands the blocks of {@link #BLOCK} elements of the whole, flat volume {@code v} to up to
     * {@code threads} workers, each with a reader of its own from {@code reader}, until all are read
     * or a reader says stop. A truncated file's fault becomes the volume's error.
     */
    private static void flatBlocks(Volume v, int threads, Supplier<BlockReader> reader) {
        long n = v.elementCount();
        long blocks = (n + BLOCK - 1) / BLOCK;
        AtomicLong next = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable work = () -> {
            try {
                BlockReader mine = reader.get();
                long b;
                while (failure.get() == null && !stop.get() && (b = next.getAndIncrement()) < blocks) {
                    long first = b * BLOCK;
                    if (!mine.read(first, (int) Math.min(BLOCK, n - first))) {
                        stop.set(true);
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        int workers = (int) Math.min(Math.max(1, threads), blocks);
        if (workers == 1) {
            work.run();
        } else {
            Workers.run(work, workers, null, failure);
        }
        if (failure.get() != null) {
            throw Workers.translate(failure.get(), v);
        }
    }

    /** Receives the coordinates of each run's first element (reused); false stops the walk. */
    private interface RunVisitor {
        boolean run(long[] at);
    }

    /** Walks the runs (lines of the last axis) of the box in C order; false when the visitor stopped. */
    private static boolean forEachRun(long[] lo, long[] hi, RunVisitor visitor) {
        int last = lo.length - 1;
        long[] at = lo.clone();
        while (true) {
            if (!visitor.run(at)) {
                return false;
            }
            int a = last - 1;
            while (a >= 0 && ++at[a] >= hi[a]) {
                at[a] = lo[a];
                a--;
            }
            if (a < 0) {
                return true;
            }
        }
    }
}
