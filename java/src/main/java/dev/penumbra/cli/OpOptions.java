package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The filter's own options (scipy's parameters), shared by the op commands and {@code ab}. */
final class OpOptions {
    @Option(names = "--sigma", paramLabel = "S|S0,S1,..", description = "Gaussian standard deviation, one or per axis")
    String sigma;

    @Option(names = "--order", paramLabel = "N|N0,N1,..", description = "derivative order, one or per axis (default 0)")
    String order;

    @Option(names = "--truncate", paramLabel = "T", description = "kernel radius in sigmas (default 4.0)")
    Double truncate;

    @Option(names = "--size", paramLabel = "N|N0,N1,..", description = "uniform filter size, one or per axis (default 3)")
    String size;

    @Option(names = "--axis", paramLabel = "A", description = "axis for sobel, prewitt, correlate1d (default -1)")
    Integer axis;

    @Option(names = "--weights", paramLabel = "w0,w1,..", description = "correlate1d weights")
    String weights;

    @Option(names = "--origin", paramLabel = "O|O0,O1,..", description = "origin for uniform and correlate1d (default 0)")
    String origin;

    @Option(names = "--mode", paramLabel = "MODE", description = "reflect (default), mirror, nearest, wrap, constant,"
            + " grid-mirror, grid-constant, grid-wrap; one or per axis, comma-separated")
    String mode;

    @Option(names = "--cval", paramLabel = "V", description = "value outside the volume for mode constant (default 0)")
    Double cval;

    private static final List<String> OP_OPTIONS =
            List.of("--sigma", "--order", "--truncate", "--size", "--axis", "--weights", "--origin");

    /** The op options each op takes. */
    static final Map<Op, Set<String>> OWN = Map.of(
            Op.GAUSSIAN, Set.of("--sigma", "--order", "--truncate"),
            Op.UNIFORM, Set.of("--size", "--origin"),
            Op.SOBEL, Set.of("--axis"),
            Op.PREWITT, Set.of("--axis"),
            Op.LAPLACE, Set.of(),
            Op.GAUSSIAN_LAPLACE, Set.of("--sigma", "--truncate"),
            Op.GAUSSIAN_GRADIENT_MAGNITUDE, Set.of("--sigma", "--truncate"),
            Op.CORRELATE1D, Set.of("--weights", "--axis", "--origin"));

    /** The options an op cannot run without. */
    private static final Map<Op, Set<String>> REQUIRED = Map.of(
            Op.GAUSSIAN, Set.of("--sigma"),
            Op.GAUSSIAN_LAPLACE, Set.of("--sigma"),
            Op.GAUSSIAN_GRADIENT_MAGNITUDE, Set.of("--sigma"),
            Op.CORRELATE1D, Set.of("--weights"));

    /** The spec these options give {@code op}; options the op does not take are refused by name. */
    FilterSpec spec(Op op, CommandLine.ParseResult pr) {
        return spec(op, pr, true);
    }

    /** As {@link #spec(Op, CommandLine.ParseResult)}; without {@code enforceRequired} a caller's defaults stand in. */
    FilterSpec spec(Op op, CommandLine.ParseResult pr, boolean enforceRequired) {
        Set<String> own = OWN.get(op);
        for (String name : OP_OPTIONS) {
            if (pr.hasMatchedOption(name) && !own.contains(name)) {
                throw new BadParameterException(name + ": does not apply to " + op.cliName()
                        + " (it takes " + String.join(", ", own.stream().sorted().toList()) + ")");
            }
        }
        for (String name : enforceRequired ? REQUIRED.getOrDefault(op, Set.<String>of()) : Set.<String>of()) {
            if (!pr.hasMatchedOption(name)) {
                throw new BadParameterException(name + ": required for " + op.cliName());
            }
        }
        FilterSpec fs = FilterSpec.of(op);
        if (sigma != null) {
            fs = fs.withSigma(FilterCommand.doubles(sigma, "sigma"));
        }
        if (order != null) {
            fs = fs.withOrder(FilterCommand.ints(order, "order"));
        }
        if (truncate != null) {
            fs = fs.withTruncate(truncate);
        }
        if (size != null) {
            fs = fs.withSize(FilterCommand.ints(size, "size"));
        }
        if (axis != null) {
            fs = fs.withAxis(axis);
        }
        if (weights != null) {
            fs = fs.withWeights(FilterCommand.doubles(weights, "weights"));
        }
        if (origin != null) {
            fs = fs.withOrigin(FilterCommand.ints(origin, "origin"));
        }
        if (mode != null) {
            fs = fs.withMode(mode.split(","));
        }
        if (cval != null) {
            fs = fs.withCval(cval);
        }
        return fs;
    }
}
