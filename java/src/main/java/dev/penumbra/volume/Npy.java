package dev.penumbra.volume;

import dev.penumbra.BadVolumeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The numpy {@code .npy} format, versions 1.0, 2.0 and 3.0: a magic string, a version, a header
 * length, and a Python dict literal with {@code descr}, {@code fortran_order} and {@code shape}.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final long MAX_HEADER = 1 << 20;

    private Npy() {
    }

    /** What a {@code .npy} header says about the data that follows it. */
    public record Header(DType dtype, ByteOrder order, boolean fortranOrder, long[] shape, long dataOffset,
                         int major, int minor) {
        public Header {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Header h && dtype == h.dtype && order.equals(h.order) && fortranOrder == h.fortranOrder
                    && Arrays.equals(shape, h.shape) && dataOffset == h.dataOffset && major == h.major
                    && minor == h.minor;
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, order, fortranOrder, Arrays.hashCode(shape), dataOffset, major, minor);
        }

        @Override
        public String toString() {
            return "Npy.Header[" + dtype.numpyName() + " " + order + (fortranOrder ? " fortran " : " C ")
                    + Arrays.toString(shape) + " data at " + dataOffset + ", version " + major + "." + minor + "]";
        }

        /** Bytes of data the header announces. */
        public long dataBytes() {
            return Shapes.elementCount(shape, "shape") * dtype.size();
        }

        /** Element strides of the data: C or Fortran order as the header says. */
        public long[] strides() {
            return fortranOrder ? Shapes.fStrides(shape) : Shapes.cStrides(shape);
        }
    }

    /** Reads and checks the header of {@code file}; the data must be as long as the header says. */
    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            while (pre.hasRemaining() && ch.read(pre) > 0) {
                // read the fixed prelude
            }
            pre.flip();
            if (pre.remaining() < 10 || !hasMagic(pre)) {
                throw new BadVolumeException(file + ": not a .npy file (bad magic: expected \\x93NUMPY)");
            }
            int major = pre.get(6) & 0xff;
            int minor = pre.get(7) & 0xff;
            long headerLen;
            int prelude;
            if (minor != 0) {
                // numpy writes and reads only 1.0, 2.0 and 3.0
                major = -1;
            }
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xffff;
                prelude = 10;
            } else if (major == 2 || major == 3) {
                if (pre.remaining() < 12) {
                    throw new BadVolumeException(file + ": .npy header is cut short");
                }
                headerLen = pre.getInt(8) & 0xffffffffL;
                prelude = 12;
            } else {
                throw new BadVolumeException(file + ": unsupported .npy format version " + (pre.get(6) & 0xff) + "."
                        + minor + " (expected 1.0, 2.0 or 3.0)");
            }
            if (headerLen == 0 || headerLen > MAX_HEADER || prelude + headerLen > size) {
                throw new BadVolumeException(file + ": .npy header length " + headerLen
                        + " is impossible for a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, prelude);
            String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = parseDict(file, text, prelude + headerLen, major, minor);
            long need = h.dataBytes();
            if (size - h.dataOffset() < need) {
                throw new BadVolumeException(file + ": data is shorter than the header says (shape "
                        + Arrays.toString(h.shape()) + " of " + h.dtype().numpyName() + " needs " + need
                        + " bytes, the file has " + (size - h.dataOffset()) + ")");
            }
            if (size - h.dataOffset() > need) {
                // numpy would ignore them; here they mean a damaged file or a header that lies
                throw new BadVolumeException(file + ": " + (size - h.dataOffset() - need) + " bytes follow the data"
                        + " the header describes (shape " + Arrays.toString(h.shape()) + " of "
                        + h.dtype().numpyName() + " needs " + need + " bytes): a damaged file or a wrong header");
            }
            return h;
        } catch (IOException e) {
            throw new BadVolumeException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean hasMagic(ByteBuffer b) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Parses the header dict, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. */
    static Header parseDict(Path file, String text, long dataOffset, int major, int minor) {
        DictParser p = new DictParser(file, text);
        String descr = null;
        Boolean fortran = null;
        long[] shape = null;
        p.expect('{');
        while (!p.peek('}')) {
            String key = p.string();
            p.expect(':');
            switch (key) {
                case "descr" -> {
                    if (p.peek('[')) {
                        throw new BadVolumeException(file + ": structured dtypes are not supported"
                                + " (expected a plain numeric descr such as '<f4')");
                    }
                    descr = p.string();
                }
                case "fortran_order" -> fortran = p.bool();
                case "shape" -> shape = p.tuple();
                default -> throw new BadVolumeException(file + ": unexpected key '" + key + "' in .npy header");
            }
            if (!p.peek('}')) {
                p.expect(',');
            }
        }
        p.expect('}');
        if (!p.atEnd()) {
            throw p.error("the end of the header after its dictionary");
        }
        if (descr == null || fortran == null || shape == null) {
            throw new BadVolumeException(file + ": .npy header lacks "
                    + (descr == null ? "'descr'" : fortran == null ? "'fortran_order'" : "'shape'"));
        }
        if (shape.length == 0 || shape.length > Volume.MAX_RANK) {
            throw new BadVolumeException(file + ": rank " + shape.length + " is not supported (expected 1 to "
                    + Volume.MAX_RANK + " axes)");
        }
        try {
            Shapes.elementCount(shape, "shape");
        } catch (RuntimeException e) {
            throw new BadVolumeException(file + ": " + e.getMessage());
        }
        DType dtype;
        ByteOrder order;
        char bo = descr.isEmpty() ? '?' : descr.charAt(0);
        String code = "<>|=".indexOf(bo) >= 0 ? descr.substring(1) : descr;
        if (code.startsWith("O")) {
            throw new BadVolumeException(file + ": object dtype '" + descr
                    + "' (pickled Python objects) is refused; expected a numeric dtype");
        }
        dtype = DType.fromCode(code);
        if (dtype == null) {
            throw new BadVolumeException(file + ": unsupported dtype '" + descr
                    + "' (expected u1 i1 u2 i2 u4 i4 i8 f4 f8 in either byte order)");
        }
        order = bo == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        try {
            Math.multiplyExact(Shapes.elementCount(shape, "shape"), (long) dtype.size());
        } catch (ArithmeticException e) {
            throw new BadVolumeException(file + ": shape " + Arrays.toString(shape)
                    + " needs more bytes than fit in a 64-bit size");
        }
        return new Header(dtype, order, fortran, shape, dataOffset, major, minor);
    }

    /** The bytes of a version 1.0 (or 2.0 when needed) header for C-ordered little-endian data. */
    public static byte[] header(DType dtype, long[] shape) {
        StringBuilder sb = new StringBuilder();
        sb.append("{'descr': '").append(dtype.size() == 1 ? '|' : '<').append(dtype.code())
                .append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) {
                sb.append(shape.length == 1 ? "," : ", ");
            }
        }
        sb.append("), }");
        int prelude = 10;
        int total = prelude + sb.length() + 1;
        if (total + 63 > 0xffff) {
            prelude = 12;
        }
        int padded = (prelude + sb.length() + 1 + 63) / 64 * 64;
        while (prelude + sb.length() + 1 < padded) {
            sb.append(' ');
        }
        sb.append('\n');
        byte[] dict = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(prelude + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC);
        if (prelude == 10) {
            out.put((byte) 1).put((byte) 0).putShort((short) dict.length);
        } else {
            out.put((byte) 2).put((byte) 0).putInt(dict.length);
        }
        out.put(dict);
        return out.array();
    }

    /** A minimal reader of the Python literals that appear in .npy headers. */
    private static final class DictParser {
        private final Path file;
        private final String s;
        private int i;

        DictParser(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        boolean atEnd() {
            skip();
            return i >= s.length();
        }

        BadVolumeException error(String expected) {
            String near = s.substring(Math.min(i, s.length()), Math.min(s.length(), i + 20)).strip();
            return new BadVolumeException(file + ": malformed .npy header: expected " + expected + " at offset " + i
                    + (near.isEmpty() ? "" : " near '" + near + "'"));
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        boolean peek(char c) {
            skip();
            return i < s.length() && s.charAt(i) == c;
        }

        void expect(char c) {
            if (!peek(c)) {
                throw error("'" + c + "'");
            }
            i++;
        }

        String string() {
            skip();
            if (i >= s.length() || (s.charAt(i) != '\'' && s.charAt(i) != '"')) {
                throw error("a quoted string");
            }
            char q = s.charAt(i++);
            int end = s.indexOf(q, i);
            if (end < 0) {
                throw error("a closing quote");
            }
            String v = s.substring(i, end);
            i = end + 1;
            return v;
        }

        boolean bool() {
            skip();
            if (s.startsWith("True", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return false;
            }
            throw error("True or False for 'fortran_order'");
        }

        long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (!peek(')')) {
                skip();
                int start = i;
                while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) {
                    i++;
                }
                if (start == i) {
                    throw error("a whole number in 'shape'");
                }
                long d;
                try {
                    d = Long.parseLong(s.substring(start, i));
                } catch (NumberFormatException e) {
                    throw new BadVolumeException(file + ": shape extent '" + s.substring(start, i)
                            + "' does not fit in 64 bits");
                }
                if (d < 0) {
                    throw new BadVolumeException(file + ": shape extent " + d + " is negative");
                }
                dims.add(d);
                if (!peek(')')) {
                    expect(',');
                }
            }
            expect(')');
            long[] out = new long[dims.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = dims.get(k);
            }
            return out;
        }
    }
}
