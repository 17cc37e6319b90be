package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.VolumeFiles;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How to read a raw INPUT (shared by the commands that take one). */
final class RawOptions {
    @Option(names = "--shape", paramLabel = "Z,Y,X", description = "shape of a raw INPUT (C order)")
    String shape;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "element type of a raw INPUT (default float32)")
    String dtype;

    @Option(names = "--byte-order", paramLabel = "little|big", description = "byte order of a raw INPUT (default little)")
    String byteOrder;

    @Option(names = "--offset", paramLabel = "BYTES", description = "header bytes to skip in a raw INPUT (default 0)")
    Long offset;

    /** The raw layout of {@code input}, or null for a .npy file or a container (which must not be given one). */
    RawLayout layout(Path input, CommandLine.ParseResult pr) {
        if (dev.penumbra.formats.Inputs.isContainer(input) || java.nio.file.Files.isDirectory(input)) {
            for (String o : List.of("--shape", "--dtype", "--byte-order", "--offset")) {
                if (pr.hasMatchedOption(o)) {
                    throw new BadParameterException(o + ": applies to raw input only; " + input
                            + " is a Zarr, HDF5 or TIFF input and carries its own metadata");
                }
            }
            return null;
        }
        if (VolumeFiles.isNpy(input)) {
            for (String o : List.of("--shape", "--dtype", "--byte-order", "--offset")) {
                if (pr.hasMatchedOption(o)) {
                    throw new BadParameterException(o + ": applies to raw input only; " + input
                            + " is a .npy file and carries its own header");
                }
            }
            return null;
        }
        if (shape == null) {
            throw new BadParameterException(input + ": not a .npy file; give --shape (and --dtype) to read it as raw");
        }
        ByteOrder bo = ByteOrder.LITTLE_ENDIAN;
        if (byteOrder != null) {
            bo = switch (byteOrder.toLowerCase(Locale.ROOT)) {
                case "little", "le", "<" -> ByteOrder.LITTLE_ENDIAN;
                case "big", "be", ">" -> ByteOrder.BIG_ENDIAN;
                default -> throw new BadParameterException("byte-order: '" + byteOrder + "' (expected little or big)");
            };
        }
        return new RawLayout(dtype == null ? DType.F32 : DType.parse(dtype, "dtype"), bo, Shapes.parse(shape, "shape"),
                offset == null ? 0 : offset);
    }
}
