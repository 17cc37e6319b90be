package dev.penumbra.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.Filters;
import dev.penumbra.PenumbraException;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import dev.penumbra.zarr.ZarrOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real standalone cluster on loopback (Master + 2 Workers of one core), started and stopped by the
 * test: a job gives the local engine's bytes with its tasks in two executor processes, and a
 * missing input is a clear error on the driver with no output.
 */
class ClusterTest {
    @TempDir
    static Path dir;

    static Path runDir;

    @BeforeAll
    static void start() {
        runDir = dir.resolve("cluster");
        System.setProperty("penumbra.cluster.dir", runDir.toString());
        System.out.println(Cluster.start(runDir, 2, 1));
    }

    @AfterAll
    static void stop() {
        Cluster.stop(runDir);
        System.clearProperty("penumbra.cluster.dir");
    }

    /** Executor and worker logs, for a failure's report. */
    private static void dumpLogs() {
        try (var files = Files.walk(runDir)) {
            files.filter(p -> p.getFileName().toString().equals("stderr") || p.toString().endsWith(".log"))
                    .forEach(p -> {
                        try {
                            String text = Files.readString(p);
                            System.out.println("==== " + p + "\n" + text.substring(Math.max(0, text.length() - 3000)));
                        } catch (IOException e) {
                            System.out.println("==== " + p + ": " + e);
                        }
                    });
        } catch (IOException e) {
            System.out.println("no logs: " + e);
        }
    }

    private static Path input(long... shape) throws Exception {
        Path in = dir.resolve("in.npy");
        int n = (int) (shape[0] * shape[1] * shape[2]);
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(8);
        while (b.hasRemaining()) {
            b.putFloat(r.nextFloat());
        }
        Files.write(in, Npy.header(DType.F32, shape));
        Files.write(in, b.array(), StandardOpenOption.APPEND);
        return in;
    }

    @Test
    void aJobOnTwoWorkersGivesTheLocalBytesAndAMissingInputIsAClearError() throws Exception {
        Path in = input(50, 276, 276);
        Path local = dir.resolve("local.npy");
        Path spark = dir.resolve("spark.npy");
        Filters.applyToFile(FilterSpec.gaussian(3.0), in, null, local, null, Schedule.defaults());
        SparkFilters.Stats st;
        try {
            st = SparkFilters.applyToFile(FilterSpec.gaussian(3.0), in, null, spark, null, Schedule.defaults(),
                    Cluster.MASTER_URL);
        } catch (Throwable e) {
            dumpLogs();
            throw e;
        }
        System.out.println(st.text());
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(spark));
        assertEquals(2, st.perTask().stream().map(SparkFilters.TaskStats::pid).distinct().count(),
                "tasks in two executor processes: " + st.perTask());
        Path missing = dir.resolve("missing.npy");
        Path out = dir.resolve("never.npy");
        PenumbraException e = assertThrows(PenumbraException.class, () -> SparkFilters.applyToFile(
                FilterSpec.gaussian(1.0), missing, null, out, null, Schedule.defaults(), Cluster.MASTER_URL));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void aZarrJobOnTwoWorkersWritesTheLocalChunkFiles() throws Exception {
        Path npy = input(30, 120, 140);
        Path in = dir.resolve("in.zarr");
        Filters.applyToFile(FilterSpec.of(dev.penumbra.filter.Op.UNIFORM).withSize(1), npy, null, null, in, null,
                new ZarrOutput(3, new long[] {16, 64, 64}, "zstd:1"), Schedule.defaults(), false);
        ZarrOutput zo = new ZarrOutput(3, new long[] {10, 32, 32}, "zstd:3", new long[] {10, 64, 64});
        Path local = dir.resolve("local.zarr");
        Path spark = dir.resolve("spark.zarr");
        Filters.applyToFile(FilterSpec.gaussian(2.0), in, null, null, local, null, zo, Schedule.defaults(), false);
        SparkFilters.Stats st;
        try {
            st = SparkFilters.applyToFile(FilterSpec.gaussian(2.0), in, null, null, spark, null, zo,
                    Schedule.defaults(), Cluster.MASTER_URL);
        } catch (Throwable e) {
            dumpLogs();
            throw e;
        }
        System.out.println(st.text());
        LocalSparkTest.assertSameFiles(local, spark);
        assertEquals(2, st.perTask().stream().map(SparkFilters.TaskStats::pid).distinct().count(),
                "tasks in two executor processes: " + st.perTask());
    }

