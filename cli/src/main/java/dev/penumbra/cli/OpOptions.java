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

    static final List<String> OP_OPTIONS =
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

    /** scipy's call each op stands for, for its help. */
    private static final Map<Op, String> SCIPY = Map.of(
            Op.GAUSSIAN, "gaussian_filter(input, sigma, order=0, mode='reflect', cval=0.0, truncate=4.0)",
            Op.UNIFORM, "uniform_filter(input, size=3, mode='reflect', cval=0.0, origin=0)",
            Op.SOBEL, "sobel(input, axis=-1, mode='reflect', cval=0.0)",
            Op.PREWITT, "prewitt(input, axis=-1, mode='reflect', cval=0.0)",
            Op.LAPLACE, "laplace(input, mode='reflect', cval=0.0)",
            Op.GAUSSIAN_LAPLACE, "gaussian_laplace(input, sigma, mode='reflect', cval=0.0, truncate=4.0)",
            Op.GAUSSIAN_GRADIENT_MAGNITUDE,
            "gaussian_gradient_magnitude(input, sigma, mode='reflect', cval=0.0, truncate=4.0)",
            Op.CORRELATE1D, "correlate1d(input, weights, axis=-1, mode='reflect', cval=0.0, origin=0)");

    /** An example command line for each op, for its help. */
    private static final Map<Op, String> EXAMPLE = Map.of(
            Op.GAUSSIAN, "gaussian --sigma 3 volume.npy smooth.npy",
            Op.UNIFORM, "uniform --size 5 volume.npy mean.npy",
            Op.SOBEL, "sobel --axis 0 --mode nearest volume.npy edges.npy",
            Op.PREWITT, "prewitt --axis 2 volume.npy edges.npy",
            Op.LAPLACE, "laplace volume.npy lap.npy",
            Op.GAUSSIAN_LAPLACE, "gaussian-laplace --sigma 2 volume.npy log.npy",
            Op.GAUSSIAN_GRADIENT_MAGNITUDE, "gaussian-gradient-magnitude --sigma 2 volume.npy ggm.npy",
            Op.CORRELATE1D, "correlate1d --weights 1,2,1 --axis 1 volume.npy out.npy");

    /**
     * Each op's help shows only its own options, marks the required ones and ends with scipy's call
     * and an example. The other ops' options stay parseable (hidden), so that giving one is refused
     * with a message naming what the op takes instead of a bare "unknown option".
     */
    static void tailorHelp(CommandLine cl) {
        for (Op op : Op.values()) {
            CommandLine sub = cl.getSubcommands().get(op.cliName());
            if (sub == null) {
                continue;
            }
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            for (CommandLine.Model.OptionSpec o : List.copyOf(spec.options())) {
                String name = o.longestName();
                if (!OP_OPTIONS.contains(name)) {
                    continue;
                }
                boolean own = OWN.get(op).contains(name);
                boolean required = REQUIRED.getOrDefault(op, Set.of()).contains(name);
                if (!own || required) {
                    String[] d = o.description().clone();
                    if (required && d.length > 0) {
                        d[0] = "(required) " + d[0];
                    }
                    spec.remove(o);
                    spec.addOption(o.toBuilder().hidden(!own).description(d).build());
                }
            }
            spec.usageMessage().footer("", "scipy: scipy.ndimage." + SCIPY.get(op),
                    "example: penumbra " + EXAMPLE.get(op));
        }
    }

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
