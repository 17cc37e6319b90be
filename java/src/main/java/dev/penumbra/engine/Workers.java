package dev.penumbra.engine;

import dev.penumbra.BadVolumeException;
import dev.penumbra.PenumbraException;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Volume;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The threads runs work on, and what a worker's failure means to the caller. Runs share one pool of
 * daemon threads (idle ones end after a minute): a run does not pay for starting threads, which
 * costs milliseconds against runs of tens of milliseconds.
 */
final class Workers {
    // process-wide: the engine's worker threads, shared by every run of the JVM
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread th = new Thread(r, "penumbra-worker");
        th.setDaemon(true);
        return th;
    });

    private Workers() {
    }

    /**
     * Runs {@code work} on {@code workers} threads: the caller's own thread and pool threads, or
     * only {@code executor} when one is given. Returns when every share has ended, also when
     * the caller is interrupted (the shares stop at their next chunk), so that no worker touches
     * the volumes after the run returns.
     */
    static void run(Runnable work, int workers, Executor executor, AtomicReference<Throwable> failure) {
        boolean own = executor == null;
        int helpers = own ? workers - 1 : workers;
        CountDownLatch done = new CountDownLatch(helpers);
        for (int w = 0; w < helpers; w++) {
            Runnable task = () -> {
                try {
                    work.run();
                } finally {
                    done.countDown();
                }
            };
            try {
                (own ? POOL : executor).execute(task);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                done.countDown();
            }
        }
        if (own) {
            work.run();
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                failure.compareAndSet(null, new PenumbraException("interrupted while filtering", e));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** What a worker's failure means to the caller: the library's exceptions for the user's mistakes. */
    static RuntimeException translate(Throwable t, Source in) {
        if (t instanceof PenumbraException p) {
            return p;
        }
        if (t instanceof IllegalStateException && in instanceof Volume v && !v.segment().scope().isAlive()) {
            return new BadVolumeException("input " + in + " was closed while the run read it", t);
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
}
