package dev.penumbra.zarr;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import dev.penumbra.formats.ChunkRuns;
import dev.penumbra.formats.ChunkStore;
import dev.penumbra.formats.ChunkedSource;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One Zarr array on disk, v2 ({@code .zarray}) or v3 ({@code zarr.json}), as the Zarr specs define
 * it: its shape, element type, chunk grid, chunk keys, fill value and codecs, and the decoding and
 * encoding of one chunk — the unit a reader fetches (for a sharded v3 array, an inner chunk of a
 * shard). A decoded chunk is a {@link Volume} over off-heap memory whose strides say its layout (C or
 * F order, a v3 transpose) and whose byte order is the stored one: nothing is reordered or swapped.
 */
public final class ZarrArray implements ChunkStore {
    /** The array's folder. */
    final Path dir;
    /** 2 or 3. */
    final int format;
    final long[] shape;
    /** The unit of reading and writing: the chunk, or a sharded array's inner chunk. */
    final long[] chunk;
    /** Units per axis. */
    final long[] grid;
    final DType dtype;
    /** A decoded unit's layout: element strides and byte order. */
    final long[] unitStrides;
    final ByteOrder order;
    final double fill;
    /** Bytes-to-bytes codecs of a unit, in encoding order. */
    final List<BytesCodec> codecs;
    /** Chunk keys: v2's, or v3's default ("c" first) or "v2" encoding, with their separator. */
    final String separator;
    final boolean cPrefix;
    /** The shards of a sharded v3 array, else null. */
    final Sharding sharding;
    /** Metadata as written (for writers: the v2 compressor or v3 codecs; unused by readers). */
    private final String[] orderForV2;

    /** The index of a sharded v3 array's shards ({@code sharding_indexed}). */
    record Sharding(long[] shardShape, long[] perShard, boolean indexAtEnd, boolean indexCrc) {
        long inner() {
            long n = 1;
            for (long p : perShard) {
                n *= p;
            }
            return n;
        }

        long indexBytes() {
            return 16 * inner() + (indexCrc ? 4 : 0);
        }
    }

    private ZarrArray(Path dir, int format, long[] shape, long[] chunk, DType dtype, long[] unitStrides,
                      ByteOrder order, double fill, List<BytesCodec> codecs, String separator, boolean cPrefix,
                      Sharding sharding, String[] orderForV2) {
        this.dir = dir;
        this.format = format;
        this.shape = shape;
        this.chunk = chunk;
        this.dtype = dtype;
        this.unitStrides = unitStrides;
        this.order = order;
        this.fill = fill;
        this.codecs = codecs;
        this.separator = separator;
        this.cPrefix = cPrefix;
        this.sharding = sharding;
        this.orderForV2 = orderForV2;
        this.grid = ChunkRuns.grid(shape, chunk);
    }

    /** True when {@code p} is a folder holding Zarr metadata (an array or a group, v2 or v3). */
    public static boolean isZarr(Path p) {
        return Files.isDirectory(p) && (Files.isRegularFile(p.resolve(".zarray"))
                || Files.isRegularFile(p.resolve(".zgroup")) || Files.isRegularFile(p.resolve("zarr.json")));
    }

    /** Opens the array as the engine's source ({@link #open}, then {@link ChunkedSource#of}). */
    public static ChunkedSource source(Path root, String dataset) {
        return ChunkedSource.of(open(root, dataset));
    }

    @Override
    public String describe() {
        return dir + ": " + this;
    }

    /** The element type. */
    @Override
    public DType dtype() {
        return dtype;
    }

    /** The shape (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The chunk shape (for a sharded array, the inner chunks'). */
    @Override
    public long[] chunks() {
        return chunk.clone();
    }

    /** The Zarr format, 2 or 3. */
    public int format() {
        return format;
    }

