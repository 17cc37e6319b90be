package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.penumbra.PenumbraException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class SpinBarrierTest {
    @Test
    void membersMeetEveryRoundAndNobodyRunsAhead() throws Exception {
        SpinBarrier barrier = new SpinBarrier(3);
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
            }, Executors.newSingleThreadExecutor());
        }
        CompletableFuture.allOf(fs).get(60, TimeUnit.SECONDS);
        for (AtomicInteger c : counts) {
            assertEquals(rounds, c.get());
        }
    }

    @Test
    void aBrokenBarrierReleasesTheWaitersWithAnError() throws Exception {
        SpinBarrier barrier = new SpinBarrier(2);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(barrier::await);
        Thread.sleep(50);
        barrier.breakAll();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> waiter.get(10, TimeUnit.SECONDS));
        assertEquals(PenumbraException.class, e.getCause().getClass());
        assertEquals("stopped: another thread of the run failed", e.getCause().getMessage());
    }

    @Test
    void theLastToArriveRunsTheTripActionBeforeAnyoneLeaves() throws Exception {
        SpinBarrier barrier = new SpinBarrier(2);
        AtomicInteger trips = new AtomicInteger();
        int rounds = 500;
        CompletableFuture<?>[] fs = new CompletableFuture<?>[2];
        for (int m = 0; m < 2; m++) {
            fs[m] = CompletableFuture.runAsync(() -> {
                for (int r = 0; r < rounds; r++) {
                    barrier.await(trips::incrementAndGet);
                    if (trips.get() < r + 1) {
                        throw new AssertionError("left meeting " + r + " before its trip action ran");
                    }
                }
            }, Executors.newSingleThreadExecutor());
        }
        CompletableFuture.allOf(fs).get(60, TimeUnit.SECONDS);
        assertEquals(rounds, trips.get());
    }

    @Test
    void aTeamSharesRowsByEachMembersMeasuredSpeed() {
        Team team = new Team(2);
        team.rows(50);
        assertEquals(List.of(0, 25, 50), bounds(team, 2));
        team.rebalance(); // nothing timed yet: equal shares stay
        assertEquals(List.of(0, 25, 50), bounds(team, 2));
        team.worked(0, 25, 100_000);
        team.worked(1, 25, 200_000); // member 1 took twice as long for the same rows
        team.rebalance();
        assertEquals(List.of(0, 33, 50), bounds(team, 2));
        team.worked(0, 33, 100_000);
        team.worked(1, 17, 51_515); // now equally fast per row: shares drift back (speeds are smoothed)
        team.rebalance();
        int mid = team.bound(1);
        Assertions.assertTrue(mid > 25 && mid < 33, "bound " + mid);
        // however lopsided, every member keeps at least one row
        Team three = new Team(3);
        three.rows(6);
        three.worked(0, 2, 1);
        three.worked(1, 2, 1_000_000_000L);
        three.worked(2, 2, 1_000_000_000L);
        three.rebalance();
        assertEquals(List.of(0, 4, 5, 6), bounds(three, 3));
    }

    private static List<Integer> bounds(Team t, int size) {
        List<Integer> b = new ArrayList<>();
        for (int j = 0; j <= size; j++) {
            b.add(t.bound(j));
        }
        return b;
    }
}
