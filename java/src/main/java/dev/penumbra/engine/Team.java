package dev.penumbra.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads streaming one chunk together (3-d volumes streamed along y): member j owns the z rows
 * {@code [nz*j/size, nz*(j+1)/size)} of every slab (shares then follow each member's speed) and
 * runs the z pass, the y pass, the x pass and the write on them. The gather is shared out row by
 * row as the members come to it ({@link #claim}), so the one that finished its rows first gathers
 * more. Only the z pass reads other members' rows, so members meet once per gathered group. One ring serves all: the team's cache footprint is one thread's, where
 * separate chunks would each keep a ring (two 7 MB rings in a shared 32 MB L3 stopped the y pass
 * from scaling), and no slab is gathered twice for a chunk border.
 */
final class Team {
    final int size;
    final SpinBarrier barrier;
    /** Member j owns axis-0 rows [bounds[j], bounds[j+1]); written only by the barrier's last arriver. */
    private volatile int[] bounds;
    /** Rows per second of each member's work between the last two meetings, smoothed; 0: not yet known. */
    private final double[] speed;
    private final int[] workedRows;
    private final long[] workedNanos;
    private static final int[] SLOTS = {ScratchArena.RING, ScratchArena.BATCH_OUT, ScratchArena.GATHER,
                                        ScratchArena.GATHER_2};
    private final Object[] arrays = new Object[4];
    /** Rows of the current group's gather handed out so far ({@link #claim}). */
    private final AtomicInteger claimed = new AtomicInteger();

    Team(int size) {
        this.size = size;
        this.barrier = new SpinBarrier(size);
        this.speed = new double[size];
        this.workedRows = new int[size];
        this.workedNanos = new long[size];
    }

    /** Sets the rows to share (every member passes the same), equal shares to begin with. */
    synchronized void rows(int nz) {
        if (bounds == null) {
            int[] b = new int[size + 1];
            for (int j = 0; j <= size; j++) {
                b[j] = (int) ((long) nz * j / size);
            }
            bounds = b;
        }
    }

    /**
     * The first of {@code n} rows of the current group's gather for the caller to gather (at or past
     * the last bound when all are taken). Every member claims from the group's rows; the meeting
     * that ends the group sets the count back ({@link #meet}), no member claiming meanwhile.
     */
    int claim(int n) {
        return claimed.getAndAdd(n);
    }

    /** Run by the last member to reach a meeting: the shares move ({@link #rebalance}), the claims restart. */
    void meet() {
        rebalance();
        claimed.set(0);
    }

    int bound(int j) {
        return bounds[j];
    }

    /** Member {@code j} worked {@code nanos} on {@code rows} rows since it last left the barrier. */
    void worked(int j, int rows, long nanos) {
        workedRows[j] = rows;
        workedNanos[j] = nanos;
    }

    /**
     * Moves the row bounds so that each member's share follows its measured speed (run by the
     * barrier's last arriver, while the others wait). Equal shares assume equal cores: on a
     * shared host one vCPU often runs 1.5x slower than the other for a while (a neighbour on its
     * SMT sibling), and with fixed shares the team ran at the slower one's pace. Every output is
     * computed the same way whoever computes it, so the bytes do not depend on the shares.
     */
    void rebalance() {
        double total = 0;
        for (int j = 0; j < size; j++) {
            if (workedNanos[j] <= 0 || workedRows[j] <= 0) {
                return; // the first meeting: nothing timed yet
            }
            double s = workedRows[j] / (double) workedNanos[j];
            speed[j] = speed[j] == 0 ? s : 0.5 * speed[j] + 0.5 * s;
            total += speed[j];
        }
        int[] old = bounds;
        int nz = old[size];
        int[] b = new int[size + 1];
        double acc = 0;
        for (int j = 0; j < size; j++) {
            acc += speed[j];
            // at least one row each, and room for one row for each member after j
            b[j + 1] = j == size - 1 ? nz : (int) Math.max(b[j] + 1,
                    Math.min(nz - (size - 1 - j), Math.round(nz * acc / total)));
        }
        bounds = b;
    }

    /** The team's array {@code which} (0 ring, 1 output batch, 2 and 3 gather), made by the first asker. */
    synchronized Object shared(SlabStore store, int which, int n) {
        if (arrays[which] == null || store.length(arrays[which]) < n) {
            arrays[which] = store.scratch(SLOTS[which], n, 0);
        }
        return arrays[which];
    }
}
