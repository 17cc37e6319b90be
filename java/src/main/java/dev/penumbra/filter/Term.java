package dev.penumbra.filter;

import java.util.List;

/**
 * One separable filter: 1-D passes applied one after the other, each storing its result in the
 * output dtype before the next reads it (as scipy stores intermediates in the output array).
 */
public record Term(List<Pass> passes) {
    public Term {
        passes = List.copyOf(passes);
    }

    /** Taps before the output position, summed over this term's passes on {@code axis}. */
    public int left(int axis) {
        int h = 0;
        for (Pass p : passes) {
            if (p.axis() == axis) {
                h += p.kernel().left();
            }
        }
        return h;
    }

    /** Taps after the output position, summed over this term's passes on {@code axis}. */
    public int right(int axis) {
        int h = 0;
        for (Pass p : passes) {
            if (p.axis() == axis) {
                h += p.kernel().right();
            }
        }
        return h;
    }

    /** The extension mode of the first pass on {@code axis}, or NEAREST when none runs there. */
    public BoundaryMode mode(int axis) {
        for (Pass p : passes) {
            if (p.axis() == axis) {
                return p.mode();
            }
        }
        return BoundaryMode.NEAREST;
    }
}
