package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.OutputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFileTest {
    @TempDir
    Path dir;

    private long files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void commitReplacesTheTargetAtomicallyAndAbortLeavesItUntouched() throws Exception {
        Path target = dir.resolve("out.npy");
        Files.writeString(target, "previous result");
        try (OutputFile out = OutputFile.create(target, DType.F32, new long[] {2, 2})) {
            out.volume().setDouble(1.5, 1, 1);
            assertEquals("previous result", Files.readString(target));
            assertEquals(2, files(), "the temporary file sits beside the target");
            // no commit: abandoned
        }
        assertEquals("previous result", Files.readString(target));
        assertEquals(1, files(), "an abandoned output leaves nothing behind");

        try (OutputFile out = OutputFile.create(target, DType.F32, new long[] {2, 2})) {
            out.volume().setDouble(1.5, 1, 1);
            out.commit();
        }
        assertEquals(1, files());
        try (Volume v = VolumeFiles.mapNpy(target)) {
            assertArrayEquals(new long[] {2, 2}, v.shape());
            assertEquals(1.5, v.getDouble(1, 1));
        }
    }

    @Test
    void rawOutputsHaveNoHeader() throws Exception {
        Path target = dir.resolve("out.raw");
        try (OutputFile out = OutputFile.create(target, DType.F64, new long[] {3})) {
            out.volume().setDouble(2.0, 2);
            out.commit();
        }
        assertEquals(24, Files.size(target));
    }

    @Test
    void missingDirectoryIsReportedWithThePath() {
        Path target = dir.resolve("no/such/dir/out.npy");
        OutputException e = assertThrows(OutputException.class, () -> OutputFile.create(target, DType.F32,
                new long[] {2}));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
