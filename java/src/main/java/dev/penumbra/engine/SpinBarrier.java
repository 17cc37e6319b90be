package dev.penumbra.engine;

import dev.penumbra.PenumbraException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A barrier that spins (members meet every millisecond or so; parking would cost more than the
 * wait) and can be broken: when a member fails, the others throw instead of waiting forever.
 */
final class SpinBarrier {
    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int generation;
    private volatile boolean broken;

    SpinBarrier(int parties) {
        this.parties = parties;
    }

    void await() {
        await(() -> { });
    }

    /** Waits for every party; the last to arrive runs {@code onTrip} before releasing the others. */
    void await(Runnable onTrip) {
        int gen = generation;
        if (arrived.incrementAndGet() == parties) {
            arrived.set(0);
            onTrip.run();
            generation = gen + 1;
            return;
        }
        int spins = 0;
        while (generation == gen) {
            if (broken) {
                throw new PenumbraException("stopped: another thread of the run failed");
            }
            if (++spins < 1 << 10) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // a member waiting for a core gets this one
            }
        }
    }

    void breakAll() {
        broken = true;
    }
}
