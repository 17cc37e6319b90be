package dev.penumbra.backend.ffm;

/**
 * The constants of {@code native/include/penumbra.h}, in one Java place: the ABI version the loader
 * checks against {@code penumbra_version()}, the capability bits of {@code penumbra_caps()}, the
 * symmetry codes the kernels take and the integer types of the cast. {@code NativeAbiTest} reads the header and fails when the two
 * disagree.
 */
final class NativeAbi {
    /** {@code PENUMBRA_ABI_VERSION}: bumped when a signature changes; the loader refuses another. */
    static final int VERSION = 5;

    /** {@code PENUMBRA_CAP_*}: what {@code penumbra_caps()} reports of the CPU (and the OS's AVX state). */
    static final int CAP_AVX2 = 1;
    static final int CAP_FMA = 2;
    static final int CAP_AVX512F = 4;

    /** {@code PENUMBRA_SYM_*}: how a kernel's weights are folded (Kernel1D.Symmetry). */
    static final int SYM_NONE = 0;
    static final int SYM_SYMMETRIC = 1;
    static final int SYM_ANTISYMMETRIC = 2;
    /** {@code PENUMBRA_ROUNDED_PRODUCTS}: ORed into a double kernel's symmetry code, products rounded then added. */
    static final int ROUNDED_PRODUCTS = 4;

    /** {@code PENUMBRA_INT_*}: the integer output types {@code penumbra_cast_f64} casts to. */
    static final int INT_U8 = 1;
    static final int INT_I8 = 2;
    static final int INT_U16 = 3;
    static final int INT_I16 = 4;
    static final int INT_I32 = 5;
    static final int INT_U32 = 6;
    static final int INT_I64 = 7;

    /** {@code PENUMBRA_FOLD_*}: how {@code penumbra_fold_*} folds a term. */
    static final int FOLD_FIRST = 1;
    static final int FOLD_LAST = 2;
    static final int FOLD_HYPOT = 4;

    /** The flags of a fold: the first term, the last, a HYPOT sum of squares. */
    static int foldFlags(boolean first, boolean last, boolean hypot) {
        return (first ? FOLD_FIRST : 0) | (last ? FOLD_LAST : 0) | (hypot ? FOLD_HYPOT : 0);
    }

    private NativeAbi() {
    }
}
