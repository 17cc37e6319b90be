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
            Files.createDirectories(runDir.resolve("logs"));
            if (Files.exists(runDir.resolve("master.pid")) && alive(runDir.resolve("master.pid"))) {
                throw new PenumbraException("cluster: already running (" + runDir + "); stop it first");
            }
            Path home = sparkHome(runDir);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = System.getProperty("java.class.path");
            List<String> jvm = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", cp));
            jvm.addAll(SparkFilters.moduleOptions());
            List<String> master = new ArrayList<>(jvm);
            master.addAll(List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "7077",
                    "--webui-port", String.valueOf(UI_PORT)));
            launch(master, runDir, "master", home);
            waitFor(() -> json().map(j -> true).orElse(false), 60, "the Master did not come up (see "
                    + runDir.resolve("logs/master.log") + ")");
            for (int w = 1; w <= workers; w++) {
                List<String> worker = new ArrayList<>(jvm);
                worker.addAll(List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
                        String.valueOf(cores), "--memory", "1g", "--webui-port", "0", "--work-dir",
                        runDir.resolve("work-" + w).toString(), MASTER_URL));
                launch(worker, runDir, "worker-" + w, home);
            }
            waitFor(() -> aliveWorkers() >= workers, 90, "the Workers did not register (see " + runDir.resolve("logs")
                    + ")");
            writeJobSettings(runDir, workers * cores);
            return "cluster: Master " + MASTER_URL + " (UI http://127.0.0.1:" + UI_PORT + "), " + workers
                    + " workers of " + cores + " core(s); pids and logs in " + runDir;
        } catch (IOException e) {
            throw new PenumbraException("cluster: cannot start (" + e.getMessage() + ")", e);
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
        Path f = jobRunDir().resolve(JOB_SETTINGS);
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

    /** Stops every process whose pid file is in the run directory; returns how many were running. */
    public static int stop(Path runDir) {
        int stopped = 0;
        try (var pids = Files.newDirectoryStream(runDir, "*.pid")) {
            List<ProcessHandle> handles = new ArrayList<>();
            for (Path p : pids) {
                Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(Files.readString(p).trim()));
                if (h.isPresent() && h.get().isAlive()) {
                    handles.add(h.get());
                    // executors are the Workers' children: stop them with their Worker
                    h.get().descendants().forEach(ProcessHandle::destroy);
                    h.get().destroy();
                    stopped++;
                }
                Files.delete(p);
            }
            for (ProcessHandle h : handles) {
                try {
                    h.onExit().get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            throw new PenumbraException("cluster: cannot stop (" + e.getMessage() + ")", e);
        }
        return stopped;
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

    private static void launch(List<String> command, Path runDir, String name, Path home) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(runDir.resolve("logs").resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13"); // else the launcher looks for build directories
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        Files.writeString(runDir.resolve(name + ".pid"), p.pid() + "\n", StandardCharsets.UTF_8);
    }

    private static boolean alive(Path pidFile) throws IOException {
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
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
