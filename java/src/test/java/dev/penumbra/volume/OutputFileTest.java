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

    /** A process writing output after output keeps no name of a temporary file it no longer has. */
    @Test
    void temporaryNamesAreForgottenOnceTheirFilesAreGone() throws Exception {
        Path target = dir.resolve("out.npy");
        Path[] temps = new Path[3];
        for (int i = 0; i < 3; i++) {
            try (OutputFile out = OutputFile.create(target, DType.F32, new long[] {2, 2})) {
                temps[i] = out.temp();
                assertTrue(OutputFile.holdsTempName(temps[i]), "held while the file is there");
                if (i < 2) {
                    out.commit(); // the first a rename, the second an exchange with the first's output
                }
            }
        }
        for (Path t : temps) {
            assertTrue(!OutputFile.holdsTempName(t), t + " forgotten");
            assertTrue(!Files.exists(t), t + " gone (the replaced output, small, deleted at once)");
        }
        assertTrue(Files.isRegularFile(target));
    }

    /** A big replaced output being deleted in the background is not a leftover to delete on this thread. */
    @Test
    void aReplacedOutputLeftToTheBackgroundIsNotALeftover() throws Exception {
        Path target = dir.resolve("big.npy");
        long[] shape = {OutputFile.DISCARD_ASIDE_BYTES / 4 + 1024};
        String was = System.getProperty("penumbra.deleteAfterExit");
        // as the CLI runs: the background delete waits for this process, up to about a second
        System.setProperty("penumbra.deleteAfterExit", "true");
        try {
            for (int i = 0; i < 2; i++) {
                try (OutputFile out = OutputFile.create(target, DType.F32, shape)) {
                    out.volume().setDouble(i, 7);
                    out.commit(false);
                }
            }
        } finally {
            if (was == null) {
                System.clearProperty("penumbra.deleteAfterExit");
            } else {
                System.setProperty("penumbra.deleteAfterExit", was);
            }
        }
        // the first output now sits under the second's temporary name until the background delete ends
        assertEquals(2, files(), "the replaced output waits for its delete");
        assertEquals(0, OutputFile.cleanLeftovers(dir));
        assertEquals(2, files(), "not deleted as a leftover");
        try (var m = Files.newInputStream(target)) {
            assertTrue(m.readAllBytes().length > OutputFile.DISCARD_ASIDE_BYTES);
        }
        for (int wait = 0; wait < 400 && files() > 1; wait++) {
            Thread.sleep(25);
        }
        assertEquals(1, files(), "the background delete ends");
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

    /**
     * A big existing output is swapped out in the atomic step and deleted by a process of its own:
     * the target is the new output at once, the old file is gone soon after, and nothing else is
     * left; the old file's contents are never visible under the target's name again.
     */
    @Test
    void aBigReplacedOutputIsSwappedOutAndDeletedAside() throws Exception {
        Path target = dir.resolve("big.raw");
        long n = OutputFile.DISCARD_ASIDE_BYTES / 4 + 1000;
        byte[] old = new byte[(int) (n * 4)];
        java.util.Arrays.fill(old, (byte) 7);
        Files.write(target, old);
        try (OutputFile out = OutputFile.create(target, DType.F32, new long[] {n})) {
            out.volume().setDouble(2.5, n - 1);
            out.commit(false);
        }
        assertEquals(n * 4, Files.size(target));
        try (Volume v = VolumeFiles.mapRaw(target, new RawLayout(DType.F32, java.nio.ByteOrder.LITTLE_ENDIAN, new long[] {n}, 0))) {
            assertEquals(2.5, v.getDouble(n - 1));
            assertEquals(0.0, v.getDouble(0));
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (files() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, files(), "the replaced output is deleted, nothing else left");
    }

    /**
     * Leftovers of dead processes are removed, those of live ones kept — and a leftover with this
     * process's own pid that this process did not name is a dead process's too (pids repeat: a fresh
     * container runs each command as the same pid), while a name this process made is kept.
     */
    @Test
    void leftoversOfDeadProcessesAreRemovedEvenUnderThisProcesssPid() throws Exception {
        long me = ProcessHandle.current().pid();
        Process live = new ProcessBuilder("sleep", "30").start();
        try {
            Path stale = Files.writeString(dir.resolve(OutputFile.TEMP_PREFIX + "a.npy-" + me + "-5eed"), "x");
            Path own = Files.writeString(dir.resolve(OutputFile.tempName("b.npy")), "x");
            Path alive = Files.writeString(dir.resolve(OutputFile.TEMP_PREFIX + "c.npy-" + live.pid() + "-5eed"), "x");
            Path dead = Files.writeString(dir.resolve(OutputFile.TEMP_PREFIX + "d.npy-" + Integer.MAX_VALUE + "-5eed"), "x");
            Path other = Files.writeString(dir.resolve(OutputFile.TEMP_PREFIX + "unparsed"), "x");
            assertEquals(2, OutputFile.cleanLeftovers(dir));
            assertTrue(!Files.exists(stale) && !Files.exists(dead), "dead processes' leftovers removed");
            assertTrue(Files.exists(own) && Files.exists(alive) && Files.exists(other), "own, live and unparsed kept");
        } finally {
            live.destroyForcibly();
        }
    }

    /** renameat2's exchange swaps two names in one step here (ext4, tmpfs, xfs, btrfs have it). */
    @Test
    void exchangeSwapsTwoNames() throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "first");
        Path b = Files.writeString(dir.resolve("b"), "second");
        assertTrue(Libc.exchange(a, b), "renameat2(RENAME_EXCHANGE) in " + dir);
        assertEquals("second", Files.readString(a));
        assertEquals("first", Files.readString(b));
        assertTrue(!Libc.exchange(a, dir.resolve("missing")), "an exchange needs both names");
        assertEquals("second", Files.readString(a));
    }

    /** A symbolic link at the target is replaced by the output (as a rename does), its file untouched. */
    @Test
    void aLinkAtTheTargetIsReplacedNotFollowed() throws Exception {
        Path elsewhere = dir.resolve("elsewhere.raw");
        Files.writeString(elsewhere, "not ours");
        Path target = dir.resolve("link.raw");
        Files.createSymbolicLink(target, elsewhere);
        try (OutputFile out = OutputFile.create(target, DType.F64, new long[] {1})) {
            out.volume().setDouble(4.0, 0);
            out.commit();
        }
        assertTrue(!Files.isSymbolicLink(target) && Files.size(target) == 8);
        assertEquals("not ours", Files.readString(elsewhere));
        assertEquals(2, files());
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
