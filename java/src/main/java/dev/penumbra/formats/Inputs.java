package dev.penumbra.formats;

import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.VolumeFiles;
import dev.penumbra.zarr.ZarrArray;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every input Penumbra reads, recognised by its content: a Zarr array or group (a folder with
 * {@code .zarray}, {@code .zgroup} or {@code zarr.json}), an HDF5 file (its signature), a TIFF
 * file or a folder of TIFF files (one z-slice a page or a file), a {@code .npy} file, or raw with a
 * given layout.
 */
public final class Inputs {
    private Inputs() {
    }

    /** An opened input: the engine's source, what closes it, and its chunk store when it has one. */
    public record Input(Source source, AutoCloseable closer, ChunkStore store) implements AutoCloseable {
        @Override
        public void close() {
            try {
                closer.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** True for the inputs that carry their own metadata and take no raw layout. */
    public static boolean isContainer(Path input) {
        return ZarrArray.isZarr(input) || Hdf5.isHdf5(input) || TiffStack.isTiff(input);
    }

    /** The element type of what {@link #open} would read (for an output of the input's dtype). */
    public static dev.penumbra.volume.DType dtypeOf(Path input, String dataset, RawLayout raw) {
        if (!isContainer(input)) {
            return VolumeFiles.dtypeOf(input, raw);
        }
        try (Input in = open(input, dataset, raw)) {
            return in.source().dtype();
        }
    }

    /**
     * Opens {@code input}: {@code dataset} names the array in a Zarr group or the dataset in an HDF5
     * file (null: the array itself, or the file's only dataset); {@code raw} the layout of a raw file.
     */
    public static Input open(Path input, String dataset, RawLayout raw) {
        if (ZarrArray.isZarr(input)) {
            ChunkedSource s = ZarrArray.source(input, dataset);
            return new Input(s, s, s.store());
        }
        if (Hdf5.isHdf5(input)) {
            return Hdf5.open(input, dataset);
        }
        if (dataset != null) {
            throw new BadParameterException("dataset: " + input + " is neither a Zarr group nor an HDF5 file"
                    + " (--dataset names an array inside one)");
        }
        if (TiffStack.isTiff(input)) {
            ChunkedSource s = ChunkedSource.of(TiffStack.open(input));
            return new Input(s, s, s.store());
        }
        if (Files.isDirectory(input)) {
            throw new BadVolumeException(input + " is a folder but neither a Zarr array or group (no .zarray,"
                    + " .zgroup or zarr.json in it) nor a folder of TIFF files");
        }
        var v = VolumeFiles.open(input, raw);
        return new Input(v, v, null);
    }
}