    @Test
    void anInputTheExecutorsCannotSeeIsAClearErrorOnTheDriverAndNoOutput() throws Exception {
        Path in = dir.resolve("gone.npy");
        Files.copy(input(20, 100, 100), in, StandardCopyOption.REPLACE_EXISTING);
        Path out = dir.resolve("gone-out.npy");
        // the driver has read the header; the input vanishes before the executors open it
        Thread remover = new Thread(() -> {
            try {
                for (int i = 0; i < 2000; i++) {
                    try (var s = Files.list(dir)) {
                        if (s.anyMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp-gone-out"))) {
                            Files.delete(in);
                            return;
                        }
                    }
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        remover.start();
        PenumbraException e = assertThrows(PenumbraException.class, () -> SparkFilters.applyToFile(
                FilterSpec.gaussian(1.0), in, null, out, null, Schedule.defaults(), Cluster.MASTER_URL));
        remover.join();
        assertTrue(e.getMessage().startsWith("spark: the job failed on the executors: ")
                && e.getMessage().contains("gone.npy: no such file"), e.getMessage());
        assertFalse(Files.exists(out));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp-")), "no leftovers");
        }
    }

    @Test
    void anExecutorKilledMidJobIsReplacedAndTheOutputIsStillExact() throws Exception {
        Path in = dir.resolve("big.npy");
        Files.copy(input(50, 276, 276), in, StandardCopyOption.REPLACE_EXISTING);
        Path local = dir.resolve("big-local.npy");
        Path spark = dir.resolve("big-spark.npy");
        Filters.applyToFile(FilterSpec.gaussian(3.0), in, null, local, null, Schedule.defaults());
        AtomicLong killed = new AtomicLong();
        Thread killer = new Thread(() -> {
            try {
                long end = System.nanoTime() + 60_000_000_000L;
                while (System.nanoTime() < end) {
                    boolean writing;
                    try (var s = Files.list(dir)) {
                        writing = s.anyMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp-big-spark"));
                    }
                    Optional<ProcessHandle> exec = writing ? executors().findFirst() : Optional.empty();
                    if (exec.isPresent()) {
                        Thread.sleep(3000); // its JVM has started and taken a task (every tile waits 1 s)
                        exec.get().destroyForcibly(); // SIGKILL
                        killed.set(exec.get().pid());
                        return;
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // slow tiles (fault injection through Spark's own system-property configuration)
        System.setProperty("spark.executor.extraJavaOptions",
                String.join(" ", SparkFilters.engineOptions()) + " -Dpenumbra.spark.tileDelayMs=1000");
        SparkFilters.Stats st;
        try {
            killer.start();
            st = SparkFilters.applyToFile(FilterSpec.gaussian(3.0), in, null, spark, null, Schedule.defaults(),
                    Cluster.MASTER_URL);
            killer.join();
        } finally {
            System.clearProperty("spark.executor.extraJavaOptions");
        }
        System.out.println("killed executor " + killed.get() + " mid-job; " + st.text());
        assertTrue(killed.get() != 0, "an executor should have been killed during the job");
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(spark));
        assertTrue(st.perTask().stream().noneMatch(t -> t.pid() == killed.get()),
                "the killed executor's tasks were rerun elsewhere: " + st.perTask());
    }

    /** The executor JVMs the Workers of this test's cluster started (from /proc: the command lines are long). */
    private static Stream<ProcessHandle> executors() {
        try (var pids = Files.newDirectoryStream(runDir, "worker-*.pid")) {
            List<ProcessHandle> all = new ArrayList<>();
            for (Path p : pids) {
                ProcessHandle.of(Long.parseLong(Files.readString(p).trim())).ifPresent(w -> w.descendants()
                        .filter(d -> {
                            try {
                                return new String(Files.readAllBytes(Path.of("/proc/" + d.pid() + "/cmdline")))
                                        .contains("CoarseGrainedExecutorBackend");
                            } catch (IOException e) {
                                return false;
                            }
                        }).forEach(all::add));
            }
            return all.stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }
}
