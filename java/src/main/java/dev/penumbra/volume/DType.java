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
     * The dtype of a filter's output, as scipy's: float64 for float64 input (or when asked for),
     * else float32; only float32 and float64 may be asked for.
     */
    public static DType filterOutput(DType input, DType requested) {
        if (requested != null) {
            if (requested != F32 && requested != F64) {
                throw new BadParameterException("output dtype", requested.numpyName()
                        + " is not supported (expected float32 or float64)");
            }
            return requested;
        }
        return input == F64 ? F64 : F32;
    }
}
