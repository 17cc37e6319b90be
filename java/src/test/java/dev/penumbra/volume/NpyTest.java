package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.BadVolumeException;
import dev.penumbra.Goldens;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    @Test
    void readsVersionsTwoAndThreeWrittenByNumpy() {
        Npy.Header v2 = Npy.readHeader(Goldens.dir().resolve("v2_f4_4x5.npy"));
        Npy.Header v3 = Npy.readHeader(Goldens.dir().resolve("v3_f4_4x5.npy"));
        assertEquals(2, v2.major());
        assertEquals(3, v3.major());
        assertArrayEquals(new long[] {4, 5}, v3.shape());
        assertEquals(DType.F32, v2.dtype());
        assertEquals(0, v2.dataOffset() % 16);
    }

    @Test
    void readsByteOrderAndFortranOrderWrittenByNumpy() {
        Npy.Header be = Npy.readHeader(Goldens.dir().resolve("bei4_C_5x6x7.npy"));
        assertEquals(ByteOrder.BIG_ENDIAN, be.order());
        assertEquals(DType.I32, be.dtype());
        Npy.Header f = Npy.readHeader(Goldens.dir().resolve("lef8_F_5x6x7.npy"));
        assertTrue(f.fortranOrder());
        assertArrayEquals(new long[] {1, 5, 30}, f.strides());
        Npy.Header u1 = Npy.readHeader(Goldens.dir().resolve("nau1_C_5x6x7.npy"));
        assertEquals(DType.U8, u1.dtype());
    }

    @Test
    void headerWeWriteIsWhatNumpyWrites() throws Exception {
        // numpy pads the header so that data starts on a multiple of 64 bytes, ends it with '\n'
        byte[] h = Npy.header(DType.F32, new long[] {50, 1104, 1104});
        assertEquals(0, h.length % 64);
        assertEquals('\n', h[h.length - 1]);
        String dict = new String(h, 10, h.length - 10, StandardCharsets.ISO_8859_1).strip();
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (50, 1104, 1104), }", dict);
        String oneD = new String(Npy.header(DType.F64, new long[] {7}), StandardCharsets.ISO_8859_1);
        assertTrue(oneD.contains("'shape': (7,)"), oneD);
        Path p = dir.resolve("x.npy");
        Files.write(p, concat(Npy.header(DType.I16, new long[] {2, 3}), new byte[12]));
        Npy.Header back = Npy.readHeader(p);
        assertEquals(DType.I16, back.dtype());
        assertArrayEquals(new long[] {2, 3}, back.shape());
        assertFalse(back.fortranOrder());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private Path npy(int major, String dict, int dataBytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] d = dict.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) d.length);
        } else {
            len.putInt(d.length);
        }
        out.write(len.array());
        out.write(d);
        out.write(new byte[dataBytes]);
        Path p = dir.resolve("bad-" + System.nanoTime() + ".npy");
        Files.write(p, out.toByteArray());
        return p;
    }

    private void refused(Path p, String expected) {
        BadVolumeException e = assertThrows(BadVolumeException.class, () -> VolumeFiles.mapNpy(p));
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void refusesBadFilesWithMessagesThatNameTheProblem() throws Exception {
        Path notNpy = dir.resolve("text.npy");
        Files.writeString(notNpy, "hello, this is not numpy");
        refused(notNpy, "bad magic");
        refused(npy(4, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8), "version 4.0");
        refused(npy(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n", 16), "object dtype");
        refused(npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", 8), "structured");
        refused(npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n", 16), "unsupported dtype '<c8'");
        refused(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 4), }\n", 8), "shorter than the header");
        refused(npy(1, "{'descr': '<f4', 'fortran_order': 1, 'shape': (2,), }\n", 8), "True or False");
        refused(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", 8), "negative");
        refused(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", 8),
                "64-bit");
        refused(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", 8), "rank 0");
        refused(npy(1, "{'descr': '<f4', 'shape': (2,), }\n", 8), "lacks 'fortran_order'");
        refused(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) \n", 8), "malformed");
        // header length pointing past the end of the file
        Path p = dir.resolve("long.npy");
        Files.write(p, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff, (byte) 0xff, '{'});
        refused(p, "header length 65535");
        refused(dir.resolve("missing.npy"), "no such file");
    }
}
