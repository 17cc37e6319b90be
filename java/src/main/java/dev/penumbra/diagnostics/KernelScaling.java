package dev.penumbra.diagnostics;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.filter.GaussianKernel;
import dev.penumbra.filter.Kernel1D;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * How much a backend's own kernel speeds up from more threads when memory plays no part: the
 * streamed pass of the seed workload (a 25-tap Gaussian over blocks of 1024 floats, the block of
 * 32 rows in L2, as {@code SlabStream} runs it) timed on one thread, then on {@code n} threads at
 * once, each with its own data. The filter is bound by the core's load ports, so this is the
 * ceiling on what threads can give a run: about n× when each thread has a core of its own, about
 * 1× when the "cores" are SMT siblings sharing one core's ports (or the hypervisor gives them one).
 * On a shared host this changes from minute to minute: seen here on a Zen 3, the simd kernel at
 * 1.01x in one process and 1.9x in the next, as the host moved its vCPUs.
 */
public final class KernelScaling {
    private static final int ROWS_OUT = 8;
    private static final int WIDTH = 1024;
    /** Floats from row to row: an odd number of cache lines, as the stream pads them (no L1 set aliasing). */
    private static final int PITCH = WIDTH + 16;
    // immutable: the seed workload's kernel
    private static final Kernel1D KERNEL = new Kernel1D(GaussianKernel.weights(3.0, 0, 4.0), 0);

    /**
     * What was measured: output floats per second on one thread and on {@code threads} together.
     */
    public record Result(int threads, double oneThreadRate, double allThreadsRate) {
        /** Speed-up of the kernel from one thread to {@link #threads}. */
        public double scaling() {
            return allThreadsRate / oneThreadRate;
        }

        /**
         * True when the threads together run the kernel at most 1.3x as fast as one thread (2
         * threads; 0.65 of n in general): far below what cores of their own give, and above what
         * a shared machine's noise takes away (1.76-1.93x for 2 threads on a Zen 3 here).
         */
        public boolean sharesACore() {
            return scaling() < 0.65 * threads;
        }

        /** One line for reports. */
        public String text(String backend) {
            return String.format(Locale.ROOT, "the %s kernel alone (in-cache data, no memory traffic) runs"
                    + " %.2fx faster on %d threads than on 1%s", backend, scaling(), threads, sharesACore()
                    ? ": while measured, the threads shared one core's load ports (SMT siblings, or a host that"
                    + " placed both vCPUs on one core), which caps a run's speed-up from threads" : "");
        }
    }

    private KernelScaling() {
    }

    /**
     * Times {@code kernel} on one thread and on {@code threads} at once, for windows of about
     * {@code millis}, in seven alternating rounds; the median one-thread rate and the median of the
     * rounds' ratios (a shared machine's speed drifts by tens of percent from one second to the
     * next). Best measured before other work starts, while no JIT compilation competes for a core.
     */
    public static Result measure(FloatTileKernel kernel, int threads, long millis) {
        warmUp(kernel);
        int rounds = 7;
        double[] one = new double[rounds];
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            one[r] = rate(kernel, 1, millis);
            ratio[r] = rate(kernel, threads, millis) / one[r];
        }
        Arrays.sort(one);
        Arrays.sort(ratio);
        double medianOne = one[rounds / 2];
        return new Result(threads, medianOne, medianOne * ratio[rounds / 2]);
    }

    /**
     * Runs the kernel on this thread until the JIT has been idle for 100 ms (at least 300 ms, at
     * most 5 s): C2 compiles the simd kernel for a second or more in the background, and while it
     * does, it takes one of the cores the threads are timed on (the simd kernel "scaled" 1.01x then).
     */
    private static void warmUp(FloatTileKernel kernel) {
        Work w = new Work();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long t0 = System.nanoTime();
        long window = t0;
        long compiled = timed ? jit.getTotalCompilationTime() : 0;
        while (true) {
            w.run(kernel, 20);
            long now = System.nanoTime();
            if (now - window >= 100_000_000L) {
                long c = timed ? jit.getTotalCompilationTime() : compiled;
                if ((c == compiled && now - t0 >= 300_000_000L) || now - t0 >= 5_000_000_000L) {
                    return;
                }
                compiled = c;
                window = now;
            }
        }
    }

    /**
     * Output floats per second of {@code threads} threads calling the kernel side by side for
     * {@code millis}: each counts its own calls over its own span of the window, and the rates add.
     */
    private static double rate(FloatTileKernel kernel, int threads, long millis) {
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        AtomicBoolean stop = new AtomicBoolean();
        DoubleAdder total = new DoubleAdder();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = Thread.ofPlatform().daemon().start(() -> {
                Work w = new Work();
                w.run(kernel, 20);
                try {
                    start.await();
                } catch (Exception e) {
                    return;
                }
                long t0 = System.nanoTime();
                long calls = 0;
                while (!stop.get()) {
                    w.run(kernel, 4);
                    calls += 4;
                }
                total.add(calls * (double) (ROWS_OUT * WIDTH) / (Math.max(1, System.nanoTime() - t0) / 1e9));
            });
        }
        try {
            start.await();
            Thread.sleep(millis);
            stop.set(true);
            for (Thread th : ts) {
                th.join();
            }
        } catch (Exception e) {
            stop.set(true);
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
        return total.sum();
    }

    /** One thread's rows and output: 32 input rows of 1024 floats (130 KiB) and 8 output rows. */
    private static final class Work {
        final float[] src = new float[(ROWS_OUT + KERNEL.size() - 1) * PITCH];
        final float[] dst = new float[ROWS_OUT * PITCH];
        final int[] offsets = new int[ROWS_OUT + KERNEL.size() - 1];

        Work() {
            Random r = new Random(1);
            for (int i = 0; i < src.length; i++) {
                src[i] = r.nextFloat();
            }
            for (int j = 0; j < offsets.length; j++) {
                offsets[j] = j * PITCH;
            }
        }

        void run(FloatTileKernel kernel, long calls) {
            for (long c = 0; c < calls; c++) {
                kernel.rows(src, offsets, ROWS_OUT, WIDTH, dst, 0, PITCH, KERNEL);
            }
        }
    }
}
