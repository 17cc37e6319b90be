package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing proportional to the volume lives on the heap: a child JVM with a 48 MB heap filters a
 * 300 MB raw volume file to file, and its output has the bytes an in-process run computes.
 */
class SmallHeapTest {
    @TempDir
    Path dir;

    @Test
    void filtersAVolumeSixTimesLargerThanTheHeap() throws Exception {
        long[] shape = {96, 1024, 768};
        Path in = dir.resolve("big.vol");
        long bytes = Shapes.elementCount(shape, "shape") * 4;
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            SeedWorkload.fill(Volume.wrap(seg, DType.F32, ByteOrder.LITTLE_ENDIAN, shape, Shapes.cStrides(shape), 0), 7);
        }
        Path out = dir.resolve("big.npy");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx48m", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.penumbra.cli.Main", "gaussian", "--sigma", "2", "--threads", "2", "--shape", "96,1024,768",
                "--dtype", "float32", "-q", in.toString(), out.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String log = Files.readString(dir.resolve("child.log"));
        assertEquals(0, p.exitValue(), log);
        try (Volume src = VolumeFiles.mapRaw(in, new RawLayout(DType.F32, ByteOrder.LITTLE_ENDIAN, shape, 0));
             Volume ref = Volume.allocate(DType.F32, shape);
             Volume got = VolumeFiles.mapNpy(out)) {
            Engine.run(FilterSpec.gaussian(2).plan(3), src, ref, Schedule.defaults());
            assertEquals(-1, MemorySegment.mismatch(ref.segment(), 0, ref.byteSize(), got.segment(), 0,
                    got.byteSize()), "child output differs from the in-process run");
        }
    }
}
