package dev.penumbra.cli;

import dev.penumbra.engine.Monitor;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long CLI run on stderr, from the engine's {@link Monitor}: nothing for the first
 * 2 s; then a bar redrawn in place when stderr is a terminal (the launcher says so in
 * {@code PENUMBRA_STDERR_TTY}), else a plain line every 5 s. {@link #close()} clears the bar.
 */
final class Progress implements Monitor.Listener, AutoCloseable {
    private static final long QUIET_NANOS = 2_000_000_000L;

    private final long quietNanos;
    private final PrintWriter err;
    private final boolean tty;
    private final String what;
    private final long start = System.nanoTime();
    private long lastPrint;
    private boolean drawn;

    Progress(PrintWriter err, String what) {
        this(err, "1".equals(System.getenv("PENUMBRA_STDERR_TTY")), what);
    }

    Progress(PrintWriter err, boolean tty, String what) {
        this(err, tty, what, QUIET_NANOS);
    }

    Progress(PrintWriter err, boolean tty, String what, long quietNanos) {
        this.quietNanos = quietNanos;
        this.err = err;
        this.tty = tty;
        this.what = what;
    }

    @Override
    public void progress(long done, long total) {
        long now = System.nanoTime();
        if (now - start < quietNanos || total <= 0) {
            return;
        }
        synchronized (this) {
            if (now - lastPrint < (tty ? 200_000_000L : 5_000_000_000L)) {
                return;
            }
            lastPrint = now;
            double f = Math.min(1, (double) done / total);
            double s = (now - start) / 1e9;
            if (tty) {
                int width = 30;
                int full = (int) Math.round(f * width);
                err.printf(Locale.ROOT, "\rpenumbra: [%s%s] %3.0f %% %.1f s", "#".repeat(full), ".".repeat(width - full),
                        100 * f, s);
                drawn = true;
            } else {
                err.printf(Locale.ROOT, "penumbra: %s: %.0f %% after %.1f s%n", what, 100 * f, s);
            }
            err.flush();
        }
    }

    /** Clears the bar, so that what follows (a result line or an error) starts a clean line. */
    @Override
    public synchronized void close() {
        if (drawn) {
            err.print("\r" + " ".repeat(60) + "\r");
            err.flush();
            drawn = false;
        }
    }
}
