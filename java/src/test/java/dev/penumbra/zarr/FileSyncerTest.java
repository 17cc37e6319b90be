package dev.penumbra.zarr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thread that forces a durable Zarr output's chunk files while the run goes on. */
class FileSyncerTest {
    @TempDir
    Path dir;

    private FileChannel written(String name, int bytes) throws IOException {
        FileChannel c = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        c.write(ByteBuffer.allocate(bytes));
        return c;
    }

    @Test
    void awaitReturnsOnceEveryFileHandedOverIsForcedAndClosed() throws Exception {
        List<FileChannel> all = new ArrayList<>();
        try (FileSyncer s = new FileSyncer("output x.zarr")) {
            s.await(); // nothing handed over: nothing to wait for
            for (int i = 0; i < FileSyncer.MAX_OPEN + 20; i++) { // more than it holds open at once
                FileChannel c = written("c" + i, 4096 + i);
                all.add(c);
                s.submit(c, dir.resolve("c" + i));
            }
            s.await();
        }
        assertTrue(all.stream().noneMatch(FileChannel::isOpen), "every file closed by the syncer");
    }

    @Test
    void aFileThatCannotBeForcedIsThrownByAwaitAndByTheNextSubmit() throws Exception {
        try (FileSyncer s = new FileSyncer("output x.zarr")) {
            FileChannel bad = written("bad", 10);
            bad.close(); // forcing a closed channel fails
            s.submit(bad, dir.resolve("bad"));
            assertThrows(java.nio.channels.ClosedChannelException.class, s::await);
            assertThrows(java.nio.channels.ClosedChannelException.class, s::await, "it stays failed");
            FileChannel next = written("next", 10);
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> s.submit(next, dir.resolve("next")));
            assertFalse(next.isOpen(), "a file refused is closed");
        }
    }

    @Test
    void closedItTakesNoMoreFilesAndAwaitDoesNotHang() throws Exception {
        FileSyncer s = new FileSyncer("output x.zarr");
        s.submit(written("f", 10), dir.resolve("f"));
        s.close();
        FileChannel late = written("g", 10);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.submit(late, dir.resolve("g")));
        assertEquals("output x.zarr: the output was closed", e.getMessage());
        assertFalse(late.isOpen());
        try {
            s.await(); // the file in hand was forced before the close, or let go: either way no hang
        } catch (IOException letGo) {
            assertEquals("output x.zarr: the output was closed before its files were forced", letGo.getMessage());
        }
    }
}
