package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MadviseTest {
    @TempDir
    Path dir;

    @Test
    void advisesMappedFilesAndLeavesTheirContentAlone() throws Exception {
        assertTrue(Madvise.available(), "madvise should be reachable through the FFM linker on Linux");
        Path f = dir.resolve("m.raw");
        byte[] data = new byte[3 * 4096 + 100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 10, data.length - 10, arena);
            for (Madvise.Advice a : Madvise.Advice.values()) {
                assertTrue(Madvise.advise(seg, 5, 5000, a), a.name());
            }
            // dont-need on a clean file mapping drops pages, not data: they fault back in
            assertEquals(data[10 + 4200], seg.get(ValueLayout.JAVA_BYTE, 4200));
            assertFalse(Madvise.advise(seg, 0, seg.byteSize() + 1, Madvise.Advice.WILLNEED), "past the end");
        }
        try (Arena arena = Arena.ofConfined()) {
            assertFalse(Madvise.advise(arena.allocate(8192), 0, 8192, Madvise.Advice.DONTNEED),
                    "anonymous memory is not advised: DONTNEED would zero it");
        }
    }
}
