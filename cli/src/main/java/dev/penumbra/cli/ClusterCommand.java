package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.PenumbraException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code penumbra cluster start [--workers N] [--cores C] | stop}: a Spark standalone Master
 * (spark://127.0.0.1:7077) and Workers on this machine, for trying {@code --master} (the spark
 * module's {@code dev.penumbra.spark.Cluster}).
 */
@Command(name = "cluster", description = "Start or stop a Spark standalone cluster on 127.0.0.1 (Master on port 7077)"
        + " for --master spark://127.0.0.1:7077")
final class ClusterCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "start|stop", description = "start or stop")
    String action;

    @Option(names = "--workers", paramLabel = "N", description = "Workers to start (default 2)")
    int workers = 2;

    @Option(names = "--cores", paramLabel = "C", description = "cores of each Worker (default 1)")
    int cores = 1;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "pids, logs and the prepared SPARK_HOME"
            + " (default: <tmpdir>/penumbra-cluster-<user>)")
    Path runDir;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public Integer call() {
        Class<?> c;
        try {
            c = Class.forName("dev.penumbra.spark.Cluster");
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BadParameterException("cluster: the Spark module is not on the classpath (build it with"
                    + " ./penumbra test or mvn package)");
        }
        try {
            Path dir = runDir != null ? runDir : (Path) c.getMethod("defaultRunDir").invoke(null);
            switch (action) {
                case "start" -> spec.commandLine().getOut().println(c.getMethod("start", Path.class, int.class,
                        int.class).invoke(null, dir, workers, cores));
                case "stop" -> {
                    Object stopped = c.getMethod("stop", Path.class).invoke(null, dir);
                    spec.commandLine().getOut().println(stopped.getClass().getMethod("text", Path.class)
                            .invoke(stopped, dir));
                }
                default -> throw new BadParameterException("cluster: '" + action + "' (expected start or stop)");
            }
            return 0;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof PenumbraException p) {
                throw p;
            }
            throw new PenumbraException("cluster: " + PenumbraException.rootMessage(e.getCause()), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new PenumbraException("cluster: the Spark module does not match this build (" + e + ")", e);
        }
    }
}
