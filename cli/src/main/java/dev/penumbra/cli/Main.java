package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.PenumbraException;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Engine;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.VolumeFiles;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code penumbra OP [options] INPUT OUTPUT}, plus {@code demo} and {@code bench}. Exit 0 on
 * success; 2 with one line naming the problem on bad input (and no output file).
 */
@Command(name = "penumbra", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        customSynopsis = {"penumbra OP [options] INPUT OUTPUT", "   or: penumbra COMMAND [options]"},
        description = "Exact scipy.ndimage separable filters on memory-mapped volumes larger than the heap.",
        footer = {"", "Examples:",
            "  penumbra gaussian --sigma 3 volume.npy smooth.npy",
            "  penumbra sobel --axis 0 --shape 50,1104,1104 --dtype float32 tomo.vol edges.npy",
            "", "Each OP's --help lists its own options and the scipy call it stands for."})
public final class Main implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;

    /**
     * The commands, by name, in the order help lists them. Only the one a command line names is
     * built (picocli reflects on a command's options when it is added: all fifteen cost about 0.2 s
     * of every run's start-up); help, and a name that is none of these, get all of them.
     */
    static final Map<String, Class<?>> COMMANDS = commands(
            FilterCommand.Gaussian.class, FilterCommand.Uniform.class, FilterCommand.Sobel.class,
            FilterCommand.Prewitt.class, FilterCommand.Laplace.class, FilterCommand.GaussianLaplace.class,
            FilterCommand.GaussianGradientMagnitude.class, FilterCommand.Correlate1d.class,
            DemoCommand.class, BenchCommand.class, AbCommand.class, ProfileCommand.class, PreviewCommand.class,
            ClusterCommand.class, TestCommand.class);

    private static Map<String, Class<?>> commands(Class<?>... classes) {
        Map<String, Class<?>> m = new java.util.LinkedHashMap<>();
        for (Class<?> c : classes) {
            m.put(c.getAnnotation(Command.class).name(), c);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            if (v == null) {
                // run from the build tree rather than the jar: the version Maven filtered in
                try (var in = Main.class.getResourceAsStream("version.properties")) {
                    var p = new java.util.Properties();
                    if (in != null) {
                        p.load(in);
                    }
                    v = p.getProperty("version");
                } catch (java.io.IOException e) {
                    v = null;
                }
            }
            return new String[] {"penumbra " + (v == null ? "(version unknown)" : v) + " on Java " + Runtime.version()};
        }
    }

    public static void main(String[] args) {
        startNativeLoad();
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * When the launcher chose the native kernels for a filter command ({@code -Dpenumbra.c1only}):
     * loads them (FFM's downcall handles, ~65 ms) and {@link Madvise}'s probes on the other core
     * while picocli parses and the files open.
     */
    static void startNativeLoad() {
        if (Boolean.getBoolean("penumbra.c1only")) {
            Thread.ofPlatform().daemon().name("penumbra-native-load").start(() -> {
                Backends.best();
                // and the memory probes that opening the input needs (Madvise: the platform MXBean,
                // three downcalls), which the main thread waited for: seed gaussian, Zen 3, whole
                // commands alternating, medians of 10: 1469 -> 1306 ms; of 6, with marks: 1351 ->
                // 1279 ms, opening the input 59 -> 30 ms
                Madvise.physicalMemory();
            });
        }
    }

    /** Runs the CLI with the given streams and returns the exit code (for tests and embedding). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        for (Map.Entry<String, Class<?>> c : COMMANDS.entrySet()) {
            if (named == null || c.getValue() == named) {
                cl.addSubcommand(c.getKey(), c.getValue());
            }
        }
        OpOptions.tailorHelp(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            String sub = ex.getCommandLine().getCommandName();
            if ("penumbra".equals(sub) && ex instanceof CommandLine.UnmatchedArgumentException u
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
                err.println("penumbra: unknown command '" + u.getUnmatched().get(0) + "' (expected one of "
                        + String.join(", ", COMMANDS.keySet()) + "; see: penumbra --help)");
                return EXIT_BAD_INPUT;
            }
            String message = ex.getMessage();
            if (ex instanceof CommandLine.UnmatchedArgumentException u) {
                // the first unknown option, and the nearest known one; not the arguments after it
                String first = u.getUnmatched().stream().filter(x -> x.startsWith("-")).findFirst().orElse(null);
                if (first != null) {
                    List<String> near = u.getSuggestions();
                    message = "unknown option '" + first + "'" + (near.isEmpty() ? ""
                            : " (did you mean " + near.get(0) + "?)");
                }
            }
            err.println("penumbra: " + oneLine(message) + " (see: penumbra "
                    + ("penumbra".equals(sub) ? "" : sub + " ") + "--help)");
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            if (ex instanceof PenumbraException) {
                err.println("penumbra: " + oneLine(inCliWords(ex)));
                return EXIT_BAD_INPUT;
            }
            err.println("penumbra: internal error: " + ex);
            ex.printStackTrace(err);
            return 1;
        });
        return cl.execute(args);
    }

    /** Library parameter names that the CLI spells as its options. */
    private static final Map<String, String> OPTION_NAMES = Map.of(
            "raw offset", "--offset",
            "raw shape", "--shape",
            "output dtype", "output-dtype");

    /** A library error in the CLI's words: its option names where the library names a parameter or a remedy. */
    static String inCliWords(Throwable ex) {
        String m = ex.getMessage();
        if (ex instanceof BadParameterException b && b.parameter() != null && OPTION_NAMES.containsKey(b.parameter())) {
            m = OPTION_NAMES.get(b.parameter()) + ": " + b.detail();
        }
        return m == null ? null : m.replace(VolumeFiles.RAW_HINT, "give --shape and --dtype to read it as raw")
                .replace(Engine.HEAP_HINT, "Java heap (-Xmx in PENUMBRA_JAVA_OPTS)");
    }

    static String oneLine(String s) {
        return s == null ? "error" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
