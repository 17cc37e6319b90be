package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Shapes;
import dev.penumbra.zarr.ZarrOutput;
import dev.penumbra.volume.DType;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Chunked containers: the array inside a Zarr group, and how a Zarr OUTPUT is written. */
final class ContainerOptions {
    @Option(names = "--dataset", paramLabel = "PATH", description = "the array inside a Zarr group or the dataset"
            + " inside an HDF5 INPUT (e.g. /entry/data)")
    String dataset;

    @Option(names = "--zarr-format", paramLabel = "2|3", description = "write OUTPUT as a Zarr array of this"
            + " version (default 3 for an OUTPUT named *.zarr)")
    Integer zarrFormat;

    @Option(names = "--out-chunks", paramLabel = "Z,Y,X", description = "chunk shape of a Zarr OUTPUT (default:"
            + " the Zarr INPUT's chunks, else about 1-4 MiB chunks)")
    String outChunks;

    @Option(names = "--shards", paramLabel = "Z,Y,X", description = "write a Zarr v3 OUTPUT in shards of this"
            + " shape (a multiple of the chunks on every axis; each shard one file of many chunks)")
    String shards;

    @Option(names = "--compressor", paramLabel = "NAME[:LEVEL]", description = "compressor of a Zarr OUTPUT:"
            + " zstd (default, level 3), gzip, zlib (v2), blosc-lz4, blosc-zstd, blosc-blosclz, none")
    String compressor;

    /** How to write a Zarr OUTPUT, or null when OUTPUT is not one (named *.zarr or a Zarr option given). */
    ZarrOutput zarr(Path output) {
        boolean asked = zarrFormat != null || outChunks != null || compressor != null || shards != null;
        if (!asked && !ZarrOutput.namedZarr(output)) {
            return null;
        }
        int f = zarrFormat == null ? 3 : zarrFormat;
        if (f != 2 && f != 3) {
            throw new BadParameterException("zarr-format: expected 2 or 3, got " + f);
        }
        return new ZarrOutput(f, outChunks == null ? null : Shapes.parse(outChunks, "out-chunks"), compressor,
                shards == null ? null : Shapes.parse(shards, "shards"));
    }

    /** The input's element type (for --output-dtype same). */
    DType dtypeOf(Path input, RawLayout layout) {
        return dev.penumbra.formats.Inputs.dtypeOf(input, dataset, layout);
    }
}
