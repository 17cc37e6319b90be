package dev.penumbra.volume;

import dev.penumbra.OutputException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * An output volume written the safe way: created at full size under a temporary name in the
 * target's directory, mapped and filled (or written through {@link #writeOnlySink()}), forced to
 * disk, and atomically renamed over the target by {@link #commit()} (an existing target is swapped
 * out in the same atomic step and deleted after). Closing it without a commit deletes the
 * temporary file, so a failed run never leaves a partial output and never touches an existing one.
 *
 * <p>Files named {@code *.npy} get a {@code .npy} header; any other name is written raw (C order,
 * little-endian).
 */
public final class OutputFile implements AutoCloseable {
    /** Prefix of temporary files, so that leftovers of a killed run are recognisable. */
    public static final String TEMP_PREFIX = ".penumbra-tmp-";

    private final Path target;
    private final Path temp;
    private final Volume volume;
    private final WriteBehind writeBehind;
    private final byte[] header;
    private StagedSink staged;
    private boolean committed;

    /** Outputs this big are staged ({@link #writeOnlySink}). */
    static final long STAGED_MIN_BYTES = 16L << 20;

    private OutputFile(Path target, Path temp, Volume volume, WriteBehind writeBehind, byte[] header) {
        this.target = target;
        this.temp = temp;
        this.volume = volume;
        this.writeBehind = writeBehind;
        this.header = header;
    }

    /** Creates the temporary file for {@code target} with room for {@code shape} of {@code dtype}. */
    public static OutputFile create(Path target, DType dtype, long[] shape) {
        return create(target, dtype, shape, Reserve::reserve);
    }

    /** How an output's blocks are reserved: 0, an error number, or -1 when the call is unavailable. */
    @FunctionalInterface
    interface Reserver {
        int reserve(Path file, long length);
    }

