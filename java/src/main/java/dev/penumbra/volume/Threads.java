package dev.penumbra.volume;

/** Waiting for the threads an output keeps (a syncer) when it is finished or closed. */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits until {@code t} has ended, however often the caller is interrupted meanwhile (an output
     * being closed must not leave its thread working on a file being deleted); the caller's
     * interrupt flag is set again after.
     */
    public static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
