package dev.penumbra.engine;

import dev.penumbra.BadParameterException;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import java.util.Locale;

/**
 * A streamed run, planned once before any worker is built ({@link SlabStream}): the axis streamed
 * one slab at a time, the axis-0 extent of its chunks (the whole axis unless the slabs had to be cut
 * to fit the scratch budget), and the size of the team that streams it together (0: each thread
 * streams its own ranges).
 */
record StreamPlan(int axis, int zChunk, int teamSize) {
    /** Volumes smaller than this stream on threads of their own, not as a team, under AUTO. */
    static final long TEAM_MIN_ELEMENTS = 1L << 22;

    /**
     * How {@code plan} streams over a whole volume of {@code shape} under {@code schedule}, or null
     * when the run takes tiles. {@code elementBytes}: of the slabs' type ({@link SlabStore}), or 0
     * when the run's path cannot stream (it takes tiles whatever the strategy). A forced
     * {@link Strategy#STREAM} or {@link Strategy#TEAM} that cannot run is a {@link BadParameterException}
     * saying why.
     */
    static StreamPlan of(Plan plan, long[] shape, Schedule schedule, boolean wholeVolume, int elementBytes) {
        Strategy strategy = schedule.strategy();
        boolean forced = strategy == Strategy.STREAM || strategy == Strategy.TEAM;
        if (strategy == Strategy.TILES || strategy == Strategy.UNFUSED || elementBytes == 0) {
            return null;
        }
        int axis = streamAxis(shape);
        String why = schedule.chunkShape() != null ? "a stream chooses its own chunks; give no chunk shape"
                : !wholeVolume ? "a stream runs over a whole volume, not a part of one"
                : !canRun(plan, axis) ? "the plan has no single pass on axis " + axis + " to stream (or the volume"
                        + " has fewer than 2 axes)"
                : null;
        if (why != null) {
            return refuse(forced, strategy, why);
        }
        long budget = schedule.scratchBudget();
        int threads = schedule.threads();
        boolean autoTeam = strategy == Strategy.AUTO && teamCannot(plan, shape, axis, threads) == null
                // members meet often: more of them than cores would wait for each other's time slices,
                // and small volumes are done before a team's meetings pay off (tiny (16,128,128): 4.6 ms
                // on two threads as a team, 3.0 ms on one)
                && threads <= Runtime.getRuntime().availableProcessors()
                && shape[0] * shape[1] * shape[2] >= TEAM_MIN_ELEMENTS;
        if ((autoTeam || strategy == Strategy.TEAM) && teamCannot(plan, shape, axis, threads) == null
                && teamScratchFloats(plan, shape, axis, threads, elementBytes) * elementBytes <= budget) {
            // a team shares one ring: its scratch is one thread's, so it fits where threads streaming
            // alone would have to cut axis 0 — and each cut re-reads the halo (96 z planes cut in two
            // for a 128 MB budget read 144 planes, 1.5 times the input, out of core)
            return new StreamPlan(axis, Math.toIntExact(shape[0]), threads);
        }
        // slabs too large for the budget: cut axis 0 (its pass consumes the halo before the ring)
        long zChunk = shape[0];
        while (scratchFloats(plan, shape, axis, zChunk) * elementBytes * threads > budget
                && canCutAxis0(plan, axis) && zChunk > 8) {
            zChunk = (zChunk + 1) / 2;
        }
        if (scratchFloats(plan, shape, axis, zChunk) * elementBytes * threads > budget) {
            return refuse(forced, strategy, "its slabs need more than the scratch budget of " + budget + " bytes");
        }
        if (strategy == Strategy.TEAM) {
            String no = teamCannot(plan, shape, axis, threads);
            return refuse(true, strategy, no != null ? no : "its slabs need more than the scratch budget of " + budget
                    + " bytes");
        }
        return new StreamPlan(axis, Math.toIntExact(zChunk), 0);
    }

    private static StreamPlan refuse(boolean forced, Strategy strategy, String why) {
        if (forced) {
            throw new BadParameterException("strategy", strategy.name().toLowerCase(Locale.ROOT)
                    + " cannot run here: " + why);
        }
        return null;
    }

