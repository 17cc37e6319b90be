package dev.penumbra.filter;

import dev.penumbra.BadParameterException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A filter in scipy's vocabulary, before it meets a volume: the op and its parameters. Sequences
 * (sigma, order, size, origin, mode) hold one value for every axis or one per axis, as scipy's
 * {@code _normalize_sequence} accepts. {@link #plan(int)} checks everything against the rank and
 * builds the {@link Plan} scipy would run. A value: its accessors return copies, and two specs with
 * the same parameters are equal.
 *
 * <pre>{@code
 * // scipy: ndimage.gaussian_filter(x, sigma=3, mode='reflect', truncate=4.0)
 * Plan p = FilterSpec.gaussian(new double[] {3}).plan(3);
 * }</pre>
 */
public record FilterSpec(Op op, double[] sigma, int[] order, double truncate, int[] size, int[] origin, int axis,
                         double[] weights, BoundaryMode[] mode, double cval) implements Serializable {
    /** Axes with sigma at or below this are skipped, as in scipy. */
    public static final double SIGMA_SKIP = 1e-15;

    public FilterSpec {
        sigma = sigma == null ? new double[0] : sigma.clone();
        order = order == null ? new int[] {0} : order.clone();
        size = size == null ? new int[] {3} : size.clone();
        origin = origin == null ? new int[] {0} : origin.clone();
        weights = weights == null ? new double[0] : weights.clone();
        mode = mode == null ? new BoundaryMode[] {BoundaryMode.REFLECT} : mode.clone();
        for (BoundaryMode m : mode) {
            if (m == null) {
                throw new BadParameterException("mode: expected a boundary mode for every axis, got none for one");
            }
        }
    }

    @Override
    public double[] sigma() {
        return sigma.clone();
    }

    @Override
    public int[] order() {
        return order.clone();
    }

    @Override
    public int[] size() {
        return size.clone();
    }

    @Override
    public int[] origin() {
        return origin.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public BoundaryMode[] mode() {
        return mode.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FilterSpec f && op == f.op && Arrays.equals(sigma, f.sigma) && Arrays.equals(order, f.order)
                && Double.compare(truncate, f.truncate) == 0 && Arrays.equals(size, f.size)
                && Arrays.equals(origin, f.origin) && axis == f.axis && Arrays.equals(weights, f.weights)
                && Arrays.equals(mode, f.mode) && Double.compare(cval, f.cval) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, Arrays.hashCode(sigma), Arrays.hashCode(order), truncate, Arrays.hashCode(size),
                Arrays.hashCode(origin), axis, Arrays.hashCode(weights), Arrays.hashCode(mode), cval);
    }

    /** Defaults as scipy's: order 0, truncate 4, size 3, origin 0, axis -1, mode reflect, cval 0. */
    public static FilterSpec of(Op op) {
        return new FilterSpec(op, new double[] {1}, null, 4.0, null, null, -1, null, null, 0.0);
    }

    /** {@code gaussian_filter} with sigma for every axis (one value) or per axis. */
    public static FilterSpec gaussian(double... sigma) {
        return of(Op.GAUSSIAN).withSigma(sigma);
    }

    /** Gaussian standard deviation, one or per axis (scipy: {@code sigma}). */
    public FilterSpec withSigma(double... s) {
        return new FilterSpec(op, s, order, truncate, size, origin, axis, weights, mode, cval);
    }

    /** Derivative order, one or per axis (scipy: {@code order}; default 0). */
    public FilterSpec withOrder(int... o) {
        return new FilterSpec(op, sigma, o, truncate, size, origin, axis, weights, mode, cval);
    }

    /** Kernel radius in standard deviations (scipy: {@code truncate}; default 4). */
    public FilterSpec withTruncate(double t) {
        return new FilterSpec(op, sigma, order, t, size, origin, axis, weights, mode, cval);
    }

    /** Uniform filter size, one or per axis (scipy: {@code size}; default 3). */
    public FilterSpec withSize(int... s) {
        return new FilterSpec(op, sigma, order, truncate, s, origin, axis, weights, mode, cval);
    }

    /** Kernel origin, one or per axis (scipy: {@code origin}; default 0). */
    public FilterSpec withOrigin(int... o) {
        return new FilterSpec(op, sigma, order, truncate, size, o, axis, weights, mode, cval);
    }

    /** The axis of sobel, prewitt and correlate1d (scipy: {@code axis}; default -1, the last). */
    public FilterSpec withAxis(int a) {
        return new FilterSpec(op, sigma, order, truncate, size, origin, a, weights, mode, cval);
    }

    /** The weights of correlate1d (scipy: {@code weights}). */
    public FilterSpec withWeights(double... w) {
        return new FilterSpec(op, sigma, order, truncate, size, origin, axis, w, mode, cval);
    }

    /** Boundary mode, one or per axis (scipy: {@code mode}; default reflect). */
    public FilterSpec withMode(BoundaryMode... m) {
        return new FilterSpec(op, sigma, order, truncate, size, origin, axis, weights, m, cval);
    }

    /** Modes by scipy's names, grid aliases included ({@link BoundaryMode#parse}). */
    public FilterSpec withMode(String... names) {
        BoundaryMode[] m = new BoundaryMode[names.length];
        for (int i = 0; i < names.length; i++) {
            m[i] = BoundaryMode.parse(names[i]);
        }
        return withMode(m);
    }

    /** The value outside the volume for constant mode (scipy: {@code cval}; default 0). */
    public FilterSpec withCval(double c) {
        return new FilterSpec(op, sigma, order, truncate, size, origin, axis, weights, mode, c);
    }

    /** Checks the parameters against a volume of {@code rank} axes and builds scipy's plan. */
    public Plan plan(int rank) {
        // a NaN or infinite cval is scipy's too (NaN marks the outside); it takes the double path
        BoundaryMode[] modes = modes(rank);
        return switch (op) {
            case GAUSSIAN -> new Plan(rank, List.of(gaussianTerm(rank, sigmas(rank), orders(rank), modes)),
                    Plan.Combine.SINGLE, cval);
            case UNIFORM -> new Plan(rank, List.of(uniformTerm(rank, modes)), Plan.Combine.SINGLE, cval);
            case SOBEL -> new Plan(rank, List.of(edgeTerm(rank, new double[] {1, 2, 1}, modes)),
                    Plan.Combine.SINGLE, cval);
            case PREWITT -> new Plan(rank, List.of(edgeTerm(rank, new double[] {1, 1, 1}, modes)),
                    Plan.Combine.SINGLE, cval);
            case LAPLACE -> {
                List<Term> terms = new ArrayList<>();
                Kernel1D d2 = new Kernel1D(new double[] {1, -2, 1}, 0);
                for (int a = 0; a < rank; a++) {
                    terms.add(new Term(List.of(new Pass(a, d2, modes[a]))));
                }
                yield new Plan(rank, terms, rank == 1 ? Plan.Combine.SINGLE : Plan.Combine.SUM, cval);
            }
            case GAUSSIAN_LAPLACE, GAUSSIAN_GRADIENT_MAGNITUDE -> {
                int derivative = op == Op.GAUSSIAN_LAPLACE ? 2 : 1;
                double[] s = sigmas(rank);
                List<Term> terms = new ArrayList<>();
                for (int a = 0; a < rank; a++) {
                    int[] ord = new int[rank];
                    ord[a] = derivative;
                    // generic_laplace / generic_gradient_magnitude hand modes[a] to every axis of term a
                    BoundaryMode[] same = new BoundaryMode[rank];
                    Arrays.fill(same, modes[a]);
                    terms.add(gaussianTerm(rank, s, ord, same));
                }
                Plan.Combine c = op == Op.GAUSSIAN_LAPLACE ? Plan.Combine.SUM : Plan.Combine.HYPOT;
                yield new Plan(rank, terms, rank == 1 && c == Plan.Combine.SUM ? Plan.Combine.SINGLE : c, cval);
            }
            case CORRELATE1D -> {
                int ax = axis(rank);
                if (weights.length == 0) {
                    throw new BadParameterException("weights: expected at least one weight, got none");
                }
                if (origin.length != 1) {
                    throw new BadParameterException("origin: correlate1d takes one origin, got " + origin.length);
                }
                if (mode.length != 1) {
                    throw new BadParameterException("mode: correlate1d takes one mode, got " + mode.length);
                }
                yield new Plan(rank, List.of(new Term(List.of(new Pass(ax, new Kernel1D(weights, origin[0]),
                        modes[ax])))), Plan.Combine.SINGLE, cval);
            }
        };
    }

    private Term gaussianTerm(int rank, double[] s, int[] ord, BoundaryMode[] modes) {
        List<Pass> passes = new ArrayList<>();
        for (int a = 0; a < rank; a++) {
            if (s[a] > SIGMA_SKIP) {
                passes.add(new Pass(a, new Kernel1D(GaussianKernel.weights(s[a], ord[a], truncate), 0), modes[a]));
            }
        }
        return new Term(passes);
    }

    private Term uniformTerm(int rank, BoundaryMode[] modes) {
        int[] sz = perAxis(size, rank, "size");
        int[] org = perAxis(origin, rank, "origin");
        List<Pass> passes = new ArrayList<>();
        for (int a = 0; a < rank; a++) {
            if (sz[a] < 1) {
                throw new BadParameterException("size: expected whole numbers >= 1, got " + sz[a]);
            }
            if (sz[a] > 2 * GaussianKernel.MAX_RADIUS + 1) {
                throw new BadParameterException("size: " + sz[a] + " is larger than the "
                        + (2 * GaussianKernel.MAX_RADIUS + 1) + " supported");
            }
            if (sz[a] > 1) {
                passes.add(new Pass(a, Kernel1D.uniform(sz[a], org[a]), modes[a]));
            }
        }
        return new Term(passes);
    }

    private Term edgeTerm(int rank, double[] smooth, BoundaryMode[] modes) {
        int ax = axis(rank);
        List<Pass> passes = new ArrayList<>();
        passes.add(new Pass(ax, new Kernel1D(new double[] {-1, 0, 1}, 0), modes[ax]));
        for (int a = 0; a < rank; a++) {
            if (a != ax) {
                passes.add(new Pass(a, new Kernel1D(smooth, 0), modes[a]));
            }
        }
        return new Term(passes);
    }

    private int axis(int rank) {
        if (axis < -rank || axis >= rank) {
            throw new BadParameterException("axis: " + axis + " is out of range for a volume of " + rank
                    + " axes (expected " + (-rank) + " to " + (rank - 1) + ")");
        }
        return axis < 0 ? axis + rank : axis;
    }

    private double[] sigmas(int rank) {
        if (sigma.length != 1 && sigma.length != rank) {
            throw new BadParameterException("sigma: expected 1 value or " + rank + " (one per axis), got "
                    + sigma.length);
        }
        double[] s = new double[rank];
        for (int a = 0; a < rank; a++) {
            double v = sigma[sigma.length == 1 ? 0 : a];
            if (!Double.isFinite(v) || v < 0) {
                throw new BadParameterException("sigma: expected finite numbers >= 0, got " + v);
            }
            s[a] = v;
        }
        if (!Double.isFinite(truncate) || truncate <= 0) {
            throw new BadParameterException("truncate: expected a finite number > 0, got " + truncate);
        }
        return s;
    }

    /** The highest derivative order accepted. */
    public static final int MAX_ORDER = 1024;

    private int[] orders(int rank) {
        int[] o = perAxis(order, rank, "order");
        for (int v : o) {
            if (v < 0) {
                throw new BadParameterException("order: expected whole numbers >= 0, got " + v);
            }
            if (v > MAX_ORDER) {
                // the derivative polynomial costs order^2 and its coefficients overflow doubles long before
                throw new BadParameterException("order: " + v + " is larger than the " + MAX_ORDER + " supported");
            }
        }
        return o;
    }

    private BoundaryMode[] modes(int rank) {
        if (mode.length != 1 && mode.length != rank) {
            throw new BadParameterException("mode: expected 1 mode or " + rank + " (one per axis), got " + mode.length);
        }
        BoundaryMode[] m = new BoundaryMode[rank];
        for (int a = 0; a < rank; a++) {
            m[a] = mode[mode.length == 1 ? 0 : a];
        }
        return m;
    }

    private static int[] perAxis(int[] v, int rank, String name) {
        if (v.length != 1 && v.length != rank) {
            throw new BadParameterException(name + ": expected 1 value or " + rank + " (one per axis), got " + v.length);
        }
        int[] out = new int[rank];
        for (int a = 0; a < rank; a++) {
            out[a] = v[v.length == 1 ? 0 : a];
        }
        return out;
    }

    @Override
    public String toString() {
        return op.cliName() + switch (op) {
            case GAUSSIAN -> " sigma=" + Arrays.toString(sigma) + " order=" + Arrays.toString(order) + " truncate=" + truncate;
            case GAUSSIAN_LAPLACE, GAUSSIAN_GRADIENT_MAGNITUDE -> " sigma=" + Arrays.toString(sigma) + " truncate=" + truncate;
            case UNIFORM -> " size=" + Arrays.toString(size) + " origin=" + Arrays.toString(origin);
            case SOBEL, PREWITT -> " axis=" + axis;
            case LAPLACE -> "";
            case CORRELATE1D -> " weights=" + Arrays.toString(weights) + " axis=" + axis + " origin=" + Arrays.toString(origin);
        } + " mode=" + String.join(",", Arrays.stream(mode).map(BoundaryMode::scipyName).toList())
                + (cval != 0 ? " cval=" + cval : "");
    }
}
