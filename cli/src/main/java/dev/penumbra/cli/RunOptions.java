package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.engine.Schedule;
import dev.penumbra.engine.Strategy;
import java.util.Locale;
import picocli.CommandLine.Option;

/** How to run a filter: threads, backend, chunks, strategy (shared by the commands that run one). */
final class RunOptions {
    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "scalar, simd, native (the default when built), blas")
    String backend;

    @Option(names = "--chunks", paramLabel = "C0,C1,..", description = "chunk shape (default: chosen from the cache budget)")
    String chunks;

    @Option(names = "--strategy", paramLabel = "auto|tiles|stream|team|unfused",
            description = "how the volume is walked (default auto: chosen per run; the others force one, same bytes)")
    String strategy;

    @Option(names = "--master", paramLabel = "local[N]|spark://HOST:PORT",
            description = "run on Apache Spark (the spark module; INPUT and OUTPUT on a filesystem every worker sees)")
    String master;

    Schedule schedule() {
        return FilterCommand.schedule(threads, backend, chunks).withStrategy(strategy(strategy));
    }

    /** The strategy named by {@code --strategy} (null: AUTO). */
    static Strategy strategy(String name) {
        if (name == null) {
            return Strategy.AUTO;
        }
        try {
            return Strategy.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadParameterException("strategy", "'" + name + "' (expected auto, tiles, stream, team or unfused)");
        }
    }
}
