package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.penumbra.OutputException;
import dev.penumbra.TestNpy;
import dev.penumbra.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk is reported when the output is created (its blocks are reserved with fallocate), with
 * the sizes, as exit 2 — no partial output, and an existing output at the target is untouched. On a
 * real 256 KiB tmpfs through the CLI when this process may mount one (root), and always by a
 * simulated ENOSPC or EDQUOT from the reservation the library's {@code OutputFile} makes.
 */
class DiskFullTest {
    @TempDir
    Path dir;

    private static String[] run(Path in, Path out) {
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"gaussian", "--sigma", "1", in.toString(), out.toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        return new String[] {String.valueOf(code), err.toString().strip()};
    }

    private Path input() throws Exception {
        return TestNpy.writeF32(dir.resolve("in.npy"), new long[] {10, 100, 100}, i -> 0);
    }

    private static void assertRefusedAndUntouched(String[] r, Path outDir, byte[] before) throws Exception {
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].matches("penumbra: .*out\\.npy: not enough space for the output: it needs 400128 bytes, .*"
                + " has .* free( under your quota)?"), r[1]);
        try (Stream<Path> s = Files.list(outDir)) {
            assertEquals(List.of("out.npy"), s.map(p -> p.getFileName().toString()).toList(), "no temporary file");
        }
        assertArrayEquals(before, Files.readAllBytes(outDir.resolve("out.npy")), "the existing output is untouched");
    }

    @Test
    void aSimulatedFullDiskIsReportedAtOnce() throws Exception {
        Path outDir = Files.createDirectory(dir.resolve("o"));
        byte[] before = "an older result".getBytes();
        Files.write(outDir.resolve("out.npy"), before);
        for (int err : new int[] {Reserve.ENOSPC, Reserve.EDQUOT}) {
            OutputException e = Assertions.assertThrows(
                    OutputException.class, () -> OutputFile.create(outDir.resolve("out.npy"), DType.F32,
                            new long[] {10, 100, 100}, (file, length) -> err));
            String[] r = {"2", "penumbra: " + e.getMessage()};
            assertRefusedAndUntouched(r, outDir, before);
            assertEquals(err == Reserve.EDQUOT, e.getMessage().endsWith(" free under your quota"), e.getMessage());
        }
    }

    @Test
    void aRealFullFilesystemIsReportedAtOnce() throws Exception {
        Path in = input();
        Path mnt = Files.createDirectory(dir.resolve("tiny"));
        int mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start().waitFor();
        assumeTrue(mounted == 0, "cannot mount a small tmpfs here (needs root): the simulated test covers the call");
        try {
            byte[] before = "an older result".getBytes();
            Files.write(mnt.resolve("out.npy"), before);
            assertRefusedAndUntouched(run(in, mnt.resolve("out.npy")), mnt, before);
        } finally {
            new ProcessBuilder("umount", mnt.toString()).start().waitFor();
        }
    }
}
