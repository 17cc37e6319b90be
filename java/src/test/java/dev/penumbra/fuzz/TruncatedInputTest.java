package dev.penumbra.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.BadVolumeException;
import dev.penumbra.Filters;
import dev.penumbra.TestNpy;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Monitor;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The input file truncated by "another process" while a run reads it through its mapping: every
 * backend and path (streamed float, tiled float, double) must end in a clear error — not a SIGBUS
 * that takes the JVM down — and leave no output. The truncation happens from the progress
 * listener, a fifth of the way through, so the rest of the run reads pages that no longer exist.
 */
class TruncatedInputTest {
    @TempDir
    Path dir;

    private Path input(long z, long y, long x) throws Exception {
        // every z-slab the same: (i % 1013) / 1013 along its y * x elements
        return TestNpy.writeF32(dir.resolve("in.npy"), new long[] {z, y, x},
                i -> (i % (y * x) % 1013) / 1013f);
    }

    @Test
    void truncatingTheInputMidRunIsAClearErrorForEveryBackendAndPath() throws Exception {
        List<Backends.Kind> kinds = Backends.available();
        int runs = 0;
        for (Backends.Kind kind : kinds) {
            List<Schedule> ways = new ArrayList<>();
            Schedule base = Schedule.defaults().withBackend(kind).withThreads(2);
            ways.add(base); // streamed (float kernels) or tiles (scalar)
            ways.add(base.withChunks(8, 64, 300)); // tiles
            ways.add(base.withArithmetic(Schedule.Arithmetic.FLOAT64)); // the double path
            for (Schedule way : ways) {
                Path in = input(24, 400, 300);
                Path out = dir.resolve("out.npy");
                long cut = Files.size(in) / 10;
                Monitor m = new Monitor((done, total) -> {
                    if (done >= total / 5) {
                        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.WRITE)) {
                            if (ch.size() > cut) {
                                ch.truncate(cut);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
                BadVolumeException e = assertThrows(BadVolumeException.class, () -> Filters.applyToFile(
                        FilterSpec.gaussian(2.0), in, null, out, null, way.withMonitor(m)), kind + " " + way);
                assertTrue(e.getMessage().contains("changed or shrank while being read"), e.getMessage());
                assertTrue(m.done() < m.total(), "stopped early: " + kind + " " + way);
                assertFalse(Files.exists(out));
                try (Stream<Path> s = Files.list(dir)) {
                    assertEquals(List.of("in.npy"), s.map(p -> p.getFileName().toString()).toList(), kind + " " + way);
                }
                Files.delete(in);
                runs++;
            }
        }
        System.out.println("truncated input: " + runs + " runs cut mid-way, " + runs + " clear errors, 0 crashes");
    }
}
