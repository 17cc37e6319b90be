package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.backend.Backends;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code penumbra ab}: every backend checked against scalar, as a table, JSON lines and a PNG. */
class AbCommandTest {
    @TempDir
    Path dir;

    @Test
    void everyBackendIsCheckedAgainstScalarAndCharted() throws Exception {
        Path png = dir.resolve("ab.png");
        CliTest.Result r = CliTest.run("ab", "sobel", "--axis", "0", "--mode", "wrap", "--shape", "5,40,37",
                "--runs", "1", "--json", "--png", png.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        List<String> expected = new ArrayList<>(List.of("scalar", "simd"));
        if (Backends.nativeAvailable()) {
            expected.add("native");
        }
        if (Backends.blasAvailable()) {
            expected.add("blas");
        }
        assertEquals(expected.size(), lines.size(), r.out());
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            assertTrue(l.startsWith("{\"op\":\"sobel\",") && l.contains("\"shape\":[5,40,37]")
                    && l.contains("\"backend\":\"" + expected.get(i) + "\"") && l.contains("\"within_tolerance\":true")
                    && l.contains("\"speedup_vs_scalar\":"), l);
        }
        assertTrue(lines.get(0).contains("\"max_abs_diff\":0,") && lines.get(0).contains("\"speedup_vs_scalar\":1.000"),
                lines.get(0));
        byte[] head = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(head, 4));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(png), s.toList(), "no temporary files left");
        }
    }

    @Test
    void theTableNamesTheBackendsAndTheDefaultIsTheSeedGaussian() {
        CliTest.Result r = CliTest.run("ab", "--shape", "4,9,70", "--runs", "1", "--backend", "scalar,simd");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("gaussian sigma=[3.0]"), r.out());
        assertTrue(r.out().contains("(4,9,70)         simd "), r.out());
    }

    @Test
    void badArgumentsAreOneLineErrorsAndWriteNoChart() {
        Path png = dir.resolve("x.png");
        CliTest.Result r = CliTest.run("ab", "gaussian", "--size", "3", "--png", png.toString());
        assertEquals(2, r.code());
        assertEquals("penumbra: --size: does not apply to gaussian (it takes --order, --sigma, --truncate)",
                r.err().strip());
        r = CliTest.run("ab", "--shape", "4,9,70", "--png", dir.resolve("no/such/dir/x.png").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().strip().startsWith("penumbra: png: directory ") && r.err().strip().endsWith("does not exist"),
                r.err());
        r = CliTest.run("ab", "--backend", "simd,fast", "--shape", "4,9,70");
        assertEquals(2, r.code());
        assertEquals("penumbra: backend: unknown backend 'fast' (expected scalar, simd, native or blas)", r.err().strip());
        assertFalse(Files.exists(png));
    }

    @Test
    void compareFindsTheLargestDifferenceAndTheTolerance() {
        try (Volume a = Volume.allocate(DType.F32, 4); Volume b = Volume.allocate(DType.F32, 4)) {
            float[] x = {1f, 100f, Float.NaN, -3f};
            float[] y = {1f, 100.0005f, Float.NaN, -3f};
            for (int i = 0; i < 4; i++) {
                a.writeDouble(i * 4L, x[i]);
                b.writeDouble(i * 4L, y[i]);
            }
            double[] d = AbCommand.compare(a, b);
            assertEquals(100.0005f - 100f, d[0], 1e-9);
            assertEquals(1, d[1]); // 5e-4 <= 1e-5 * 100.0005
            b.writeDouble(0, 1.0001);
            assertEquals(0, AbCommand.compare(a, b)[1]);
            b.writeDouble(0, Double.NaN);
            assertEquals(Double.POSITIVE_INFINITY, AbCommand.compare(a, b)[0]);
        }
    }
}
