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
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
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
    void theRunDirIsPrivateAndTheSecretIsOnNoCommandLine() throws Exception {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.readAttributes(runDir,
                PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).permissions()));
        Path secretFile = runDir.resolve(Cluster.SECRET);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)));
        String secret = Files.readString(secretFile).trim();
        assertTrue(secret.matches("[0-9a-f]{64}"), "256 bits in hex");
        // the daemons and their executors get it in their environment, never in argv (which any user reads)
        Path in = input(10, 40, 40);
        SparkFilters.applyToFile(FilterSpec.gaussian(1.0), in, null, dir.resolve("cmdline.npy"), null,
                Schedule.defaults(), Cluster.MASTER_URL);
        int seen = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                byte[] cmd;
                try {
                    cmd = Files.readAllBytes(p.resolve("cmdline"));
                } catch (IOException gone) {
                    continue;
                }
                String c = new String(cmd, java.nio.charset.StandardCharsets.UTF_8);
                seen += c.contains(Cluster.MASTER_CLASS) || c.contains(Cluster.WORKER_CLASS) ? 1 : 0;
                assertFalse(c.contains(secret), "the secret is on the command line of " + p);
            }
        }
        assertTrue(seen >= 3, "the Master and both Workers were looked at: " + seen);
        // the Master's web UI listens on loopback only, and no REST submission server (6066) listens
        String tcp = Files.readString(Path.of("/proc/net/tcp")) + Files.readString(Path.of("/proc/net/tcp6"));
        boolean ui = false;
        for (String line : tcp.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3 && f[3].equals("0A") && f[1].contains(":")) {
                String[] addr = f[1].split(":");
                int port = Integer.parseInt(addr[1], 16);
                assertTrue(port != 6066, "a REST submission server listens");
                if (port == Cluster.UI_PORT) {
                    ui = true;
                    assertTrue(addr[0].equals("0100007F") || addr[0].equals("0000000000000000FFFF00000100007F"),
                            "the Master UI listens on " + addr[0] + ", not loopback");
                }
            }
        }
        assertTrue(ui, "the Master UI listens");
    }

    @Test
    void anApplicationWithoutTheSecretRunsNoCode() throws Exception {
        Path marker = dir.resolve("intruder-ran");
        String markerPath = marker.toString();
        SparkConf conf = new SparkConf().setMaster(Cluster.MASTER_URL).setAppName("intruder")
                .set("spark.ui.enabled", "false").set("spark.executor.memory", "512m")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", String.join(" ", SparkFilters.engineOptions()));
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException refused) {
            assertFalse(Files.exists(marker));
            return; // refused outright: no code ran
        }
        try {
            JavaFutureAction<Long> job = sc.parallelize(List.of(1, 2, 3, 4), 2).map(x -> {
                Files.writeString(Path.of(markerPath), "INTRUDER-RAN");
                return x;
            }).countAsync();
            // still waiting for an executor after 20 s, or given up by Spark (the Master refused it)
            Exception e = assertThrows(Exception.class, () -> job.get(20, TimeUnit.SECONDS), "the intruder's job ran");
            assertTrue(e instanceof java.util.concurrent.TimeoutException || String.valueOf(e.getCause())
                    .contains("SparkContext was shut down"), e.toString());
            assertTrue(sc.statusTracker().getExecutorInfos().length <= 1, "the intruder got an executor");
            job.cancel(true);
        } finally {
            sc.close();
        }
        // Spark stops a refused context on its own thread: wait until it is gone before the next one
        for (int i = 0; i < 300 && org.apache.spark.SparkContext$.MODULE$.getActive().isDefined(); i++) {
            Thread.sleep(100);
        }
        assertFalse(Files.exists(marker), "code of the intruder ran on the cluster");
        // and the project's own job still runs there
        Path in = input(10, 40, 40);
        SparkFilters.applyToFile(FilterSpec.gaussian(1.0), in, null, dir.resolve("after-intruder.npy"), null,
                Schedule.defaults(), Cluster.MASTER_URL);
    }

    @Test
    void aJobThatCannotFindTheSecretSaysSo() throws Exception {
        Path empty = dir.resolve("no-cluster-here");
        Cluster.privateRunDir(empty);
        String before = System.getProperty("penumbra.cluster.dir");
        System.setProperty("penumbra.cluster.dir", empty.toString());
        try {
            Path out = dir.resolve("never-secret.npy");
            PenumbraException e = assertThrows(PenumbraException.class, () -> SparkFilters.applyToFile(
                    FilterSpec.gaussian(1.0), input(10, 20, 20), null, out, null, Schedule.defaults(),
                    Cluster.MASTER_URL));
            assertTrue(e.getMessage().startsWith("spark://127.0.0.1:7077 needs the cluster's secret: there is none in "
                    + empty), e.getMessage());
            assertFalse(Files.exists(out));
        } finally {
            System.setProperty("penumbra.cluster.dir", before);
        }
    }

    @Test
    void runDirsOthersCouldUseAreRefused() throws Exception {
        Path open = dir.resolve("open");
        Files.createDirectory(open);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        PenumbraException e = assertThrows(PenumbraException.class, () -> Cluster.start(open, 1, 1));
        assertEquals("cluster: the run dir " + open + " has mode rwxr-xr-x, not rwx------: refusing to use it"
                + " (remove it, or choose another --run-dir)", e.getMessage());
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, runDir);
        e = assertThrows(PenumbraException.class, () -> Cluster.start(link, 1, 1));
        assertTrue(e.getMessage().startsWith("cluster: the run dir " + link + " is a symbolic link: refusing"),
                e.getMessage());
        if (System.getProperty("user.name").equals("root")) {
            Path theirs = dir.resolve("theirs");
            Cluster.privateRunDir(theirs);
            Files.setOwner(theirs, theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            e = assertThrows(PenumbraException.class, () -> Cluster.start(theirs, 1, 1));
            assertTrue(e.getMessage().contains(" belongs to nobody, not root: refusing"), e.getMessage());
        }
        // a secret others can read is not used
        Path leaky = dir.resolve("leaky");
        Cluster.privateRunDir(leaky);
        Files.writeString(leaky.resolve(Cluster.SECRET), "0".repeat(64));
        Files.setPosixFilePermissions(leaky.resolve(Cluster.SECRET), PosixFilePermissions.fromString("rw-r--r--"));
        e = assertThrows(PenumbraException.class, () -> Cluster.secret(leaky));
        assertTrue(e.getMessage().contains("secret " + leaky.resolve(Cluster.SECRET) + " has mode rw-r--r--"),
                e.getMessage());
    }

    @Test
    void aStalePidFileNamingAnotherProcessIsNotSignalled() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "120").start();
        try {
            Path stale = dir.resolve("stale");
            Cluster.privateRunDir(stale);
            long started = sleeper.info().startInstant().orElseThrow().toEpochMilli();
            // its pid and start time, but not the Master; its pid at another start time
            Files.writeString(stale.resolve("master.pid"), sleeper.pid() + " " + started + " " + Cluster.MASTER_CLASS);
            Files.writeString(stale.resolve("worker-1.pid"), sleeper.pid() + " " + (started - 5000) + " "
                    + Cluster.WORKER_CLASS);
            Cluster.Stopped st = Cluster.stop(stale);
            assertEquals(0, st.stopped());
            assertTrue(sleeper.isAlive(), "a process the cluster did not start was signalled");
            String text = st.text(stale);
            assertTrue(text.contains("master.pid (pid " + sleeper.pid() + " does not run " + Cluster.MASTER_CLASS + ")")
                    && text.contains("worker-1.pid (pid " + sleeper.pid() + " is another process, started at another"
                    + " time)"), text);
            try (Stream<Path> left = Files.list(stale)) {
                assertTrue(left.noneMatch(p -> p.toString().endsWith(".pid")), "stale pid files are removed");
            }
        } finally {
            sleeper.destroy();
        }
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
                ProcessHandle.of(Long.parseLong(Files.readString(p).trim().split(" ")[0])).ifPresent(w -> w.descendants()
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
