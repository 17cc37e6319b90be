package dev.penumbra.cli;

import dev.penumbra.engine.Schedule;
import picocli.CommandLine.Option;

/** How to run a filter: threads, backend, chunks (shared by the commands that run one). */
final class RunOptions {
    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "scalar, simd (default when available), native, blas")
    String backend;

    @Option(names = "--chunks", paramLabel = "C0,C1,..", description = "chunk shape (default: chosen from the cache budget)")
    String chunks;

    @Option(names = "--master", paramLabel = "local[N]|spark://HOST:PORT",
            description = "run on Apache Spark (the spark module; INPUT and OUTPUT on a filesystem every worker sees)")
    String master;

    Schedule schedule() {
        return FilterCommand.schedule(threads, backend, chunks);
    }
}
