package dev.penumbra.engine;

import java.lang.ref.SoftReference;

/**
 * Per-thread float scratch kept from one run to the next, so that a run does not allocate (and
 * fault in) megabytes of fresh heap before its first tile. Arrays are softly held, so the collector
 * may take them back under memory pressure, and they may be longer than asked for and hold data of
 * an earlier run: callers size their work by their own counts and initialise what they read.
 * A thread runs one worker at a time, so a slot is never shared (a team of streaming workers
 * shares the arrays of the thread that asked first, and only within one run).
 */
final class ScratchArena {
    /** The slots in use; each worker kind names its arrays by these. */
    static final int SLAB_A = 0;
    static final int SLAB_B = 1;
    static final int RING = 2;
    static final int BATCH_OUT = 3;
    static final int GATHER = 4;
    static final int GATHER_2 = 5;
    /** Ring and batch sets a thread keeps beyond the first, for the terms of one sweep. */
    static final int EXTRA_SETS = 7;
    private static final int SLOTS = 6 + 2 * EXTRA_SETS;

    // process-wide: each thread's scratch outlives a run, so the next run finds it allocated and faulted in
    @SuppressWarnings("unchecked")
    private static final ThreadLocal<SoftReference<Object>[]> LOCAL =
            ThreadLocal.withInitial(() -> (SoftReference<Object>[]) new SoftReference<?>[SLOTS]);

    private ScratchArena() {
    }

    /**
     * This thread's {@link #RING} or {@link #BATCH_OUT} array of set {@code set} (0: the same as
     * {@link #floats(int, int)}; 1 .. {@link #EXTRA_SETS}: other terms of one sweep).
     */
    static float[] floats(int slot, int n, int set) {
        return floats(slotOf(slot, set), n);
    }

    /** As {@link #floats(int, int, int)}, in double (a slot holds one type at a time). */
    static double[] doubles(int slot, int n, int set) {
        return doubles(slotOf(slot, set), n);
    }

    private static int slotOf(int slot, int set) {
        if (set == 0) {
            return slot;
        }
        if (set < 0 || set > EXTRA_SETS || slot != RING && slot != BATCH_OUT) {
            throw new IllegalArgumentException("scratch set " + set + " has no slot " + slot);
        }
        return 6 + 2 * (set - 1) + (slot == RING ? 0 : 1);
    }

    /** This thread's array for {@code slot}, at least {@code n} floats long. */
    static float[] floats(int slot, int n) {
        return (float[]) array(slot, n, false);
    }

    /** This thread's array for {@code slot}, at least {@code n} doubles long. */
    static double[] doubles(int slot, int n) {
        return (double[]) array(slot, n, true);
    }

    private static Object array(int slot, int n, boolean dbl) {
        SoftReference<Object>[] refs = LOCAL.get();
        Object a = refs[slot] == null ? null : refs[slot].get();
        boolean fits = dbl ? a instanceof double[] d && d.length >= n : a instanceof float[] f && f.length >= n;
        if (!fits) {
            refs[slot] = null;
            a = null; // let the old array go before the new one is allocated
            a = dbl ? new double[n] : new float[n];
            refs[slot] = new SoftReference<>(a);
        }
        return a;
    }
}
