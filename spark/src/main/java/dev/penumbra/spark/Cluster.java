package dev.penumbra.spark;

import com.google.gson.JsonElement;
import dev.penumbra.PenumbraException;
import dev.penumbra.diagnostics.Json;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A Spark standalone cluster on 127.0.0.1 for trying Penumbra's Spark engine on one machine: a
 * Master on port 7077 (web UI 18080) and Workers, started as background JVMs from this process's
 * classpath, with pids and logs under a run directory. Workers build executor classpaths from
 * {@code $SPARK_HOME/jars}: {@link #start} prepares such a directory with links to the jars on the
 * classpath (and a RELEASE file, which marks a Spark distribution).
 *
 * <p>The cluster lets no one else in. The run directory is private (0700, this user's, not a
 * link); {@link #start} writes a fresh 256-bit secret into it (0600), and the Master, the Workers,
 * their executors and every job the project starts authenticate with it ({@code spark.authenticate})
 * and encrypt their RPC ({@code spark.network.crypto.enabled}). The secret reaches the daemons in
 * their environment ({@code _SPARK_AUTH_SECRET}, readable only by this user), never on a command
 * line. The web UIs listen on 127.0.0.1 only, without kill buttons; the REST submission server is
 * off. {@link #stop} signals only the processes it started: a pid file whose process is gone, is
 * another user's, started at another time or runs another program is removed, not signalled.
 */
public final class Cluster {
    public static final String MASTER_URL = "spark://127.0.0.1:7077";
    static final int UI_PORT = 18080;

    private Cluster() {
    }

    /** The default run directory: {@code <tmpdir>/penumbra-cluster-<user>}. */
    public static Path defaultRunDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "penumbra-cluster-"
                + System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_"));
    }

    /** Starts a Master and {@code workers} Workers of {@code cores} cores each; returns when all registered. */
    public static String start(Path runDir, int workers, int cores) {
        if (workers < 1 || workers > 64 || cores < 1 || cores > 1024) {
            throw new PenumbraException("cluster: expected 1 to 64 workers of 1 to 1024 cores, got " + workers
                    + " workers of " + cores);
        }
        try {
            privateRunDir(runDir);
            Files.createDirectories(runDir.resolve("logs"));
            if (ours(runDir.resolve("master.pid")).isPresent()) {
                throw new PenumbraException("cluster: already running (" + runDir + "); stop it first");
            }
            String secret = newSecret(runDir);
            Path home = sparkHome(runDir);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = System.getProperty("java.class.path");
            List<String> jvm = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", cp,
                    // the daemons log through Spark's log4j into logs/, whatever else is on the classpath
                    "-Dslf4j.provider=org.apache.logging.slf4j.SLF4JServiceProvider", "-Dslf4j.internal.verbosity=WARN"));
            jvm.addAll(SparkFilters.moduleOptions());
            // authentication and encryption on; no REST submissions; UIs without kill buttons
            jvm.addAll(List.of("-Dspark.authenticate=true", "-Dspark.network.crypto.enabled=true",
                    "-Dspark.master.rest.enabled=false", "-Dspark.ui.killEnabled=false"));
            List<String> master = new ArrayList<>(jvm);
            master.addAll(List.of(MASTER_CLASS, "--host", "127.0.0.1", "--port", "7077",
                    "--webui-port", String.valueOf(UI_PORT)));
            launch(master, runDir, "master", home, secret);
            waitFor(() -> json().map(j -> true).orElse(false), 60, "the Master did not come up (see "
                    + runDir.resolve("logs/master.log") + ")");
            for (int w = 1; w <= workers; w++) {
                List<String> worker = new ArrayList<>(jvm);
                worker.addAll(List.of(WORKER_CLASS, "--host", "127.0.0.1", "--cores",
                        String.valueOf(cores), "--memory", "1g", "--webui-port", "0", "--work-dir",
                        runDir.resolve("work-" + w).toString(), MASTER_URL));
                launch(worker, runDir, "worker-" + w, home, secret);
            }
            waitFor(() -> aliveWorkers() >= workers, 90, "the Workers did not register (see " + runDir.resolve("logs")
                    + ")");
            writeJobSettings(runDir, workers * cores);
            return "cluster: Master " + MASTER_URL + " (UI http://127.0.0.1:" + UI_PORT + "), " + workers
                    + " workers of " + cores + " core(s), authenticated with the secret in "
                    + runDir.resolve(SECRET) + "; pids and logs in " + runDir;
        } catch (IOException e) {
            throw new PenumbraException("cluster: cannot start (" + e.getMessage() + ")", e);
        }
    }

    static final String MASTER_CLASS = "org.apache.spark.deploy.master.Master";
    static final String WORKER_CLASS = "org.apache.spark.deploy.worker.Worker";
    /** The file in a run directory holding the cluster's shared secret (0600). */
    static final String SECRET = "secret";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    /**
     * Creates {@code dir} private (0700), or checks that an existing one is a real directory of this
     * user with that mode: another user's folder, a link or a folder others can enter is refused.
     */
    static void privateRunDir(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR); // whatever the umask
            return;
        }
        checkPrivate(dir, true);
    }

    /** Refuses {@code p} unless it is a real directory (file) of this user with mode 0700 (0600). */
    private static void checkPrivate(Path p, boolean dir) throws IOException {
        String what = dir ? "run dir" : "secret";
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String user = System.getProperty("user.name");
        String why = a.isSymbolicLink() ? "is a symbolic link"
                : dir && !a.isDirectory() ? "is not a directory"
                : !dir && !a.isRegularFile() ? "is not a regular file"
                : !a.owner().getName().equals(user) ? "belongs to " + a.owner().getName() + ", not " + user
                : !a.permissions().equals(dir ? OWNER_ONLY_DIR : OWNER_ONLY_FILE) ? "has mode "
                        + PosixFilePermissions.toString(a.permissions()) + ", not " + (dir ? "rwx------" : "rw-------")
                : null;
        if (why != null) {
            throw new PenumbraException("cluster: the " + what + " " + p + " " + why + ": refusing to use it ("
                    + (dir ? "remove it, or choose another --run-dir" : "remove it and start the cluster again") + ")");
        }
    }

    /** A fresh 256-bit secret from SecureRandom, written to the run dir's secret file (0600). */
    private static String newSecret(Path runDir) throws IOException {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        String secret = HexFormat.of().formatHex(b);
        Path f = runDir.resolve(SECRET);
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        Files.setPosixFilePermissions(f, OWNER_ONLY_FILE);
        Files.writeString(f, secret, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        return secret;
    }

    /** The secret of the cluster whose run dir is {@code runDir}, checked private; empty when there is none. */
    static Optional<String> secret(Path runDir) {
        Path f = runDir.resolve(SECRET);
        try {
            if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            checkPrivate(runDir, true);
            checkPrivate(f, false);
            return Optional.of(Files.readString(f, StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new PenumbraException("cluster: cannot read the secret " + f + " (" + e.getMessage() + ")", e);
        }
    }

    /** The file in a run directory with the Spark settings a job on that cluster needs. */
    static final String JOB_SETTINGS = "spark-job.properties";

    /**
     * The run directory jobs look in for their cluster's settings: {@code -Dpenumbra.cluster.dir},
     * else {@code $PENUMBRA_CLUSTER_DIR}, else {@link #defaultRunDir()}.
     */
    public static Path jobRunDir() {
        String p = System.getProperty("penumbra.cluster.dir", System.getenv("PENUMBRA_CLUSTER_DIR"));
        return p == null || p.isEmpty() ? defaultRunDir() : Path.of(p);
    }

    /**
     * The settings a job at {@code master} takes from the cluster this user started there (empty for
     * any other master): all the cluster's cores ({@code spark.cores.max}), and no task before the
     * executors holding them have registered, so a job's tasks spread over every Worker.
     */
    static Properties jobSettings(String master) {
        Properties p = new Properties();
        if (!master.equals(MASTER_URL)) {
            return p; // the run dir only ever describes the built-in cluster: others' masters never read it
        }
        Path dir = jobRunDir();
        Path f = dir.resolve(JOB_SETTINGS);
        try (Reader r = Files.newBufferedReader(f)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return new Properties();
        } catch (IOException e) {
            throw new PenumbraException("spark: cannot read the cluster's settings " + f + " (" + e.getMessage()
                    + ")", e);
        }
        if (!master.equals(p.getProperty("spark.master"))) {
            return new Properties();
        }
        p.remove("spark.master");
        Optional<String> secret = secret(dir);
        if (secret.isEmpty()) {
            throw new PenumbraException(master + " needs the cluster's secret: " + dir.resolve(SECRET)
                    + " is missing (start the cluster again with ./penumbra cluster start)");
        }
        p.setProperty("spark.authenticate", "true");
        p.setProperty("spark.authenticate.secret", secret.get());
        p.setProperty("spark.network.crypto.enabled", "true");
        return p;
    }

    private static void writeJobSettings(Path runDir, int totalCores) throws IOException {
        Properties p = new Properties();
        p.setProperty("spark.master", MASTER_URL);
        p.setProperty("spark.cores.max", String.valueOf(totalCores));
        p.setProperty("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        p.setProperty("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s");
        try (Writer w = Files.newBufferedWriter(runDir.resolve(JOB_SETTINGS))) {
            p.store(w, "written by penumbra cluster start: what a job on this cluster sets");
        }
    }

    /** What {@link #stop} did: processes signalled, and pid files it removed without signalling anyone. */
    public record Stopped(int stopped, List<String> skipped) {
        public String text(Path runDir) {
            return "cluster: stopped " + stopped + " process(es) of " + runDir + (skipped.isEmpty() ? ""
                    : "; not signalled: " + String.join("; ", skipped));
        }
    }

    /**
     * Stops the processes this run directory's pid files name — each only when it is still the
     * process that was started: this user's, started at the recorded time, running the recorded
     * Spark class — with their children (the executors); removes the pid files.
     */
    public static Stopped stop(Path runDir) {
        int stopped = 0;
        List<String> skipped = new ArrayList<>();
        try (var pids = Files.newDirectoryStream(runDir, "*.pid")) {
            List<ProcessHandle> handles = new ArrayList<>();
            for (Path p : pids) {
                Checked c = check(p);
                if (c.ours() != null) {
                    handles.add(c.ours());
                    // executors are the Workers' children: stop them with their Worker
                    c.ours().descendants().forEach(ProcessHandle::destroy);
                    c.ours().destroy();
                    stopped++;
                } else {
                    skipped.add(p.getFileName() + " (" + c.why() + ")");
                }
                Files.delete(p);
            }
            // a stopped cluster leaves no settings or secret for a job to pick up
            Files.deleteIfExists(runDir.resolve(JOB_SETTINGS));
            Files.deleteIfExists(runDir.resolve(SECRET));
            for (ProcessHandle h : handles) {
                try {
                    h.onExit().get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            }
        } catch (NoSuchFileException e) {
            return new Stopped(0, List.of());
        } catch (IOException e) {
            throw new PenumbraException("cluster: cannot stop (" + e.getMessage() + ")", e);
        }
        return new Stopped(stopped, skipped);
    }

    /** A pid file's record: pid, start time (epoch ms), the Spark class it runs. */
    private record PidRecord(long pid, long startMillis, String mainClass) {
        static Optional<PidRecord> read(Path f) {
            try {
                String[] t = Files.readString(f).trim().split("\\s+");
                return t.length == 3 ? Optional.of(new PidRecord(Long.parseLong(t[0]), Long.parseLong(t[1]), t[2]))
                        : Optional.empty();
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    /** The process a pid file names, when it is still the one started (see {@link #stop}). */
    static Optional<ProcessHandle> ours(Path pidFile) {
        return Optional.ofNullable(check(pidFile).ours());
    }

    /**
     * A pid file's process: {@code ours} the very handle that was checked (a pid looked up again
     * could be another process by then), or null with {@code why} it is not the one started.
     */
    private record Checked(ProcessHandle ours, String why) {
        static Checked not(String why) {
            return new Checked(null, why);
        }
    }

    private static Checked check(Path pidFile) {
        if (!Files.exists(pidFile)) {
            return Checked.not("no pid file");
        }
        Optional<PidRecord> rec = PidRecord.read(pidFile);
        if (rec.isEmpty()) {
            return Checked.not("not a pid file of this version");
        }
        PidRecord r = rec.get();
        Optional<ProcessHandle> h = ProcessHandle.of(r.pid());
        if (h.isEmpty() || !h.get().isAlive()) {
            return Checked.not("pid " + r.pid() + " is gone");
        }
        ProcessHandle.Info info = h.get().info();
        String user = System.getProperty("user.name");
        if (!info.user().map(user::equals).orElse(false)) {
            return Checked.not("pid " + r.pid() + " is " + info.user().orElse("another user") + "'s");
        }
        if (!info.startInstant().map(i -> i.toEpochMilli() == r.startMillis()).orElse(false)) {
            return Checked.not("pid " + r.pid() + " is another process, started at another time");
        }
        if (!arguments(r.pid()).contains(r.mainClass())) {
            return Checked.not("pid " + r.pid() + " does not run " + r.mainClass());
        }
        return new Checked(h.get(), null);
    }

    /**
     * A process's arguments: from {@code /proc/PID/cmdline} (the JDK's {@code Info.arguments()}
     * gives none for command lines as long as a Spark daemon's classpath), else the JDK's.
     */
    private static List<String> arguments(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            return List.of(new String(b, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.of(pid).flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of());
        }
    }

    /** The Workers the Master counts as alive (from its JSON page), or -1 when it does not answer. */
    public static int aliveWorkers() {
        Optional<String> j = json();
        if (j.isEmpty()) {
            return -1;
        }
        try {
            JsonElement e = Json.parse(j.get());
            return e.isJsonObject() && e.getAsJsonObject().has("aliveworkers")
                    ? e.getAsJsonObject().get("aliveworkers").getAsInt() : -1;
        } catch (RuntimeException notJson) {
            return -1;
        }
    }

    private static Optional<String> json() {
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + UI_PORT + "/json/"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** A SPARK_HOME whose jars/ links every jar on the classpath (Workers build executor classpaths from it). */
    private static Path sparkHome(Path runDir) throws IOException {
        Path home = runDir.resolve("spark-home");
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        Files.writeString(home.resolve("RELEASE"), "Spark 4.2.0 (jars linked by penumbra cluster start)\n");
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar") && Files.isRegularFile(p)) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        return home;
    }

    private static void launch(List<String> command, Path runDir, String name, Path home, String secret)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(runDir.resolve("logs").resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1"); // RPC and web UIs on loopback only
        pb.environment().put("SPARK_SCALA_VERSION", "2.13"); // else the launcher looks for build directories
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("_SPARK_AUTH_SECRET", secret); // Spark's own way: the environment, not argv
        Process p = pb.start();
        String mainClass = command.contains(MASTER_CLASS) ? MASTER_CLASS : WORKER_CLASS;
        long started = p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
        Files.writeString(runDir.resolve(name + ".pid"), p.pid() + " " + started + " " + mainClass + "\n",
                StandardCharsets.UTF_8);
    }

    private static void waitFor(BooleanSupplier ready, int seconds, String failure) {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (ready.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new PenumbraException("cluster: " + failure);
    }
}
