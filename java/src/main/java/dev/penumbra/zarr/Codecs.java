package dev.penumbra.zarr;

import com.github.luben.zstd.Zstd;
import com.google.gson.JsonObject;
import dev.penumbra.BadParameterException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** The bytes-to-bytes codecs Penumbra reads and writes, and their parsing from metadata and the CLI. */
final class Codecs {
    private Codecs() {
    }

    /** The largest chunk a codec handles (Java buffers index with int). */
    static final long MAX_CHUNK = Integer.MAX_VALUE - 64;

    /** A v2 {@code compressor} object (null: none). */
    static BytesCodec fromV2(JsonObject c, int itemSize) {
        String id = Json.string(c, "id", "compressor");
        return switch (id) {
            case "zstd" -> new ZstdCodec(Json.intOr(c, "level", 1));
            case "zlib" -> new DeflateCodec(false, Json.intOr(c, "level", 1));
            case "gzip" -> new DeflateCodec(true, Json.intOr(c, "level", 1));
            case "blosc" -> new BloscCodec(Json.stringOr(c, "cname", "lz4"), Json.intOr(c, "clevel", 5),
                    Json.intOr(c, "shuffle", 1), itemSize, Json.intOr(c, "blocksize", 0));
            default -> throw new UnknownCodecException("compressor '" + id + "' (Penumbra reads zstd, zlib, gzip, "
                    + "blosc and none)");
        };
    }

    /** A v3 bytes-to-bytes codec object. */
    static BytesCodec fromV3(JsonObject c, int itemSize) {
        String name = Json.string(c, "name", "codec");
        JsonObject cf = c.has("configuration") && c.get("configuration").isJsonObject()
                ? c.getAsJsonObject("configuration") : new JsonObject();
        return switch (name) {
            case "zstd" -> new ZstdCodec(Json.intOr(cf, "level", 0));
            case "gzip" -> new DeflateCodec(true, Json.intOr(cf, "level", 6));
            case "crc32c" -> new Crc32cCodec();
            case "blosc" -> {
                String sh = Json.stringOr(cf, "shuffle", "noshuffle");
                int shuffle = switch (sh) {
                    case "noshuffle" -> 0;
                    case "shuffle" -> 1;
                    case "bitshuffle" -> 2;
                    default -> throw new UnknownCodecException("blosc shuffle '" + sh + "'");
                };
                yield new BloscCodec(Json.stringOr(cf, "cname", "lz4"), Json.intOr(cf, "clevel", 5), shuffle,
                        Json.intOr(cf, "typesize", itemSize), Json.intOr(cf, "blocksize", 0));
            }
            default -> throw new UnknownCodecException("codec '" + name + "' (Penumbra reads bytes, transpose, "
                    + "sharding_indexed, zstd, gzip, blosc and crc32c)");
        };
    }