    /**
     * Opens the array at {@code root} or, in a group, at {@code dataset} inside it (a path like
     * {@code entry/data}; null when {@code root} is the array). Errors name the file and what was
     * expected, in one line.
     */
    public static ZarrArray open(Path root, String dataset) {
        Path dir = root;
        if (dataset != null && !dataset.isBlank()) {
            String d = dataset.strip().replaceAll("^/+|/+$", "");
            for (String part : d.split("/+")) {
                if (part.equals("..") || part.equals(".")) {
                    throw new BadParameterException("dataset: '" + dataset + "' must name a path inside " + root);
                }
            }
            dir = d.isEmpty() ? root : root.resolve(d);
            if (!isZarr(dir)) {
                throw new BadVolumeException(root + ": the Zarr group has no dataset '" + dataset + "'"
                        + arraysText(root));
            }
        }
        Path v2 = dir.resolve(".zarray");
        Path v3 = dir.resolve("zarr.json");
        try {
            if (Files.isRegularFile(v2)) {
                return v2(dir, Json.parse(Files.readString(v2, StandardCharsets.UTF_8)));
            }
            if (Files.isRegularFile(v3)) {
                JsonObject m = Json.parse(Files.readString(v3, StandardCharsets.UTF_8));
                String node = Json.stringOr(m, "node_type", "array");
                if (node.equals("group")) {
                    throw new BadVolumeException(dir + " is a Zarr group: name an array in it with --dataset"
                            + arraysText(dir));
                }
                return v3(dir, m);
            }
            if (Files.isRegularFile(dir.resolve(".zgroup"))) {
                throw new BadVolumeException(dir + " is a Zarr group: name an array in it with --dataset"
                        + arraysText(dir));
            }
            throw new BadVolumeException(dir + " is not a Zarr array (no .zarray or zarr.json in it)");
        } catch (Json.MetadataException e) {
            throw new BadVolumeException((Files.isRegularFile(v2) ? v2 : v3) + " " + e.getMessage());
        } catch (Codecs.UnknownCodecException e) {
            throw new BadVolumeException((Files.isRegularFile(v2) ? v2 : v3) + ": unknown " + e.getMessage());
        } catch (IOException e) {
            throw new BadVolumeException(dir + ": cannot read the Zarr metadata (" + e.getMessage() + ")");
        } catch (dev.penumbra.PenumbraException e) {
            throw e;
        } catch (RuntimeException e) {
            // a field of the wrong JSON kind where another was expected (Gson's getAs*, a missing object)
            throw new BadVolumeException((Files.isRegularFile(v2) ? v2 : v3) + " is not valid Zarr metadata ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + e.getMessage().lines().findFirst().orElse("")) + ")");
        }
    }

