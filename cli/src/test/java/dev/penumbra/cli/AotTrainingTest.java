package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The AOT cache's training run takes its command lines from its arguments, split at "+". */
class AotTrainingTest {
    @Test
    void commandLinesAreSplitAtThePlusSign() {
        assertEquals(List.of(List.of("gaussian", "--sigma", "2", "a.npy", "b.npy"), List.of("laplace", "c.npy", "d.npy")),
                AotTraining.commands(new String[] {"gaussian", "--sigma", "2", "a.npy", "b.npy", "+", "+",
                        "laplace", "c.npy", "d.npy", "+"}));
        assertEquals(List.of(), AotTraining.commands(new String[] {"+"}));
    }
}
