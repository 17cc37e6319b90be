package dev.penumbra.engine;

import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import dev.penumbra.PenumbraException;
import dev.penumbra.backend.Backends;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.chunk.ChunkGrid;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link Plan} on volumes with a {@link Schedule}: the output is cut into chunks, and each
 * worker thread takes chunks one after another, gathering each with its halo from the input,
 * filtering it in its own scratch and scattering the result. Every output element is computed the
 * same way whatever the chunking, so any schedule gives the same bytes.
 */
public final class Engine {
    private Engine() {
    }

    /** Filters all of {@code in} into {@code out} (same shape; out float32 or float64). */
    public static void run(Plan plan, Volume in, Volume out, Schedule schedule) {
        run(plan, in, new long[in.rank()], out, schedule);
    }

    /**
     * Filters the box of {@code in} that starts at {@code outOrigin} and has {@code out}'s shape into
     * {@code out}. Lines are extended by the boundary modes at the edges of {@code in} only, so a
     * chunk's output is computed from the real neighbours wherever {@code in} has them.
     */
    public static void run(Plan plan, Volume in, long[] outOrigin, Volume out, Schedule schedule) {
        check(plan, in, outOrigin, out);
        if (out.elementCount() == 0) {
            return;
        }
        LineKernel kernel = Backends.kernel(schedule.backend());
        long[] hl = plan.haloLeft();
        long[] hr = plan.haloRight();
        ChunkGrid grid = new ChunkGrid(out.shape(), schedule.chunksFor(out.shape(), hl, hr));
        int workers = Math.min(schedule.threads(), grid.size());
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable work = () -> {
            TileWorker worker = new TileWorker(plan, in, outOrigin, out, kernel);
            try {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < grid.size()) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new PenumbraException("interrupted");
                    }
                    worker.run(grid.chunk(i));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        if (workers == 1 && schedule.executor() == null) {
            work.run();
        } else {
            runParallel(work, workers, schedule);
        }
        Throwable t = failure.get();
        if (t != null) {
            throw translate(t, in);
        }
    }

    private static void runParallel(Runnable work, int workers, Schedule schedule) {
        ExecutorService own = schedule.executor() == null ? Executors.newFixedThreadPool(workers, r -> {
            Thread th = new Thread(r, "penumbra-worker");
            th.setDaemon(true);
            return th;
        }) : null;
        CountDownLatch done = new CountDownLatch(workers);
        try {
            for (int w = 0; w < workers; w++) {
                Runnable task = () -> {
                    try {
                        work.run();
                    } finally {
                        done.countDown();
                    }
                };
                if (own != null) {
                    own.execute(task);
                } else {
                    schedule.executor().execute(task);
                }
            }
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PenumbraException("interrupted while filtering", e);
        } finally {
            if (own != null) {
                own.shutdownNow();
            }
        }
    }

    private static RuntimeException translate(Throwable t, Volume in) {
        if (t instanceof PenumbraException p) {
            return p;
        }
        if (t instanceof InternalError) {
            // a read past the end of a file truncated under its mapping (JDK: "a fault occurred in an
            // unsafe memory access operation")
            return new BadVolumeException("input " + in + " could not be read: the file changed or shrank while"
                    + " being read (" + t.getMessage() + ")", t);
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new RuntimeException(t);
    }

    private static void check(Plan plan, Volume in, long[] outOrigin, Volume out) {
        if (plan.rank() != in.rank()) {
            throw new BadParameterException("plan: made for " + plan.rank() + " axes, the input has " + in.rank());
        }
        if (out.rank() != in.rank() || outOrigin.length != in.rank()) {
            throw new BadParameterException("output: has " + out.rank() + " axes, the input has " + in.rank());
        }
        if (out.dtype() != DType.F32 && out.dtype() != DType.F64) {
            throw new BadParameterException("output: dtype " + out.dtype().numpyName()
                    + " is not supported (expected float32 or float64)");
        }
        for (int a = 0; a < in.rank(); a++) {
            if (outOrigin[a] < 0 || outOrigin[a] + out.shape(a) > in.shape(a)) {
                throw new BadParameterException("output: shape " + Arrays.toString(out.shape()) + " at "
                        + Arrays.toString(outOrigin) + " does not fit in the input's " + Arrays.toString(in.shape()));
            }
        }
    }
}