    /** " (arrays: a, b/c)" for a group's messages, or "" when none is found near the top. */
    private static String arraysText(Path group) {
        try (Stream<Path> s = Files.walk(group, 4)) {
            List<String> arrays = s.filter(p -> Files.isRegularFile(p.resolve(".zarray"))
                            || isV3Array(p.resolve("zarr.json")))
                    .map(p -> group.relativize(p).toString()).filter(x -> !x.isEmpty()).sorted().limit(10).toList();
            return arrays.isEmpty() ? " (it holds no arrays)" : " (arrays: " + String.join(", ", arrays) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static boolean isV3Array(Path meta) {
        try {
            return Files.isRegularFile(meta) && Json.stringOr(Json.parse(Files.readString(meta)), "node_type", "")
                    .equals("array");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static ZarrArray v2(Path dir, JsonObject m) {
        int zf = Json.intOr(m, "zarr_format", -1);
        if (zf != 2) {
            throw new Json.MetadataException("has zarr_format " + zf + ", expected 2");
        }
        long[] shape = Json.longs(m, "shape", "the array's shape");
        long[] chunks = Json.longs(m, "chunks", "the chunk shape");
        checkGrid(shape, chunks);
        String descr = Json.string(m, "dtype", "the element type");
        if (descr.length() < 3 || "<>|".indexOf(descr.charAt(0)) < 0) {
            throw new Json.MetadataException("has dtype '" + descr + "', not a numpy type string like '<f4'");
        }
        DType dt = dtypeOf(descr.substring(1), descr);
        ByteOrder bo = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        String ord = Json.stringOr(m, "order", "C");
        long[] strides = switch (ord) {
            case "C" -> Shapes.cStrides(chunks);
            case "F" -> Shapes.fStrides(chunks);
            default -> throw new Json.MetadataException("has order '" + ord + "', expected C or F");
        };
        JsonElement filters = m.get("filters");
        if (filters != null && !filters.isJsonNull() && !(filters.isJsonArray() && filters.getAsJsonArray().isEmpty())) {
            String ids = filters.isJsonArray() ? String.join(", ", filters.getAsJsonArray().asList().stream()
                    .map(f -> f.isJsonObject() ? Json.stringOr(f.getAsJsonObject(), "id", "?") : "?").toList())
                    : filters.toString();
            throw new Codecs.UnknownCodecException("filters " + ids + " (Penumbra reads arrays without numcodecs"
                    + " filters)");
        }
        JsonElement comp = m.get("compressor");
        List<BytesCodec> codecs = new ArrayList<>();
        if (comp != null && !comp.isJsonNull()) {
            if (!comp.isJsonObject()) {
                throw new Json.MetadataException("has a compressor that is not an object");
            }
            codecs.add(Codecs.fromV2(comp.getAsJsonObject(), dt.size()));
        }
        String sep = Json.stringOr(m, "dimension_separator", ".");
        if (!sep.equals(".") && !sep.equals("/")) {
            throw new Json.MetadataException("has dimension_separator '" + sep + "', expected . or /");
        }
        double fill = fillValue(m.get("fill_value"), dt);
        return new ZarrArray(dir, 2, shape, chunks, dt, strides, bo, fill, codecs, sep, false, null,
                new String[] {ord});
    }

    private static ZarrArray v3(Path dir, JsonObject m) {
        int zf = Json.intOr(m, "zarr_format", -1);
        if (zf != 3) {
            throw new Json.MetadataException("has zarr_format " + zf + ", expected 3");
        }
        long[] shape = Json.longs(m, "shape", "the array's shape");
        String dtName = Json.string(m, "data_type", "the element type");
        DType dt = switch (dtName) {
            case "uint8" -> DType.U8;
            case "int8" -> DType.I8;
            case "uint16" -> DType.U16;
            case "int16" -> DType.I16;
            case "uint32" -> DType.U32;
            case "int32" -> DType.I32;
            case "int64" -> DType.I64;
            case "float32" -> DType.F32;
            case "float64" -> DType.F64;
            default -> throw new Json.MetadataException("has data_type '" + dtName + "', which Penumbra does not"
                    + " read (it reads uint8, int8, uint16, int16, uint32, int32, int64, float32, float64)");
        };
        JsonObject grid = Json.get(m, "chunk_grid", "the chunk grid").getAsJsonObject();
        if (!Json.string(grid, "name", "chunk grid").equals("regular")) {
            throw new Json.MetadataException("has a chunk grid '" + Json.string(grid, "name", "") + "', expected regular");
        }
        long[] chunks = Json.longs(grid.getAsJsonObject("configuration"), "chunk_shape", "the chunk shape");
        checkGrid(shape, chunks);
        String sep = "/";
        boolean cPrefix = true;
        JsonElement kenc = m.get("chunk_key_encoding");
        if (kenc != null && kenc.isJsonObject()) {
            String name = Json.string(kenc.getAsJsonObject(), "name", "chunk key encoding");
            JsonObject cf = kenc.getAsJsonObject().has("configuration")
                    ? kenc.getAsJsonObject().getAsJsonObject("configuration") : new JsonObject();
            switch (name) {
                case "default" -> sep = Json.stringOr(cf, "separator", "/");
                case "v2" -> {
                    sep = Json.stringOr(cf, "separator", ".");
                    cPrefix = false;
                }
                default -> throw new Json.MetadataException("has chunk_key_encoding '" + name + "', expected default"
                        + " or v2");
            }
        }
        double fill = fillValue(Json.get(m, "fill_value", "the fill value"), dt);
        JsonArray codecs = Json.get(m, "codecs", "the codecs").getAsJsonArray();
        if (codecs.size() >= 1 && codecs.get(0).isJsonObject()
                && "sharding_indexed".equals(Json.stringOr(codecs.get(0).getAsJsonObject(), "name", ""))) {
            if (codecs.size() > 1) {
                throw new Codecs.UnknownCodecException("codecs after sharding_indexed (Penumbra reads shards whose"
                        + " codecs are all inside the sharding codec)");
            }
            JsonObject cf = codecs.get(0).getAsJsonObject().getAsJsonObject("configuration");
            long[] inner = Json.longs(cf, "chunk_shape", "the inner chunk shape");
            if (inner.length != shape.length) {
                throw new Json.MetadataException("has an inner chunk_shape of " + inner.length + " axes for "
                        + shape.length);
            }
            long[] per = new long[shape.length];
            for (int a = 0; a < shape.length; a++) {
                if (inner[a] <= 0 || chunks[a] % inner[a] != 0) {
                    throw new Json.MetadataException("has a shard shape " + Arrays.toString(chunks)
                            + " that is not a multiple of its inner chunk shape " + Arrays.toString(inner));
                }
                per[a] = chunks[a] / inner[a];
            }
            Pipeline p = pipeline(Json.get(cf, "codecs", "the inner codecs").getAsJsonArray(), dt, inner);
            JsonArray ic = Json.get(cf, "index_codecs", "the shard index codecs").getAsJsonArray();
            boolean crc = false;
            for (JsonElement e : ic) {
                String n = Json.string(e.getAsJsonObject(), "name", "index codec");
                if (n.equals("crc32c")) {
                    crc = true;
                } else if (n.equals("bytes")) {
                    JsonObject bc = e.getAsJsonObject().getAsJsonObject("configuration");
                    if (bc != null && "big".equals(Json.stringOr(bc, "endian", "little"))) {
                        throw new Codecs.UnknownCodecException("big-endian shard index");
                    }
                } else {
                    throw new Codecs.UnknownCodecException("shard index codec '" + n + "'");
                }
            }
            String loc = Json.stringOr(cf, "index_location", "end");
            Sharding sh = new Sharding(chunks, per, !loc.equals("start"), crc);
            return new ZarrArray(dir, 3, shape, inner, dt, p.strides, p.order, fill, p.bytes, sep, cPrefix, sh, null);
        }
        Pipeline p = pipeline(codecs, dt, chunks);
        return new ZarrArray(dir, 3, shape, chunks, dt, p.strides, p.order, fill, p.bytes, sep, cPrefix, null, null);
    }

    /** A v3 codec list without sharding: strides of the decoded unit, its byte order, bytes codecs. */
    private record Pipeline(long[] strides, ByteOrder order, List<BytesCodec> bytes) {
    }

    private static Pipeline pipeline(JsonArray codecs, DType dt, long[] unit) {
        int[] perm = null;
        ByteOrder order = null;
        List<BytesCodec> bytes = new ArrayList<>();
        for (JsonElement e : codecs) {
            JsonObject c = e.getAsJsonObject();
            String name = Json.string(c, "name", "codec");
            JsonObject cf = c.has("configuration") ? c.getAsJsonObject("configuration") : new JsonObject();
            switch (name) {
                case "transpose" -> {
                    if (order != null) {
                        throw new Codecs.UnknownCodecException("codec order: transpose after bytes");
                    }
                    long[] o = Json.longs(cf, "order", "the transpose order");
                    perm = new int[o.length];
                    boolean[] seen = new boolean[unit.length];
                    if (o.length != unit.length) {
                        throw new Json.MetadataException("has a transpose order of " + o.length + " axes for "
                                + unit.length);
                    }
                    for (int j = 0; j < o.length; j++) {
                        if (o[j] < 0 || o[j] >= unit.length || seen[(int) o[j]]) {
                            throw new Json.MetadataException("has a transpose order " + Arrays.toString(o)
                                    + " that is not a permutation");
                        }
                        seen[(int) o[j]] = true;
                        perm[j] = (int) o[j];
                    }
                }
                case "bytes" -> {
                    String endian = Json.stringOr(cf, "endian", "little");
                    order = switch (endian) {
                        case "little" -> ByteOrder.LITTLE_ENDIAN;
                        case "big" -> ByteOrder.BIG_ENDIAN;
                        default -> throw new Json.MetadataException("has endian '" + endian + "'");
                    };
                }
                default -> {
                    if (order == null) {
                        throw new Codecs.UnknownCodecException("codec '" + name + "' (Penumbra reads bytes, transpose,"
                                + " sharding_indexed, zstd, gzip, blosc and crc32c)");
                    }
                    bytes.add(Codecs.fromV3(c, dt.size()));
                }
            }
        }
        if (order == null) {
            throw new Json.MetadataException("has no bytes codec (the array-to-bytes step)");
        }
        long[] strides;
        if (perm == null) {
            strides = Shapes.cStrides(unit);
        } else {
            long[] tshape = new long[unit.length];
            for (int j = 0; j < unit.length; j++) {
                tshape[j] = unit[perm[j]];
            }
            long[] ts = Shapes.cStrides(tshape);
            strides = new long[unit.length];
            for (int j = 0; j < unit.length; j++) {
                strides[perm[j]] = ts[j];
            }
        }
        return new Pipeline(strides, order, bytes);
    }

    private static void checkGrid(long[] shape, long[] chunks) {
        if (shape.length != chunks.length) {
            throw new Json.MetadataException("has a chunk shape of " + chunks.length + " axes for a shape of "
                    + shape.length);
        }
        for (int a = 0; a < shape.length; a++) {
            if (shape[a] < 0 || chunks[a] <= 0 && shape[a] > 0) {
                throw new Json.MetadataException("has shape " + Arrays.toString(shape) + " and chunks "
                        + Arrays.toString(chunks) + ": extents must be >= 0 and chunks > 0");
            }
        }
        Shapes.elementCount(shape, "shape");
        long unit = Shapes.elementCount(chunks, "chunks");
        if (unit > Codecs.MAX_CHUNK) {
            throw new Json.MetadataException("has chunks of " + unit + " elements, more than Penumbra's 2 GiB limit");
        }
    }

    private static DType dtypeOf(String code, String descr) {
        DType t = DType.fromCode(code);
        if (t == null) {
            throw new Json.MetadataException("has dtype '" + descr + "', which Penumbra does not read (it reads "
                    + "u1, i1, u2, i2, u4, i4, i8, f4, f8)");
        }
        return t;
    }

    /** v2 and v3 fill values: numbers, "NaN", "Infinity", "-Infinity", v3's hex bit patterns; null is 0. */
    static double fillValue(JsonElement e, DType dt) {
        if (e == null || e.isJsonNull()) {
            return 0;
        }
        if (!e.isJsonPrimitive()) {
            throw new Json.MetadataException("has a fill_value that is not a number");
        }
        if (e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean() ? 1 : 0;
        }
        if (e.getAsJsonPrimitive().isNumber()) {
            return e.getAsDouble();
        }
        String s = e.getAsString();
        switch (s) {
            case "NaN":
                return Double.NaN;
            case "Infinity":
                return Double.POSITIVE_INFINITY;
            case "-Infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                if (s.startsWith("0x")) {
                    long bits = Long.parseUnsignedLong(s.substring(2), 16);
                    return dt == DType.F32 ? Float.intBitsToFloat((int) bits) : dt == DType.F64
                            ? Double.longBitsToDouble(bits) : bits;
                }
                throw new Json.MetadataException("has fill_value '" + s + "'");
        }
    }

    /** Elements of a unit. */
    long unitElements() {
        long n = 1;
        for (long c : chunk) {
            n *= c;
        }
        return n;
    }

    @Override
    public long unitBytes() {
        return unitElements() * dtype.size();
    }

    /** The unit index (C order over the grid) of unit coordinates {@code u}. */
    long index(long[] u) {
        return ChunkRuns.index(u, grid);
    }

    /** The key of the chunk (or shard) at grid coordinates {@code c}, relative to the array's folder. */
    String key(long[] c) {
        StringBuilder b = new StringBuilder();
        if (cPrefix) {
            b.append('c');
            for (long x : c) {
                b.append(separator).append(x);
            }
            return b.toString();
        }
        if (c.length == 0) {
            return "0";
        }
        for (int a = 0; a < c.length; a++) {
            if (a > 0) {
                b.append(separator);
            }
            b.append(c[a]);
        }
        return b.toString();
    }

    /** A unit filled with the fill value. */
    @Override
    public Volume fillUnit(Arena arena) {
        return ChunkStore.filled(arena, dtype, order, chunk, unitStrides, fill);
    }

    public static void forEachRow(long[] shape, java.util.function.Consumer<long[]> f) {
        int r = shape.length;
        if (r == 0) {
            f.accept(new long[0]);
            return;
        }
        for (long e : shape) {
            if (e == 0) {
                return;
            }
        }
        long[] at = new long[r];
        while (true) {
            f.accept(at);
            int a = r - 2;
            while (a >= 0 && ++at[a] == shape[a]) {
                at[a] = 0;
                a--;
            }
            if (a < 0) {
                return;
            }
        }
    }

    /**
     * Reads and decodes the unit at grid coordinates {@code u} into {@code dst} (at least
     * {@link #unitBytes} bytes), its stored bytes read into {@code stage} where they fit (else
     * mapped), or returns null when it is not stored (the fill value). Damage gives a
     * {@link BadVolumeException} naming the file.
     */
    @Override
    public Volume readUnit(long[] u, MemorySegment dst, MemorySegment stage) {
        Path file;
        long offset = 0;
        long length = -1;
        if (sharding == null) {
            file = dir.resolve(key(u));
        } else {
            file = dir.resolve(key(shardOf(u)));
            long[] ol = shardEntry(file, innerIndex(u));
            if (ol == null) {
                return null;
            }
            offset = ol[0];
            length = ol[1];
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena tmp = Arena.ofConfined()) {
            long size = ch.size();
            if (length < 0) {
                length = size;
            } else if (offset + length > size || offset < 0) {
                throw new BadVolumeException("zarr shard " + file + ": inner chunk " + Arrays.toString(u)
                        + " lies at bytes " + offset + ".." + (offset + length) + " of a file of " + size + " (truncated"
                        + " shard)");
            }
            MemorySegment raw;
            if (length == 0) {
                raw = MemorySegment.ofArray(new byte[0]);
            } else if (codecs.isEmpty() && length == unitBytes() || stage != null && length <= stage.byteSize()) {
                // read into reused memory (a mapping would fault its pages in one by one)
                raw = (codecs.isEmpty() && length == unitBytes() ? dst : stage).asSlice(0, length);
                var buf = raw.asByteBuffer();
                long pos = offset;
                while (buf.hasRemaining()) {
                    int n = ch.read(buf, pos);
                    if (n < 0) {
                        throw new ChunkException("ends early (truncated chunk)");
                    }
                    pos += n;
                }
            } else {
                raw = ch.map(FileChannel.MapMode.READ_ONLY, offset, length, tmp);
            }
            MemorySegment bytes = raw;
            SegmentAllocator into = (n, align) -> dst.asSlice(0, n);
            for (int i = codecs.size() - 1; i >= 0; i--) {
                bytes = codecs.get(i).decode(bytes, i == 0 ? unitBytes() : -1, i == 0
                        ? into : tmp);
            }
            if (bytes.byteSize() != unitBytes()) {
                throw new ChunkException("holds " + bytes.byteSize() + " bytes, a chunk of "
                        + Arrays.toString(chunk) + " " + dtype.numpyName() + " is " + unitBytes()
                        + (bytes.byteSize() < unitBytes() ? " (truncated chunk)" : ""));
            }
            if (bytes.address() != dst.address() || !bytes.isNative()) {
                // the stored bytes themselves (no codec, or a checksum's slice of them): copied out of the mapping
                dst.asSlice(0, unitBytes()).copyFrom(bytes);
            }
            return Volume.wrap(dst.asSlice(0, unitBytes()), dtype, order, chunk, unitStrides, 0);
        } catch (NoSuchFileException e) {
            return null;
        } catch (ChunkException e) {
            throw new BadVolumeException("zarr chunk " + file + (sharding != null ? " (inner chunk "
                    + Arrays.toString(u) + ")" : "") + ": " + e.getMessage());
        } catch (IOException e) {
            throw new BadVolumeException("zarr chunk " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    /** True for a sharded v3 array (its files are shards of inner chunks). */
    public boolean sharded() {
        return sharding != null;
    }

    /** The grid coordinates of the shard holding inner chunk {@code u}. */
    long[] shardOf(long[] u) {
        long[] s = new long[u.length];
        for (int a = 0; a < u.length; a++) {
            s[a] = u[a] / sharding.perShard()[a];
        }
        return s;
    }

    /** The index of inner chunk {@code u} within its shard (C order over the shard's inner chunks). */
    long innerIndex(long[] u) {
        long inner = 0;
        for (int a = 0; a < u.length; a++) {
            inner = inner * sharding.perShard()[a] + u[a] % sharding.perShard()[a];
        }
        return inner;
    }

    /** Shards per axis. */
    long[] shardGrid() {
        return ChunkRuns.grid(shape, sharding.shardShape());
    }

    /** How many of shard {@code sc}'s inner chunks lie inside the array (an edge shard has fewer). */
    int innerInside(long[] sc) {
        long n = 1;
        for (int a = 0; a < sc.length; a++) {
            n *= Math.min(sharding.perShard()[a], grid[a] - sc[a] * sharding.perShard()[a]);
        }
        return Math.toIntExact(n);
    }

    private final java.util.concurrent.ConcurrentHashMap<Path, long[]> shardIndex =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final long[] NO_SHARD = new long[0];

    /** {offset, nbytes} of inner chunk {@code inner} of the shard file, or null when it is not stored. */
    private long[] shardEntry(Path file, long inner) {
        long[] idx = shardIndex.computeIfAbsent(file, this::readShardIndex);
        if (idx == NO_SHARD) {
            return null;
        }
        long off = idx[(int) (2 * inner)];
        long n = idx[(int) (2 * inner + 1)];
        return off == -1 && n == -1 ? null : new long[] {off, n};
    }

    private long[] readShardIndex(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena tmp = Arena.ofConfined()) {
            long ib = sharding.indexBytes();
            long size = ch.size();
            if (size < ib) {
                throw new BadVolumeException("zarr shard " + file + ": " + size + " bytes cannot hold its index of "
                        + ib + " bytes (truncated shard)");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, sharding.indexAtEnd() ? size - ib : 0, ib, tmp);
            if (sharding.indexCrc()) {
                try {
                    seg = new Codecs.Crc32cCodec().decode(seg, -1, tmp);
                } catch (ChunkException e) {
                    throw new BadVolumeException("zarr shard " + file + ": its index " + e.getMessage());
                }
            }
            long[] v = seg.toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            return v;
        } catch (NoSuchFileException e) {
            return NO_SHARD;
        } catch (IOException e) {
            throw new BadVolumeException("zarr shard " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    // ---- writing ----

    /**
     * A new array's description for writing into {@code dir}: C order, little-endian, fill value 0,
     * {@code codec} (null: none), v2 or v3 metadata.
     */
    static ZarrArray forWriting(Path dir, int format, DType dtype, long[] shape, long[] chunks, long[] shards,
                                BytesCodec codec) {
        if (format != 2 && format != 3) {
            throw new BadParameterException("zarr-format: expected 2 or 3, got " + format);
        }
        if (chunks.length != shape.length) {
            throw new BadParameterException("out-chunks: " + chunks.length + " extents for an array of "
                    + shape.length + " axes");
        }
        for (long c : chunks) {
            if (c <= 0) {
                throw new BadParameterException("out-chunks: every extent must be >= 1, got " + Arrays.toString(chunks));
            }
        }
        if (Shapes.elementCount(chunks, "out-chunks") * dtype.size() > Codecs.MAX_CHUNK) {
            throw new BadParameterException("out-chunks: " + Arrays.toString(chunks) + " is over 2 GiB a chunk");
        }
        Sharding sharding = null;
        if (shards != null) {
            if (format != 3) {
                throw new BadParameterException("shards: Zarr v2 has no shards (write --zarr-format 3)");
            }
            if (shards.length != shape.length) {
                throw new BadParameterException("shards: " + shards.length + " extents for an array of "
                        + shape.length + " axes");
            }
            long[] per = new long[shards.length];
            for (int a = 0; a < shards.length; a++) {
                if (shards[a] <= 0 || shards[a] % chunks[a] != 0) {
                    throw new BadParameterException("shards: each extent must be a multiple of the chunk's, got "
                            + Arrays.toString(shards) + " for chunks " + Arrays.toString(chunks));
                }
                per[a] = shards[a] / chunks[a];
            }
            sharding = new Sharding(shards.clone(), per, true, true);
            if (sharding.inner() > (1 << 24)) {
                throw new BadParameterException("shards: " + Arrays.toString(shards) + " holds " + sharding.inner()
                        + " chunks of " + Arrays.toString(chunks) + " (at most 16777216 a shard)");
            }
        }
        List<BytesCodec> codecs = codec == null ? List.of() : List.of(codec);
        return new ZarrArray(dir, format, shape.clone(), chunks.clone(), dtype, Shapes.cStrides(chunks),
                ByteOrder.LITTLE_ENDIAN, 0, codecs, format == 2 ? "." : "/", format == 3, sharding,
                new String[] {"C"});
    }

    /** The same array in another folder. */
    ZarrArray in(Path other) {
        return new ZarrArray(other, format, shape, chunk, dtype, unitStrides, order, fill, codecs, separator, cPrefix,
                sharding, orderForV2);
    }

    /** Encodes a decoded unit (little-endian, C order, as {@link #forWriting} lays it out). */
    MemorySegment encode(MemorySegment unit, SegmentAllocator arena) {
        MemorySegment bytes = unit;
        for (BytesCodec c : codecs) {
            bytes = c.encode(bytes, arena);
        }
        return bytes;
    }

    /** The metadata file's name and text. */
    String[] metadata() {
        JsonObject m = new JsonObject();
        if (format == 2) {
            m.addProperty("zarr_format", 2);
            m.add("shape", Json.array(shape));
            m.add("chunks", Json.array(chunk));
            m.addProperty("dtype", (dtype.size() == 1 ? "|" : "<") + dtype.code());
            m.add("compressor", codecs.isEmpty() ? JsonNull.INSTANCE : codecs.get(0).v2Json());
            m.addProperty("fill_value", 0);
            m.addProperty("order", orderForV2[0]);
            m.add("filters", JsonNull.INSTANCE);
            m.addProperty("dimension_separator", separator);
            return new String[] {".zarray", new GsonBuilder().serializeNulls().disableHtmlEscaping().setPrettyPrinting().create().toJson(m)};
        }
        m.addProperty("zarr_format", 3);
        m.addProperty("node_type", "array");
        m.add("shape", Json.array(shape));
        m.addProperty("data_type", dtype.numpyName());
        JsonObject cfg = new JsonObject();
        cfg.add("chunk_shape", Json.array(sharding == null ? chunk : sharding.shardShape()));
        JsonObject grid = new JsonObject();
        grid.addProperty("name", "regular");
        grid.add("configuration", cfg);
        m.add("chunk_grid", grid);
        JsonObject kcfg = new JsonObject();
        kcfg.addProperty("separator", "/");
        JsonObject kenc = new JsonObject();
        kenc.addProperty("name", "default");
        kenc.add("configuration", kcfg);
        m.add("chunk_key_encoding", kenc);
        if (dtype.isFloating()) {
            m.addProperty("fill_value", 0.0);
        } else {
            m.addProperty("fill_value", 0);
        }
        JsonArray codecArr = new JsonArray();
        JsonObject bcfg = new JsonObject();
        bcfg.addProperty("endian", "little");
        codecArr.add(Json.codec("bytes", dtype.size() == 1 ? null : bcfg));
        for (BytesCodec c : codecs) {
            codecArr.add(c.v3Json());
        }
        if (sharding != null) {
            JsonObject scfg = new JsonObject();
            scfg.add("chunk_shape", Json.array(chunk));
            scfg.add("codecs", codecArr);
            JsonArray index = new JsonArray();
            index.add(Json.codec("bytes", bcfg));
            index.add(Json.codec("crc32c", null));
            scfg.add("index_codecs", index);
            scfg.addProperty("index_location", "end");
            codecArr = new JsonArray();
            codecArr.add(Json.codec("sharding_indexed", scfg));
        }
        m.add("codecs", codecArr);
        m.add("attributes", new JsonObject());
        return new String[] {"zarr.json", new GsonBuilder().serializeNulls().disableHtmlEscaping().setPrettyPrinting().create().toJson(m)};
    }

    /** The codec names, for diagnostics ("zstd", "blosc", "none"). */
    String codecText() {
        return codecs.isEmpty() ? "none" : String.join("+", codecs.stream().map(BytesCodec::name).toList());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "zarr v%d %s %s chunks %s (%s)%s", format, dtype.numpyName(),
                Arrays.toString(shape), Arrays.toString(chunk), codecText(), sharding != null ? " sharded "
                        + Arrays.toString(sharding.shardShape()) : "");
    }
}