    /** {@link #create(Path, DType, long[])} with the reservation given (tests simulate a full disk). */
    static OutputFile create(Path target, DType dtype, long[] shape, Reserver reserver) {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        checkDirectory(target, dir);
        if (Files.isDirectory(abs)) {
            throw new OutputException(target + ": is a directory, expected a file name for the output");
        }
        boolean npy = VolumeFiles.isNpy(abs);
        byte[] header = npy ? Npy.header(dtype, shape) : new byte[0];
        long data = Math.multiplyExact(Shapes.elementCount(shape, "output shape"), (long) dtype.size());
        cleanLeftovers(dir);
        Path temp = dir.resolve(tempName(abs.getFileName().toString()));
        Arena arena = Arena.ofShared();
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(header));
                long total = header.length + data;
                if (total > header.length) {
                    // reserve every block now: a full disk or quota shows up here, not as a fault on a
                    // write into a sparse mapping halfway through the run
                    int err = reserver.reserve(temp, total);
                    if (err == Reserve.ENOSPC || err == Reserve.EDQUOT) {
                        long free = usable(dir);
                        throw new OutputException(target + ": not enough space for the output: it needs " + total
                                + " bytes, " + dir + " has " + (free < 0 ? "less" : free + " bytes") + " free"
                                + (err == Reserve.EDQUOT ? " under your quota" : ""));
                    }
                    // (where fallocate is unavailable, the length alone; a full disk then faults on write)
                    ch.write(ByteBuffer.wrap(new byte[1]), total - 1);
                }
                MemorySegment seg = data == 0 ? arena.allocate(1)
                        : ch.map(FileChannel.MapMode.READ_WRITE, header.length, data, arena);
                Volume v = Volume.owned(seg, dtype, ByteOrder.LITTLE_ENDIAN, shape, Shapes.cStrides(shape), arena);
                WriteBehind wb = data == 0 ? null : WriteBehind.of(temp, header.length);
                v.writeBehind(wb);
                return new OutputFile(target, temp, v, wb, header);
            }
        } catch (OutputException e) {
            arena.close();
            deleteQuietly(temp);
            forget(temp);
            throw e;
        } catch (IOException | RuntimeException e) {
            arena.close();
            deleteQuietly(temp);
            forget(temp);
            throw new OutputException(target + ": cannot create output of " + (header.length + data) + " bytes ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * A temporary name for {@code target} in its directory: the prefix, the target's name, this
     * process's id and a random part, so that a later run can tell a leftover of a killed process.
     */
    public static String tempName(String target) {
        String name = TEMP_PREFIX + target + "-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        OWN_TEMP_NAMES.add(name);
        return name;
    }

    /** The temporary names this process made: a file with this process's pid and another name is a dead process's. */
    private static final java.util.Set<String> OWN_TEMP_NAMES = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Replaced outputs this process left to a background delete ({@link #discard}), by absolute path:
     * not leftovers while they are there; dropped once gone.
     */
    private static final java.util.Set<Path> DISCARDING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Deletes temporary outputs in {@code dir} left by processes that no longer run (killed with
     * SIGKILL, or a crash): files named {@code .penumbra-tmp-<name>-<pid>-<random>} whose process is
     * gone, or whose pid is this process's but which this process did not name (pids repeat, e.g. in
     * a fresh container each time). Files of live processes, and names that do not parse, are left alone.
     */
    public static int cleanLeftovers(Path dir) {
        int removed = 0;
        DISCARDING.removeIf(p -> !Files.exists(p, LinkOption.NOFOLLOW_LINKS));
        try (var files = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path f : files) {
                String[] parts = f.getFileName().toString().split("-");
                if (parts.length < 3) {
                    continue;
                }
                try {
                    long pid = Long.parseLong(parts[parts.length - 2]);
                    boolean dead = pid == ProcessHandle.current().pid()
                            ? !OWN_TEMP_NAMES.contains(f.getFileName().toString())
                                    && !DISCARDING.contains(f.toAbsolutePath().normalize())
                            : ProcessHandle.of(pid).isEmpty();
                    if (dead && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(f);
                        removed++;
                    }
                } catch (NumberFormatException | IOException e) {
                    // not ours, or already gone
                }
            }
        } catch (IOException | RuntimeException e) {
            // cleaning is best effort
        }
        return removed;
    }

    private static long usable(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Fails early, with the reason, when the output cannot go to {@code dir}. */
    public static void checkDirectory(Path target, Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new OutputException(target + ": output directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new OutputException(target + ": output directory " + dir + " is not writable");
        }
    }

    /** The mapped output, C-ordered little-endian, to be filled before {@link #commit()}. */
    public Volume volume() {
        return volume;
    }

    /**
     * Where a run that writes each output element once and never reads the output back should
     * write: for outputs of {@link #STAGED_MIN_BYTES} or more, a sink that stages parts of the file
     * and writes each with one positional write once it is complete, while the run goes on, starting
     * the disk on each complete block ({@link StagedSink}): the run does not fault the mapping in
     * page by page, and the final force waits only for the tail. Elsewhere (small outputs,
     * {@code -Dpenumbra.stagedOutput=false}) the mapped {@link #volume()}. Ask once, before the run.
     */
    public Sink writeOnlySink() {
        return writeOnlySink(false);
    }

    /**
     * {@link #writeOnlySink()} for an output to be committed {@code durable} ({@link #commit(boolean)}):
     * what is written is then also forced to the disk while the run goes on, so that the commit waits
     * only for the tail ({@code -Dpenumbra.syncAhead=false}: all at the commit).
     */
    public Sink writeOnlySink(boolean durable) {
        return "false".equals(System.getProperty("penumbra.stagedOutput")) ? volume
                : writeOnlySink(STAGED_MIN_BYTES, StagedSink.maxLive(volume.shape()), durable
                        && !"false".equals(System.getProperty("penumbra.syncAhead")) ? StagedSink.SYNC_STEP : 0);
    }

    /** {@link #writeOnlySink()} from {@code minBytes} up, with at most {@code maxLive} segments staged (tests). */
    Sink writeOnlySink(long minBytes, int maxLive) {
        return writeOnlySink(minBytes, maxLive, 0);
    }

    /** {@link #writeOnlySink(long, int)}, forced each {@code syncStep} bytes as it is written when > 0 (tests). */
    Sink writeOnlySink(long minBytes, int maxLive, long syncStep) {
        if (staged == null && volume.byteSize() >= minBytes) {
            staged = StagedSink.open(temp, target, volume.dtype(), volume.shape(), header, maxLive, syncStep);
        }
        return staged != null ? staged : volume;
    }

    /** Bytes {@link #writeOnlySink()}'s staged sink wrote from whole segments, and row by row; null without one. */
    public long[] stagedWrites() {
        return staged == null ? null : staged.written();
    }

    /** Where the output appears on {@link #commit()}. */
    public Path target() {
        return target;
    }

    /** The temporary file being filled (renamed over the target by {@link #commit()}). */
    public Path temp() {
        return temp;
    }

    /** Bytes before the data in the file (the .npy header; 0 for raw outputs). */
    public long dataOffset() {
        try {
            return Files.size(temp) - volume.byteSize();
        } catch (IOException e) {
            throw new OutputException(target + ": cannot read the temporary output (" + e.getMessage() + ")", e);
        }
    }

    private void closeWriteBehind() {
        if (writeBehind != null) {
            writeBehind.close();
        }
    }

    /** Forces the data to disk, unmaps it and renames the file over the target atomically. */
    public void commit() {
        commit(true);
    }

    /**
     * As {@link #commit()}; the data is forced to disk first only when {@code durable} (a scratch
     * output that may be lost in a crash need not wait for the disk).
     */
    public void commit(boolean durable) {
        try {
            closeWriteBehind();
            if (staged != null) {
                staged.finish(durable);
                staged.close();
            } else if (durable && volume.segment().isMapped()) {
                volume.segment().force();
            }
            volume.close();
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && swapIn(temp, target)) {
                committed = true;
                forget(temp); // the name now holds the old output: deleted, or being deleted (DISCARDING)
                return;
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
            forget(temp);
        } catch (IOException | RuntimeException e) {
            throw new OutputException(target + ": cannot finish the output (" + e.getMessage() + ")", e);
        }
    }

    /** Replaced outputs this big are deleted by a process of their own ({@link #discard}). */
    static final long DISCARD_ASIDE_BYTES = 16L << 20;

    /**
     * Puts the finished output {@code finished} (a file, or a folder such as a Zarr array) in place
     * of the existing {@code target} in one atomic step ({@code renameat2} with
     * {@code RENAME_EXCHANGE}): a reader sees the old output or the new one, never neither. The old
     * one, now under {@code finished}'s temporary name, is then deleted ({@link #discard}). False
     * when this system cannot exchange names: nothing changed, and the caller renames instead.
     */
    public static boolean swapIn(Path finished, Path target) {
        if (!Libc.exchange(finished, target)) {
            return false;
        }
        discard(finished);
        return true;
    }

    /**
     * Deletes the replaced output {@code old}, off this process's path when it is big: freeing a
     * file's blocks takes time in the kernel (a 244 MB file on ext4 mounted with {@code discard}:
     * 110-350 ms, which a rename over the old output spent before the command could end), so an
     * {@code rm} left running by a shell that ends at once does it while the command returns (with
     * {@code -Dpenumbra.deleteAfterExit=true}, as the launcher runs commands: once this process has
     * exited, or after about a second; the exit of a process that had just written the new output
     * waited for the unlink otherwise, ~0.15 s, traced). Small
     * outputs, or no shell: deleted here. Should neither happen (the process killed), a file keeps a
     * temporary name of this process, which the next run in the directory removes
     * ({@link #cleanLeftovers}).
     */
    static void discard(Path old) {
        try {
            if (bytesIn(old) >= DISCARD_ASIDE_BYTES) {
                // through a shell that leaves it running and ends: the JVM's exit waited for a child
                // of its own (0.3 s, as long as the unlink). A command about to end (the launcher sets
                // penumbra.deleteAfterExit) has it wait until the process is gone, for about a second
                // at most: the command's own exit had waited for the unlink (seed, 16 alternating
                // runs, medians: 1.01 -> 0.895 s). Not in a long-lived JVM (a library, Python), where
                // it would only keep the old file longer.
                DISCARDING.add(old.toAbsolutePath().normalize());
                String script = (Boolean.getBoolean("penumbra.deleteAfterExit")
                        ? "(i=0; while [ $i -lt 40 ] && kill -0 \"$2\" 2>/dev/null; do sleep 0.025; i=$((i+1));"
                                + " done; rm -rf -- \"$1\")"
                        : "rm -rf -- \"$1\"") + " </dev/null >/dev/null 2>&1 &";
                new ProcessBuilder("/bin/sh", "-c", script, "sh",
                        old.toAbsolutePath().toString(), Long.toString(ProcessHandle.current().pid()))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                return;
            }
        } catch (IOException | RuntimeException e) {
            // delete it here
        }
        try {
            deleteTree(old);
        } catch (RuntimeException ignored) {
            // nothing more can be done; the name says what it is
        }
    }

    /** Bytes of a file, or of the files under a folder (links not followed). */
    private static long bytesIn(Path p) throws IOException {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return Files.size(p);
        }
        try (Stream<Path> s = Files.walk(p)) {
            long sum = 0;
            for (Path f : s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
                sum += Files.size(f);
            }
            return sum;
        }
    }

    /** Deletes {@code root} and, for a folder, everything in it (links deleted, not followed). */
    public static void deleteTree(Path root) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            // a file or a link (or nothing): one unlink, without the tree walk's classes (a small
            // output's replacement in a fresh JVM loaded and ran them in the interpreter)
            try {
                Files.deleteIfExists(root);
                return;
            } catch (java.nio.file.DirectoryNotEmptyException becameFolder) {
                // made a folder since: walk it below
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Without a commit: unmaps and deletes the temporary file. */
    @Override
    public void close() {
        closeWriteBehind();
        if (staged != null) {
            staged.close();
        }
        if (!committed) {
            volume.close();
            deleteQuietly(temp);
            forget(temp);
        }
    }

    /**
     * Drops a temporary name ({@link #tempName}) this process no longer holds a file under (moved
     * into place, or deleted): a long-lived process (a library, Python, a Spark executor) writing output after output
     * would otherwise keep every name it ever made.
     */
    public static void forget(Path temp) {
        OWN_TEMP_NAMES.remove(temp.getFileName().toString());
    }

    /** True while this process holds {@code temp}'s name as its own (tests). */
    static boolean holdsTempName(Path temp) {
        return OWN_TEMP_NAMES.contains(temp.getFileName().toString());
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // nothing more can be done; the name says what it is
        }
    }

    /** Refuses an output that is the input itself (also through a link). */
    public static void checkNotSameFile(Path input, Path output) {
        Path a = input.toAbsolutePath().normalize();
        Path b = output.toAbsolutePath().normalize();
        boolean same = a.equals(b);
        if (!same && Files.exists(a) && Files.exists(b)) {
            try {
                same = Files.isSameFile(a, b);
            } catch (IOException e) {
                same = false;
            }
        }
        if (same) {
            throw new OutputException(output + ": output is the input file; choose another output name");
        }
    }
}
