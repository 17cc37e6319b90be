package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class TeamTest {
    /** Two members claiming a group's gather rows at once take every row exactly once, then meet. */
    @Test
    void claimsCoverEveryRowOnceAndRestartAtEachMeeting() throws Exception {
        Team team = new Team(2);
        int rows = 53;
        team.rows(rows);
        for (int group = 0; group < 50; group++) {
            AtomicIntegerArray taken = new AtomicIntegerArray(rows);
            int[] count = new int[2];
            Thread[] members = new Thread[2];
            for (int m = 0; m < 2; m++) {
                int member = m;
                members[m] = new Thread(() -> {
                    int end = team.bound(team.size);
                    for (int r = team.claim(2); r < end; r = team.claim(2)) {
                        for (int e = Math.min(end, r + 2); r < e; r++) {
                            taken.incrementAndGet(r);
                            count[member]++;
                        }
                    }
                    team.barrier.await(team::meet);
                });
                members[m].start();
            }
            for (Thread t : members) {
                t.join();
            }
            for (int r = 0; r < rows; r++) {
                assertEquals(1, taken.get(r), "group " + group + " row " + r);
            }
            assertEquals(rows, count[0] + count[1]);
        }
    }

    /** The shares follow the members' measured speed; bounds stay ordered and cover every row. */
    @Test
    void sharesFollowSpeed() {
        Team team = new Team(2);
        team.rows(100);
        assertEquals(50, team.bound(1));
        team.worked(0, 50, 1_000_000); // member 0: three times as fast as member 1
        team.worked(1, 50, 3_000_000);
        team.meet();
        assertEquals(0, team.bound(0));
        assertEquals(75, team.bound(1));
        assertEquals(100, team.bound(2));
        assertTrue(team.claim(1) == 0, "claims restart at a meeting");
    }
}
