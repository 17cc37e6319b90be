package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress shown for long runs: a bar in place on a terminal, plain lines otherwise, nothing early. */
class ProgressTest {
    @Test
    void aTerminalGetsABarThatIsClearedAtTheEnd() {
        StringWriter w = new StringWriter();
        try (Progress p = new Progress(new PrintWriter(w), true, "gaussian in.npy", 0)) {
            p.progress(50, 100);
        }
        String s = w.toString();
        assertTrue(s.startsWith("\rpenumbra: [###############...............]  50 % "), s);
        assertTrue(s.endsWith("\r" + " ".repeat(60) + "\r"), "the bar is cleared: " + s);
    }

    @Test
    void otherwisePlainLinesAndNothingInTheFirstSeconds() {
        StringWriter w = new StringWriter();
        try (Progress p = new Progress(new PrintWriter(w), false, "gaussian in.npy", 0)) {
            p.progress(25, 100);
            p.progress(30, 100); // within 5 s of the last line: not printed
        }
        assertTrue(w.toString().matches("penumbra: gaussian in.npy: 25 % after \\d+\\.\\d s\\R"), w.toString());
        StringWriter quiet = new StringWriter();
        try (Progress p = new Progress(new PrintWriter(quiet), true, "x", 2_000_000_000L)) {
            p.progress(99, 100);
        }
        assertEquals("", quiet.toString());
    }
}
