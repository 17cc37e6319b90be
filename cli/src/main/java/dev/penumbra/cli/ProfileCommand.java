package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.diagnostics.Profiler;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code penumbra profile OP [options] INPUT}: where the time goes, against the machine's floors. */
@Command(name = "profile", description = "Run a filter file to file and report time per phase, threads, bytes,"
        + " the memory and FMA floors measured in the same process, and a one-line verdict.")
final class ProfileCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OP", description = "filter op, e.g. gaussian")
    String opName;

    @Parameters(index = "1", paramLabel = "INPUT", description = "input .npy, Zarr, HDF5 or TIFF, or a raw"
            + " file with --shape")
    Path input;

    @CommandLine.Mixin
    OpOptions ops;

    @CommandLine.Mixin
    RawOptions raw;

    @CommandLine.Mixin
    RunOptions run;

    @CommandLine.Mixin
    ContainerOptions containers;

    @Option(names = "--json", description = "one JSON object instead of the report")
    boolean json;

    @Option(names = "--png", paramLabel = "FILE", description = "also write a roofline chart and a per-thread timeline (PNG)")
    Path png;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public Integer call() {
        Op op = Op.parse(opName);
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        FilterSpec fs = ops.spec(op, pr);
        var layout = raw.layout(input, pr);
        Schedule schedule = run.schedule();
        if (png != null) {
            Charts.checkWritable(png, "png");
        }
        // the temporary output is a Zarr array when a Zarr option asks for one
        dev.penumbra.zarr.ZarrOutput zarr = containers.zarr(Path.of("profile"));
        if (run.master != null) {
            // on Spark: the job's task statistics and where the wall time went
            if (png != null) {
                throw new BadParameterException("png: not available with --master (the task"
                        + " statistics are printed)");
            }
            Path out = input.toAbsolutePath().normalize().resolveSibling(".penumbra-profile-"
                    + ProcessHandle.current().pid() + (zarr != null ? ".zarr" : ".out"));
            try {
                spec.commandLine().getOut().println("profile: " + Spark.apply(fs, input, containers.dataset, layout,
                        out, null, zarr, schedule, run.master));
            } finally {
                try (var files = Files.exists(out) ? Files.walk(out) : java.util.stream.Stream.<Path>empty()) {
                    for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException e) {
                    // named for what it is
                }
            }
            return 0;
        }
        Profiler.Report r = Profiler.profile(fs, input, containers.dataset, layout, zarr, schedule);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? r.json() + System.lineSeparator() : r.text());
        if (png != null) {
            Charts.profileChart(r, png);
            if (!json) {
                out.println("chart: " + png);
            }
        }
        out.flush();
        return 0;
    }
}