    /** True when a stream along {@code axis} can run {@code plan}: one term, at most one pass on the axis. */
    static boolean canRun(Plan plan, int axis) {
        if (plan.terms().size() != 1 || plan.rank() < 2 || axis < 0 || axis >= plan.rank() - 1) {
            return false;
        }
        int onAxis = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            onAxis += p.axis() == axis ? 1 : 0;
        }
        return onAxis <= 1;
    }

    /** The outer axis with the smallest slabs (its own extent largest). */
    static int streamAxis(long[] shape) {
        int best = 0;
        for (int a = 1; a < shape.length - 1; a++) {
            if (shape[a] > shape[best]) {
                best = a;
            }
        }
        return best;
    }

    /** True when chunks may cut axis 0 (with a halo its own pass consumes before the ring). */
    static boolean canCutAxis0(Plan plan, int axis) {
        if (axis == 0) {
            return false;
        }
        boolean streamPassSeen = false;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == axis) {
                streamPassSeen = true;
            } else if (p.axis() == 0 && streamPassSeen) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why threads cannot stream {@code plan} on {@code shape} as a team ({@link Team}), or null when
     * they can: a 3-d volume streamed along y, passes z then y then x, two axis-0 rows a member.
     */
    static String teamCannot(Plan plan, long[] shape, int axis, int threads) {
        if (shape.length != 3 || axis != 1) {
            return "a team streams 3-d volumes along axis 1 (this one would stream axis " + axis + " of "
                    + shape.length + ")";
        }
        if (threads < 2) {
            return "a team needs 2 threads or more";
        }
        if (shape[0] < 2L * threads) {
            return "a team of " + threads + " needs at least " + 2 * threads + " rows on axis 0, the volume has "
                    + shape[0];
        }
        int stage = 0; // 0: before the y pass (only z), 1: after it (only x)
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == 1) {
                stage = 1;
            } else if (p.axis() != (stage == 0 ? 0 : 2)) {
                return "a team runs the passes in the order axis 0, 1, 2";
            }
        }
        return stage == 1 ? null : "a team needs a pass on axis 1";
    }

    /**
     * Floats of scratch a team of {@code threads} needs: one worker's ring, batch and gather buffers,
     * which the members share, and each member's own two slab buffers of the passes inside a slab.
     */
    static long teamScratchFloats(Plan plan, long[] shape, int axis, int threads, int elementBytes) {
        long slab = (axis == 0 ? 1 : shape[0]) * rowsAndPitch(shape, axis);
        return scratchFloats(plan, shape, axis, shape[0], true, elementBytes) + threads * 2L * (slab + 64);
    }

    /** Floats of one axis-0 row of a slab along {@code axis}: the slab axes after 0, the last padded to its pitch. */
    private static long rowsAndPitch(long[] shape, int axis) {
        long rest = 1;
        int last = shape.length - 1;
        for (int a = 1; a < shape.length; a++) {
            if (a != axis) {
                rest *= a == last && shape[a] <= Integer.MAX_VALUE ? SlabLayout.rowPitch((int) shape[a]) : shape[a];
            }
        }
        return rest;
    }

    /**
     * Floats of scratch one worker needs for {@code plan} on {@code shape}, streaming along
     * {@code axis} with chunks of {@code zChunk} along axis 0.
     */
    static long scratchFloats(Plan plan, long[] shape, int axis, long zChunk) {
        return scratchFloats(plan, shape, axis, zChunk, false, 0);
    }

    /**
     * As {@link #scratchFloats(Plan, long[], int, long)} for a worker of a team or not on slabs of
     * {@code elementBytes}, whose batch of stream outputs is {@link SlabStream#batchFor}'s.
     */
    private static long scratchFloats(Plan plan, long[] shape, int axis, long zChunk, boolean team,
                                      int elementBytes) {
        long rest = rowsAndPitch(shape, axis);
        long z = axis == 0 ? 1 : zChunk;
        int reach = 0;
        int zReach = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == axis) {
                reach = p.kernel().size() - 1;
            } else if (p.axis() == 0) {
                zReach = p.kernel().size() - 1;
            }
        }
        int batch = SlabStream.batchFor(reach, team, elementBytes);
        long slab = axis == 0 ? rest : z * rest;
        long gather = axis == 0 ? rest : (z + zReach) * rest;
        return (slab + 64) * (reach + 2L * batch + 1) + (2 + SlabStream.GROUP) * (gather + 64);
    }
}
