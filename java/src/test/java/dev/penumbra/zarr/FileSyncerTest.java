package dev.penumbra.zarr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thread that forces a durable Zarr output's chunk files while the run goes on. */
class FileSyncerTest {
    @TempDir
    Path dir;

    @Test
    void awaitReturnsOnceEveryFileHandedOverIsForced() throws Exception {
        try (FileSyncer s = new FileSyncer("output x.zarr")) {
            s.await(); // nothing handed over: nothing to wait for
            for (int i = 0; i < 20; i++) {
                Path f = dir.resolve("c" + i);
                Files.write(f, new byte[4096 + i]);
                s.submit(f);
            }
            s.await();
        }
    }

    @Test
    void aFileThatCannotBeForcedIsThrownByAwait() throws Exception {
        try (FileSyncer s = new FileSyncer("output x.zarr")) {
            Path ok = dir.resolve("ok");
            Files.write(ok, new byte[10]);
            s.submit(ok);
            Path missing = dir.resolve("c/0/0/0");
            s.submit(missing);
            NoSuchFileException e = assertThrows(NoSuchFileException.class, s::await);
            assertEquals(missing.toString(), e.getFile());
            assertThrows(NoSuchFileException.class, s::await, "it stays failed");
        }
    }

    @Test
    void closedItTakesNoMoreFiles() throws Exception {
        FileSyncer s = new FileSyncer("output x.zarr");
        Path f = dir.resolve("f");
        Files.write(f, new byte[10]);
        s.submit(f);
        s.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.submit(f));
        assertTrue(e.getMessage().startsWith("output x.zarr: "), e.getMessage());
    }
}
