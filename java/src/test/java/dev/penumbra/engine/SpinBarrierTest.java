package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.penumbra.PenumbraException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SpinBarrierTest {
    @Test
    void membersMeetEveryRoundAndNobodyRunsAhead() throws Exception {
        SlabStream.SpinBarrier barrier = new SlabStream.SpinBarrier(3);
        AtomicInteger[] counts = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        int rounds = 2000;
        CompletableFuture<?>[] fs = new CompletableFuture<?>[3];
        for (int m = 0; m < 3; m++) {
            int me = m;
            fs[m] = CompletableFuture.runAsync(() -> {
                for (int r = 0; r < rounds; r++) {
                    counts[me].incrementAndGet();
                    barrier.await();
                    // after a meeting every member has arrived at least this round
                    for (AtomicInteger c : counts) {
                        if (c.get() < r + 1) {
                            throw new AssertionError("a member ran past the barrier at round " + r);
                        }
                    }
                    barrier.await();
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor());
        }
        CompletableFuture.allOf(fs).get(60, TimeUnit.SECONDS);
        for (AtomicInteger c : counts) {
            assertEquals(rounds, c.get());
        }
    }

    @Test
    void aBrokenBarrierReleasesTheWaitersWithAnError() throws Exception {
        SlabStream.SpinBarrier barrier = new SlabStream.SpinBarrier(2);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(barrier::await);
        Thread.sleep(50);
        barrier.breakAll();
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> waiter.get(10, TimeUnit.SECONDS));
        assertEquals(PenumbraException.class, e.getCause().getClass());
        assertEquals("stopped: another thread of the run failed", e.getCause().getMessage());
    }
}
