package dev.penumbra.filter;

import java.util.List;

/**
 * What to compute, apart from how (the {@link dev.penumbra.engine.Schedule}): one or more separable
 * {@link Term}s over a volume of {@code rank} axes, combined as scipy's compound filters combine
 * them, with the constant {@code cval} for {@link BoundaryMode#CONSTANT}.
 *
 * <p>The halo of an axis is the plan's own reach along it (the largest over the terms), so a chunk
 * grown by it computes exactly what a whole-volume run computes.
 */
public record Plan(int rank, List<Term> terms, Combine combine, double cval) {
    /** How the terms' results make the output. */
    public enum Combine {
        /** One term: its result. */
        SINGLE,
        /** Sum of the terms, accumulated in the output dtype (generic_laplace). */
        SUM,
        /** sqrt of the sum of squares, in the output dtype (generic_gradient_magnitude). */
        HYPOT
    }

    public Plan {
        terms = List.copyOf(terms);
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one term");
        }
        for (Term t : terms) {
            for (Pass p : t.passes()) {
                if (p.axis() < 0 || p.axis() >= rank) {
                    throw new IllegalArgumentException("pass on axis " + p.axis() + " of a rank-" + rank + " plan");
                }
            }
        }
    }

    /** Halo before the chunk on each axis. */
    public long[] haloLeft() {
        long[] h = new long[rank];
        for (Term t : terms) {
            for (int a = 0; a < rank; a++) {
                h[a] = Math.max(h[a], t.left(a));
            }
        }
        return h;
    }

    /** Halo after the chunk on each axis. */
    public long[] haloRight() {
        long[] h = new long[rank];
        for (Term t : terms) {
            for (int a = 0; a < rank; a++) {
                h[a] = Math.max(h[a], t.right(a));
            }
        }
        return h;
    }

    /** The larger of the two halos on each axis (what a symmetric map_overlap depth must be). */
    public long[] halo() {
        long[] l = haloLeft();
        long[] r = haloRight();
        for (int a = 0; a < rank; a++) {
            l[a] = Math.max(l[a], r[a]);
        }
        return l;
    }

    /**
     * The largest amplification of any term: the product over its passes of sum |w|. A float
     * accumulator's error grows with it (about taps · 2^-24 · gain · max|x|), so the float32 fast path
     * is only taken for plans whose gain keeps that error under the parity tolerance.
     */
    public double gain() {
        double g = 1;
        for (Term t : terms) {
            g = Math.max(g, gain(t));
        }
        return g;
    }

    /** The terms' amplifications added up: a bound on what a sum of the terms (laplace) can reach. */
    public double summedGain() {
        double g = 0;
        for (Term t : terms) {
            g += gain(t);
        }
        return g;
    }

    /** A term's amplification: the product over its passes of sum |w|. */
    private static double gain(Term t) {
        double tg = 1;
        for (Pass p : t.passes()) {
            double s = 0;
            for (double w : p.kernel().weightArray()) {
                s += Math.abs(w);
            }
            tg *= s;
        }
        return tg;
    }

    /** True when every weight of every pass is an integer and no pass is a running mean (uniform). */
    public boolean integerWeights() {
        for (Term t : terms) {
            for (Pass p : t.passes()) {
                if (p.kernel().runningMean()) {
                    return false;
                }
                for (double w : p.kernel().weightArray()) {
                    if (w != Math.rint(w)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * An upper bound on the roundings one output element goes through when computed in float32:
     * per pass, one per tap (the folded pair sums included) and one for the stored result; one more
     * per term for combining. Float accumulation errs by at most this many units of 2^-24 of the
     * largest partial magnitude.
     */
    public int float32Roundings() {
        int most = 0;
        for (Term t : terms) {
            int r = 0;
            for (Pass p : t.passes()) {
                r += p.kernel().size() + 1;
            }
            most = Math.max(most, r);
        }
        return most + terms.size();
    }

    /** True when some pass extends its lines with cval (constant mode): cval joins the sums. */
    public boolean readsCval() {
        for (Term t : terms) {
            for (Pass p : t.passes()) {
                if (p.mode() == BoundaryMode.CONSTANT) {
                    return true;
                }
            }
        }
        return false;
    }

    /** True when no weight is negative and the terms combine by sum (or there is one term). */
    public boolean hasNonNegativeWeights() {
        if (combine == Combine.HYPOT) {
            return false;
        }
        for (Term t : terms) {
            for (Pass p : t.passes()) {
                for (double w : p.kernel().weightArray()) {
                    if (w < 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * Multiply-adds per output element over all terms as a folding kernel does them: for an odd
     * (anti)symmetric kernel of 2c+1 taps, c+1 (the mirrored pairs are added first); otherwise one
     * per tap. This is the useful arithmetic the FMA floor counts.
     */
    public long foldedFmasPerElement() {
        long t = 0;
        for (Term term : terms) {
            for (Pass p : term.passes()) {
                Kernel1D k = p.kernel();
                t += k.symmetry() == Kernel1D.Symmetry.NONE ? k.size() : k.center() + 1;
            }
        }
        return t;
    }
}
