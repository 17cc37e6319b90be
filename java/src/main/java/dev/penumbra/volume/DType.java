package dev.penumbra.volume;

import dev.penumbra.BadParameterException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;

/** Element types Penumbra reads, with their numpy type codes ({@code u1 ... f8}). */
public enum DType {
    U8("u1", "uint8", 1, false),
    I8("i1", "int8", 1, false),
    U16("u2", "uint16", 2, false),
    I16("i2", "int16", 2, false),
    U32("u4", "uint32", 4, false),
    I32("i4", "int32", 4, false),
    I64("i8", "int64", 8, false),
    F32("f4", "float32", 4, true),
    F64("f8", "float64", 8, true);

    private final String code;
    private final String numpyName;
    private final int size;
    private final boolean floating;

    DType(String code, String numpyName, int size, boolean floating) {
        this.code = code;
        this.numpyName = numpyName;
        this.size = size;
        this.floating = floating;
    }

    /** numpy's kind+size code without byte order, e.g. {@code f4}. */
    public String code() {
        return code;
    }

    /** numpy's name, e.g. {@code float32}. */
    public String numpyName() {
        return numpyName;
    }

    /** Bytes an element takes. */
    public int size() {
        return size;
    }

    /** True for float32 and float64. */
    public boolean isFloating() {
        return floating;
    }

    /** The unaligned layout of one element in the given byte order. */
    public ValueLayout layout(ByteOrder order) {
        return switch (this) {
            case U8, I8 -> ValueLayout.JAVA_BYTE;
            case U16, I16 -> ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
            case U32, I32 -> ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
            case I64 -> ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order);
            case F32 -> ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order);
            case F64 -> ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
        };
    }

    /**
     * Parses a user's dtype name: numpy names ({@code float32}), the bit-size forms
     * {@code u8 i8 u16 i16 u32 i32 i64 f32 f64}, and numpy codes ({@code f4}) where they do not
     * clash with a bit-size form.
     */
    public static DType parse(String name, String parameter) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        // bit-size forms first: "i8" is int8 here, as the CLI contract has it, not numpy's code for int64
        for (DType t : values()) {
            if (n.equals(t.numpyName) || n.equals(t.name().toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        for (DType t : values()) {
            if (n.equals(t.code)) {
                return t;
            }
        }
        throw new BadParameterException(parameter + ": unknown dtype '" + name
                + "' (expected one of uint8 int8 uint16 int16 uint32 int32 int64 float32 float64)");
    }

    /** The type for a numpy code without byte-order character, or null. */
    public static DType fromCode(String code) {
        for (DType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        return null;
    }

    /**
     * The dtype of a filter's output: the one asked for (any type: integer outputs follow scipy's
     * casts, {@link #castLikeC}), else float64 for float64 input and float32 for the rest — Penumbra's
     * default (scipy's own default is the input's dtype: ask for it).
     */
    public static DType filterOutput(DType input, DType requested) {
        if (requested != null) {
            return requested;
        }
        return input == F64 ? F64 : F32;
    }

    /**
     * The value an element of this type holds after scipy stores {@code v} in it: floats round to
     * nearest; integers as C's cast does on x86-64 (what scipy's C code gives): truncation toward
     * zero, then the low bits (modular wrap-around) — through a 32-bit conversion for 8-, 16- and
     * 32-bit signed types, a 64-bit one for uint32 and int64, where a value out of that range or NaN
     * gives the conversion's "indefinite" value (the minimum). As a double (exact but for int64
     * beyond 2^53).
     */
    public double castLikeC(double v) {
        return switch (this) {
            case F32 -> (float) v;
            case F64 -> v;
            case U8 -> cvt32(v) & 0xff;
            case I8 -> (byte) cvt32(v);
            case U16 -> cvt32(v) & 0xffff;
            case I16 -> (short) cvt32(v);
            case I32 -> (int) cvt32(v);
            case U32 -> cvt64(v) & 0xffffffffL;
            case I64 -> cvt64(v);
        };
    }

    /** {@code v} wrapped into this integer type (numpy's integer arithmetic), as a double. */
    public double wrap(long v) {
        return switch (this) {
            case U8 -> v & 0xff;
            case I8 -> (byte) v;
            case U16 -> v & 0xffff;
            case I16 -> (short) v;
            case I32 -> (int) v;
            case U32 -> v & 0xffffffffL;
            case I64, F32, F64 -> v;
        };
    }

    /**
     * numpy's {@code sqrt(x, out=x, casting='unsafe')} on an array of this type: computed in float16
     * for 8-bit integers, float32 for 16-bit ones and float32 data, float64 otherwise, then stored
     * in this type ({@link #castLikeC}).
     */
    public double sqrtLikeNumpy(double v) {
        double r = switch (this) {
            case U8, I8 -> Float.float16ToFloat(Float.floatToFloat16(
                    (float) Math.sqrt(Float.float16ToFloat(Float.floatToFloat16((float) v)))));
            case U16, I16, F32 -> (float) Math.sqrt((float) v);
            default -> Math.sqrt(v);
        };
        return castLikeC(r);
    }

    /** x86's cvttsd2si to 32 bits: the truncation when it fits, else the indefinite value. */
    private static long cvt32(double v) {
        return v < 0x1p31 && v > -0x1p31 - 1 ? (long) v : Integer.MIN_VALUE;
    }

    /** x86's cvttsd2si to 64 bits. */
    private static long cvt64(double v) {
        return v < 0x1p63 && v >= -0x1p63 ? (long) v : Long.MIN_VALUE;
    }
}
