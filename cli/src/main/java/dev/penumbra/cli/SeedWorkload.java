package dev.penumbra.cli;

import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.IntStream;

/**
 * The seed notebook's workload: a (50,1104,1104) float32 volume of standard normal values
 * normalised by their absolute maximum (fixed seed), smoothed by a sigma=3 Gaussian; and the
 * timing helpers the demo and bench share.
 */
final class SeedWorkload {
    static final long[] SHAPE = {50, 1104, 1104};
    static final long[] SEED_CHUNKS = {50, 552, 552};
    static final double SIGMA = 3.0;

    private SeedWorkload() {
    }

    /** Fills a C-ordered float32 volume with normalised standard normal values, one seed per slab. */
    static void fill(Volume v, long seed) {
        if (v.dtype() != DType.F32 || !v.isCContiguous()) {
            throw new IllegalArgumentException("expected a C-ordered float32 volume");
        }
        MemorySegment seg = v.segment();
        long n = v.elementCount();
        long slab = 1L << 20;
        int slabs = (int) ((n + slab - 1) / slab);
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(v.order());
        long off = v.offset() * 4;
        double max = IntStream.range(0, slabs).parallel().mapToDouble(s -> {
            RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(seed * 1_000_003L + s);
            double m = 0;
            long end = Math.min(n, (s + 1) * slab);
            for (long i = (long) s * slab; i < end; i++) {
                float x = (float) rng.nextGaussian();
                seg.set(f, off + i * 4, x);
                m = Math.max(m, Math.abs(x));
            }
            return m;
        }).max().orElse(1);
        float inv = (float) max;
        IntStream.range(0, slabs).parallel().forEach(s -> {
            long end = Math.min(n, (s + 1) * slab);
            for (long i = (long) s * slab; i < end; i++) {
                seg.set(f, off + i * 4, seg.get(f, off + i * 4) / inv);
            }
        });
    }

    /**
     * Wall times of {@code runs} runs after one warm-up, in milliseconds, sorted; when the warm-up
     * took over 2 s, at most 3 runs.
     */
    static double[] time(int runs, Runnable r) {
        long t = System.nanoTime();
        r.run();
        int n = System.nanoTime() - t > 2_000_000_000L ? Math.min(runs, 3) : runs;
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    /**
     * Times several jobs in rounds, each round running every job once in turn (after one warm-up
     * of each), so that drift in the machine's speed hits all of them alike. Returns the ms of job
     * j in round r at {@code [j][r]}, in round order; fewer rounds (3) when a run takes over 2 s.
     */
    static double[][] timeRounds(int runs, Runnable... jobs) {
        long slowest = 0;
        for (Runnable r : jobs) {
            long t = System.nanoTime();
            r.run();
            slowest = Math.max(slowest, System.nanoTime() - t);
        }
        int n = slowest > 2_000_000_000L ? Math.min(runs, 3) : runs;
        double[][] ms = new double[jobs.length][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < jobs.length; j++) {
                long t0 = System.nanoTime();
                jobs[j].run();
                ms[j][i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return ms;
    }

    /** The median of {@code a[r] / b[r]} over rounds: a speed ratio that drift between rounds does not bias. */
    static double medianRatio(double[] a, double[] b) {
        double[] q = new double[a.length];
        for (int r = 0; r < a.length; r++) {
            q[r] = a[r] / b[r];
        }
        Arrays.sort(q);
        return median(q);
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The memory floor: one copy of {@code src} into {@code dst} (read + write of the same bytes). */
    static double[] copyFloor(Volume src, Volume dst, int runs) {
        return time(runs, () -> MemorySegment.copy(src.segment(), 0, dst.segment(), 0, src.byteSize()));
    }
}