    /**
     * The CLI's {@code --compressor NAME[:LEVEL]}: {@code zstd} (level 3 by default), {@code gzip},
     * {@code zlib} (v2 only), {@code blosc-lz4}, {@code blosc-zstd}, {@code blosc-blosclz} (byte
     * shuffle, level 5), {@code none}; null for none.
     */
    static BytesCodec parse(String spec, int format, int itemSize) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        String name = s;
        Integer level = null;
        int colon = s.lastIndexOf(':');
        if (colon > 0) {
            name = s.substring(0, colon);
            try {
                level = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new BadParameterException("compressor: level '" + s.substring(colon + 1)
                        + "' is not a whole number (expected NAME[:LEVEL], e.g. zstd:3)");
            }
        }
        BytesCodec c = switch (name) {
            case "none" -> null;
            case "zstd" -> new ZstdCodec(level(level, 3, -7, 22));
            case "gzip" -> new DeflateCodec(true, level(level, 5, 0, 9));
            case "zlib" -> {
                if (format == 3) {
                    throw new BadParameterException("compressor: zlib is a Zarr v2 compressor; v3 has gzip and zstd");
                }
                yield new DeflateCodec(false, level(level, 5, 0, 9));
            }
            case "blosc-lz4", "blosc-zstd", "blosc-blosclz", "blosc-lz4hc", "blosc-zlib" ->
                    new BloscCodec(name.substring(6), level(level, 5, 0, 9), 1, itemSize, 0);
            default -> throw new BadParameterException("compressor: unknown '" + spec + "' (expected zstd, gzip, zlib,"
                    + " blosc-lz4, blosc-zstd, blosc-blosclz or none, with an optional :LEVEL)");
        };
        if (c instanceof BloscCodec b) {
            Blosc.require();
        }
        return c;
    }

    private static int level(Integer given, int dflt, int lo, int hi) {
        int l = given == null ? dflt : given;
        if (l < lo || l > hi) {
            throw new BadParameterException("compressor: level " + l + " is outside " + lo + ".." + hi);
        }
        return l;
    }

    static ByteBuffer buffer(MemorySegment s) {
        return s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    static void checkSize(long n, String what) {
        if (n > MAX_CHUNK) {
            throw new ChunkException(what + " of " + n + " bytes is larger than Penumbra's 2 GiB chunk limit");
        }
    }

    /** Zstandard (zstd-jni), one frame per chunk with its content size, as numcodecs writes it. */
    static final class ZstdCodec implements BytesCodec {
        private final int level;

        ZstdCodec(int level) {
            this.level = level;
        }

        @Override
        public String name() {
            return "zstd";
        }

        @Override
        public MemorySegment decode(MemorySegment src, long expected, SegmentAllocator arena) {
            checkSize(src.byteSize(), "a zstd chunk");
            ByteBuffer in = buffer(src);
            long size;
            try {
                size = Zstd.decompressedDirectByteBufferSize(in, 0, in.remaining());
            } catch (RuntimeException e) {
                throw new ChunkException("not a zstd frame (" + e.getMessage() + ")");
            }
            if (size < 0) {
                // -1: a frame without its content size (then the chunk's size must be known); else damage
                if (size != -1) {
                    throw new ChunkException("not a zstd frame (damaged chunk)");
                }
                if (expected < 0) {
                    throw new ChunkException("the zstd frame does not record its size");
                }
                size = expected;
            }
            if (expected >= 0 && size != expected) {
                throw new ChunkException("the zstd frame holds " + size + " bytes, the chunk is " + expected);
            }
            checkSize(size, "a decoded zstd chunk");
            MemorySegment out = arena.allocate(Math.max(1, size), 64).asSlice(0, size);
            long n;
            try {
                n = Zstd.decompressDirectByteBuffer(buffer(out), 0, (int) size, in, 0, in.remaining());
            } catch (RuntimeException e) {
                throw new ChunkException("zstd data is damaged (" + e.getMessage() + ")");
            }
            if (Zstd.isError(n)) {
                throw new ChunkException("zstd data is damaged (" + Zstd.getErrorName(n) + ")");
            }
            if (n != size) {
                throw new ChunkException("zstd data decoded to " + n + " bytes, expected " + size);
            }
            return out;
        }

        @Override
        public MemorySegment encode(MemorySegment src, SegmentAllocator arena) {
            checkSize(src.byteSize(), "a chunk");
            long bound = Zstd.compressBound(src.byteSize());
            MemorySegment out = arena.allocate(bound, 64);
            long n = Zstd.compressDirectByteBuffer(buffer(out), 0, (int) bound, buffer(src), 0, (int) src.byteSize(),
                    level);
            if (Zstd.isError(n)) {
                throw new IllegalStateException("zstd: " + Zstd.getErrorName(n));
            }
            return out.asSlice(0, n);
        }

        @Override
        public JsonObject v2Json() {
            JsonObject o = new JsonObject();
            o.addProperty("id", "zstd");
            o.addProperty("level", level);
            return o;
        }

        @Override
        public JsonObject v3Json() {
            JsonObject cf = new JsonObject();
            cf.addProperty("level", level);
            cf.addProperty("checksum", false);
            return Json.codec("zstd", cf);
        }
    }

    /** Deflate: zlib's format (v2 {@code zlib}) or gzip's (v2 and v3 {@code gzip}), java.util.zip. */
    static final class DeflateCodec implements BytesCodec {
        private final boolean gzip;
        private final int level;

        DeflateCodec(boolean gzip, int level) {
            this.gzip = gzip;
            this.level = level;
        }

        @Override
        public String name() {
            return gzip ? "gzip" : "zlib";
        }

        @Override
        public MemorySegment decode(MemorySegment src, long expected, SegmentAllocator arena) {
            checkSize(src.byteSize(), "a " + name() + " chunk");
            ByteBuffer in = buffer(src);
            if (gzip) {
                skipGzipHeader(in);
            }
            Inflater inf = new Inflater(gzip);
            try {
                inf.setInput(in);
                long cap = expected >= 0 ? expected : Math.max(1024, 4 * src.byteSize());
                MemorySegment out = arena.allocate(Math.max(1, cap), 64);
                long n = 0;
                while (true) {
                    ByteBuffer o = buffer(out).position((int) n);
                    n += inf.inflate(o);
                    if (inf.finished()) {
                        break;
                    }
                    if (inf.needsInput() || inf.needsDictionary()) {
                        throw new ChunkException(name() + " data ends early (truncated chunk)");
                    }
                    if (n == out.byteSize()) {
                        if (expected >= 0) {
                            throw new ChunkException(name() + " data decodes to more than the chunk's " + expected
                                    + " bytes");
                        }
                        checkSize(2 * out.byteSize(), "a decoded " + name() + " chunk");
                        MemorySegment bigger = arena.allocate(2 * out.byteSize(), 64);
                        bigger.copyFrom(out);
                        out = bigger;
                    }
                }
                if (gzip) {
                    checkGzipTrailer(in, out.asSlice(0, n));
                }
                if (expected >= 0 && n != expected) {
                    throw new ChunkException(name() + " data decodes to " + n + " bytes, the chunk is " + expected);
                }
                return out.asSlice(0, n);
            } catch (DataFormatException e) {
                throw new ChunkException(name() + " data is damaged (" + e.getMessage() + ")");
            } finally {
                inf.end();
            }
        }

        private static void skipGzipHeader(ByteBuffer in) {
            if (in.remaining() < 18 || (in.get(0) & 0xff) != 0x1f || (in.get(1) & 0xff) != 0x8b || in.get(2) != 8) {
                throw new ChunkException("not gzip data (no gzip header)");
            }
            int flags = in.get(3) & 0xff;
            int p = 10;
            try {
                if ((flags & 4) != 0) {
                    p += 2 + ((in.get(p) & 0xff) | (in.get(p + 1) & 0xff) << 8);
                }
                if ((flags & 8) != 0) {
                    while (in.get(p++) != 0) {
                        // file name
                    }
                }
                if ((flags & 16) != 0) {
                    while (in.get(p++) != 0) {
                        // comment
                    }
                }
                if ((flags & 2) != 0) {
                    p += 2;
                }
            } catch (IndexOutOfBoundsException e) {
                throw new ChunkException("gzip header is truncated");
            }
            in.position(p);
        }

        private static void checkGzipTrailer(ByteBuffer in, MemorySegment data) {
            // the inflater stops at the end of the deflate stream: the 8-byte trailer follows
            int end = in.position();
            if (in.limit() - end < 8) {
                throw new ChunkException("gzip data ends early (no trailer: truncated chunk)");
            }
            CRC32 crc = new CRC32();
            crc.update(buffer(data));
            int want = in.order(ByteOrder.LITTLE_ENDIAN).getInt(end);
            int size = in.getInt(end + 4);
            if ((int) crc.getValue() != want || size != (int) data.byteSize()) {
                throw new ChunkException("gzip checksum does not match (damaged chunk)");
            }
        }

        @Override
        public MemorySegment encode(MemorySegment src, SegmentAllocator arena) {
            checkSize(src.byteSize(), "a chunk");
            Deflater def = new Deflater(level, gzip);
            try {
                long cap = src.byteSize() + src.byteSize() / 1000 + 64 + 18;
                MemorySegment out = arena.allocate(cap, 64);
                ByteBuffer o = buffer(out);
                if (gzip) {
                    o.put(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
                }
                def.setInput(buffer(src));
                def.finish();
                while (!def.finished()) {
                    if (!o.hasRemaining()) {
                        throw new IllegalStateException(name() + ": output bound too small");
                    }
                    def.deflate(o);
                }
                if (gzip) {
                    CRC32 crc = new CRC32();
                    crc.update(buffer(src));
                    o.putInt((int) crc.getValue());
                    o.putInt((int) src.byteSize());
                }
                return out.asSlice(0, o.position());
            } finally {
                def.end();
            }
        }

        @Override
        public JsonObject v2Json() {
            JsonObject o = new JsonObject();
            o.addProperty("id", name());
            o.addProperty("level", level);
            return o;
        }

        @Override
        public JsonObject v3Json() {
            JsonObject cf = new JsonObject();
            cf.addProperty("level", level);
            return Json.codec("gzip", cf);
        }
    }

    /** Blosc 1 through FFM to Debian's libblosc1 ({@link Blosc}). */
    static final class BloscCodec implements BytesCodec {
        private final String cname;
        private final int clevel;
        private final int shuffle;
        private final int typesize;
        private final int blocksize;

        BloscCodec(String cname, int clevel, int shuffle, int typesize, int blocksize) {
            this.cname = cname;
            this.clevel = clevel;
            this.shuffle = shuffle;
            this.typesize = typesize;
            this.blocksize = blocksize;
        }

        @Override
        public String name() {
            return "blosc";
        }

        @Override
        public MemorySegment decode(MemorySegment src, long expected, SegmentAllocator arena) {
            return Blosc.decompress(src, expected, arena);
        }

        @Override
        public MemorySegment encode(MemorySegment src, SegmentAllocator arena) {
            return Blosc.compress(src, clevel, shuffle, typesize, cname, blocksize, arena);
        }

        @Override
        public JsonObject v2Json() {
            JsonObject o = new JsonObject();
            o.addProperty("id", "blosc");
            o.addProperty("cname", cname);
            o.addProperty("clevel", clevel);
            o.addProperty("shuffle", shuffle);
            o.addProperty("blocksize", blocksize);
            return o;
        }

        @Override
        public JsonObject v3Json() {
            JsonObject cf = new JsonObject();
            cf.addProperty("cname", cname);
            cf.addProperty("clevel", clevel);
            cf.addProperty("shuffle", shuffle == 0 ? "noshuffle" : shuffle == 1 ? "shuffle" : "bitshuffle");
            cf.addProperty("typesize", typesize);
            cf.addProperty("blocksize", blocksize);
            return Json.codec("blosc", cf);
        }
    }

    /** v3 {@code crc32c}: the CRC32C of the bytes before it, 4 bytes little-endian at the end. */
    static final class Crc32cCodec implements BytesCodec {
        @Override
        public String name() {
            return "crc32c";
        }

        @Override
        public MemorySegment decode(MemorySegment src, long expected, SegmentAllocator arena) {
            if (src.byteSize() < 4) {
                throw new ChunkException("shorter than its crc32c checksum (truncated chunk)");
            }
            MemorySegment data = src.asSlice(0, src.byteSize() - 4);
            CRC32C crc = new CRC32C();
            crc.update(buffer(data));
            int want = src.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), src.byteSize() - 4);
            if ((int) crc.getValue() != want) {
                throw new ChunkException("crc32c checksum does not match (damaged chunk)");
            }
            return data;
        }

        @Override
        public MemorySegment encode(MemorySegment src, SegmentAllocator arena) {
            MemorySegment out = arena.allocate(src.byteSize() + 4, 64);
            out.copyFrom(src);
            CRC32C crc = new CRC32C();
            crc.update(buffer(src));
            out.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), src.byteSize(),
                    (int) crc.getValue());
            return out;
        }

        @Override
        public JsonObject v2Json() {
            return null;
        }

        @Override
        public JsonObject v3Json() {
            return Json.codec("crc32c", null);
        }
    }

    /** A metadata value that names a codec Penumbra does not have. */
    static final class UnknownCodecException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnknownCodecException(String message) {
            super(message);
        }
    }
}
