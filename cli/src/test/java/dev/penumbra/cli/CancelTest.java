package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.TestNpy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CLI run stopped by a signal (SIGTERM, as Ctrl-C's SIGINT) mid-run: the run is interrupted, stops
 * within a batch, and removes its temporary output before the JVM exits — no output, no leftover.
 */
class CancelTest {
    @TempDir
    Path dir;

    @Test
    void aSignalMidRunLeavesNoOutputAndNoTemporaryFile() throws Exception {
        Path in = dir.resolve("in.npy");
        long[] shape = {40, 600, 800};
        TestNpy.writeF32(in, shape, i -> i % (600 * 800) % 977);
        Path out = dir.resolve("out.npy");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.penumbra.cli.Main", "gaussian", "--sigma", "6",
                "--backend", "scalar", "--threads", "1", in.toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        // wait until the run has made its temporary output, then signal
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean started = false;
        while (!started && System.nanoTime() < deadline && p.isAlive()) {
            try (Stream<Path> s = Files.list(dir)) {
                started = s.anyMatch(f -> f.getFileName().toString().startsWith(".penumbra-tmp-"));
            }
            Thread.sleep(5);
        }
        assertTrue(started && p.isAlive(), "the run should be under way: " + Files.readString(dir.resolve("log.txt")));
        Thread.sleep(200);
        assertTrue(p.isAlive(), "the run ended before the signal; make the job longer");
        p.destroy(); // SIGTERM: the shutdown hook interrupts the run
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, p.exitValue());
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("in.npy", "log.txt"), s.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }
}
