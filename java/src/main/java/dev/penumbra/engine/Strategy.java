package dev.penumbra.engine;

/**
 * How the engine walks a volume — the schedule's main choice, apart from what is computed (Halide's
 * split). {@link #AUTO} chooses per run; the others force a strategy, for benchmarks, tests and
 * callers who know better. Every strategy gives the same bytes: only the speed differs.
 */
public enum Strategy {
    /**
     * Chosen per run: {@link #TEAM} for 3-d float32-path runs over a whole volume of at least 4 Mi
     * elements on up to as many threads as cores; else {@link #STREAM} for float32-path runs over a
     * whole volume whose plan streams; else {@link #TILES}.
     */
    AUTO,
    /**
     * Fused tiles: each chunk is gathered with its halo into per-thread scratch and every pass runs
     * there. Any plan, either arithmetic, any part of a volume.
     */
    TILES,
    /**
     * The volume streamed one slab at a time along its largest outer axis, the slabs of the pass on
     * that axis kept in a ring in cache; each thread streams its own ranges with its own ring. Only
     * for the float32 path over a whole volume, with at most one pass on the streamed axis; a
     * double-path run takes {@link #TILES}.
     */
    STREAM,
    /**
     * {@link #STREAM} by all threads as one team sharing one ring: each owns a share of the axis-0
     * rows of every slab. 3-d volumes streamed along axis 1 whose passes run z, then y, then x.
     */
    TEAM,
    /**
     * One pass per axis over the whole volume, as scipy runs them, with a full-size intermediate.
     * Kept to show what fusing buys.
     */
    UNFUSED
}
