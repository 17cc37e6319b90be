package dev.penumbra.filter;

/** One 1-D correlation along {@code axis}, with the line extended by {@code mode}. */
public record Pass(int axis, Kernel1D kernel, BoundaryMode mode) {
}
