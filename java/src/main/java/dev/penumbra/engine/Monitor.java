package dev.penumbra.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Watches one run of the engine ({@link Schedule#withMonitor}): time per phase summed over threads,
 * each thread's busy spans (a timeline), chunks and workers, and progress in output elements for
 * a {@link Listener}. Workers report at every batch of slabs or tile; a run without a monitor pays
 * nothing. Not reusable across runs.
 */
public final class Monitor {
    /** Where time goes. Streamed runs report the first six; tiled runs report TILES as one. */
    public enum Phase {
        GATHER("gather from the input"),
        BEFORE("passes before the streamed axis (z)"),
        STREAM("streamed-axis pass (y)"),
        AFTER("passes after it (x)"),
        FOLD("fold the terms together (compound ops)"),
        WRITE("write to the output"),
        WAIT("wait for the other team members"),
        TILES("fused tiles: gather, all passes, scatter");

        public final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    /** A stretch of one worker's time, relative to the monitor's creation. */
    public record Span(int worker, long startNanos, long endNanos, String what) {
    }

    /** Receives progress (output elements done of total) from worker threads; must be thread-safe. */
    public interface Listener {
        void progress(long done, long total);
    }

    private final Listener listener;
    private final boolean phaseSpans;
    private final LongAdder[] nanos = new LongAdder[Phase.values().length];
    private final ConcurrentLinkedQueue<Span> spans = new ConcurrentLinkedQueue<>();
    private final AtomicLong done = new AtomicLong();
    private final long origin = System.nanoTime();
    private volatile long total;
    private volatile int chunks;
    private volatile int workers;
    private volatile boolean team;
    private volatile boolean floatPath;
    private volatile boolean redone;

    public Monitor(Listener listener) {
        this(listener, false);
    }

    /** With {@code phaseSpans}, streamed runs also record a span per phase and batch (a detailed timeline). */
    public Monitor(Listener listener, boolean phaseSpans) {
        this.listener = listener;
        this.phaseSpans = phaseSpans;
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = new LongAdder();
        }
    }

    public Monitor() {
        this(null);
    }

    void begin(long totalElements) {
        total = totalElements;
        done.set(0);
    }

    /** The float run failed its bound: the double path starts over (progress restarts). */
    void redo() {
        redone = true;
        done.set(0);
    }

    void layout(int chunks, int workers, boolean team, boolean floatPath) {
        this.chunks = chunks;
        this.workers = workers;
        this.team = team;
        this.floatPath = floatPath;
    }

    void add(Phase p, long ns) {
        nanos[p.ordinal()].add(ns);
    }

    boolean phaseSpans() {
        return phaseSpans;
    }

    void span(int worker, long t0, long t1, String what) {
        spans.add(new Span(worker, t0 - origin, t1 - origin, what));
    }

    void advance(long elements) {
        long d = done.addAndGet(elements);
        if (listener != null) {
            listener.progress(Math.min(d, total), total);
        }
    }

    /** Thread-summed nanoseconds in phase {@code p}. */
    public long nanos(Phase p) {
        return nanos[p.ordinal()].sum();
    }

    /** Every worker's busy spans so far, in no particular order. */
    public List<Span> spans() {
        return new ArrayList<>(spans);
    }

    /** Elements whose output is done so far. */
    public long done() {
        return done.get();
    }

    /** Elements the run writes in all (times the passes for an unfused run). */
    public long total() {
        return total;
    }

    /** Chunks of the output the run was cut into. */
    public int chunks() {
        return chunks;
    }

    /** Threads that worked (the caller's share included). */
    public int workers() {
        return workers;
    }

    /** True when the threads streamed as one team. */
    public boolean team() {
        return team;
    }

    /** True when the float32 path produced the output. */
    public boolean floatPath() {
        return floatPath;
    }

    /** True when a float run was redone in double (its error bound failed for the data). */
    public boolean redone() {
        return redone;
    }
}
