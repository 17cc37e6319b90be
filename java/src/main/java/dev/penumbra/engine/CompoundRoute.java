package dev.penumbra.engine;

import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import java.util.ArrayList;
import java.util.List;

/**
 * How a compound plan (laplace, gaussian_laplace, gaussian_gradient_magnitude, sums of terms)
 * runs on a whole volume: in one sweep of a stream per term ({@link TermSweep}), or a term at a
 * time, each folded into the output as scipy folds it; the {@link Engine} falls back to tiles of
 * every term at once when neither can stream.
 */
final class CompoundRoute {
    private CompoundRoute() {
    }

    /**
     * The terms of a compound plan as single-term plans when they can stream in one sweep
     * ({@link TermSweep}) over a whole volume of {@code shape}: each streams on its own (no team,
     * axis 0 whole), there are scratch sets for all, and their scratch together fits the budget.
     * Null otherwise (a forced team, tiles, given chunks), and when every term would stream as a
     * team and the output can be read back: streamed a term at a time as teams, the Gaussian
     * compounds ran as fast as in one sweep of per-thread rings (gaussian_laplace sigma 2, seed shape,
     * 7 alternating rounds: min 539 vs 548 ms), while laplace, whose z-only term cannot form a team
     * and whose 3-tap terms are bound by memory traffic, gained from one sweep (224 vs 277 ms).
     */
    static List<Plan> sweepTerms(Plan plan, long[] shape, Schedule schedule, boolean readable, int bytes) {
        Strategy strategy = schedule.strategy();
        List<Term> terms = plan.terms();
        if (strategy != Strategy.AUTO && strategy != Strategy.STREAM || terms.size() > 1 + ScratchArena.EXTRA_SETS) {
            return null;
        }
        List<Plan> ones = new ArrayList<>();
        long floats = 0;
        boolean allTeams = true;
        for (Term t : terms) {
            Plan one = new Plan(plan.rank(), List.of(t), Plan.Combine.SINGLE, plan.cval());
            StreamPlan sp = StreamPlan.of(one, shape, schedule.withStrategy(Strategy.AUTO), true, bytes);
            if (sp == null || sp.zChunk() != shape[0]) {
                return null;
            }
            allTeams &= sp.teamSize() > 0;
            floats += StreamPlan.scratchFloats(one, shape, sp.axis(), shape[0]);
            ones.add(one);
        }
        if (allTeams && readable && strategy == Strategy.AUTO) {
            return null;
        }
        return floats * bytes * schedule.threads() <= schedule.scratchBudget() ? ones : null;
    }

    /**
     * A compound plan (laplace, gaussian_laplace, gaussian_gradient_magnitude) streamed one term at
     * a time, each term folded into the output as scipy folds it ({@link SlabStream.Fold}): a
     * stream's passes stay in cache where tiles of every term at once would not, at the cost of
     * reading the input once a term and the output back once a term after the first. Null when a
     * term cannot stream (then the plan runs on tiles). An optimistic float run whose first term
     * already saw data that fails the bound stops there: the caller redoes the output.
     */
    static Run termwise(Plan plan, Source in, Sink out, Schedule schedule, Engine.Path path, float[] seen,
                        int bytes) {
        List<Term> terms = plan.terms();
        List<Plan> ones = new ArrayList<>();
        for (Term t : terms) {
            Plan one = new Plan(plan.rank(), List.of(t), Plan.Combine.SINGLE, plan.cval());
            if (StreamPlan.of(one, out.shape(), schedule, true, bytes) == null) {
                return null;
            }
            ones.add(one);
        }
        Monitor mon = schedule.monitor();
        if (mon != null) {
            mon.begin(Engine.count(out.shape()) * terms.size());
        }
        Run last = null;
        for (int i = 0; i < ones.size(); i++) {
            last = Engine.fused(ones.get(i), in, new long[plan.rank()], out, schedule, path, seen,
                    new SlabStream.Fold(i, terms.size(), plan.combine()), false, null);
            if (i == 0 && seen != null && !ArithmeticPolicy.boundHolds(plan, seen)) {
                break;
            }
        }
        return last;
    }

    static ChunkWorker sweepWorker(List<Plan> terms, Plan.Combine how, Source in, Sink out,
                                           SlabStore store, StreamPlan sp) {
        List<SlabStream> streams = new ArrayList<>();
        for (int t = 0; t < terms.size(); t++) {
            streams.add(new SlabStream(terms.get(t), in, out, store, sp.axis(), sp.zChunk(), null, 0, null, t));
        }
        return new TermSweep(streams, how);
    }
}
