package dev.penumbra.backend.ffm;

/**
 * The constants of {@code native/include/penumbra.h}, in one Java place: the ABI version the loader
 * checks against {@code penumbra_version()}, the capability bits of {@code penumbra_caps()} and the
 * symmetry codes the kernels take. {@code NativeAbiTest} reads the header and fails when the two
 * disagree.
 */
final class NativeAbi {
    /** {@code PENUMBRA_ABI_VERSION}: bumped when a signature changes; the loader refuses another. */
    static final int VERSION = 3;

    /** {@code PENUMBRA_CAP_*}: what {@code penumbra_caps()} reports of the CPU (and the OS's AVX state). */
    static final int CAP_AVX2 = 1;
    static final int CAP_FMA = 2;
    static final int CAP_AVX512F = 4;

    /** {@code PENUMBRA_SYM_*}: how a kernel's weights are folded (Kernel1D.Symmetry). */
    static final int SYM_NONE = 0;
    static final int SYM_SYMMETRIC = 1;
    static final int SYM_ANTISYMMETRIC = 2;

    private NativeAbi() {
    }
}
