package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * README.md followed as a newcomer would, in a temporary directory (tools/newcomer.sh): a filter on
 * one's own file, the library installed by README's command, README's sample app built and run with
 * README's lines, its class path free of the command line's dependencies, one line when the Vector
 * API flag is missing, and a wrongly shaped output refused.
 */
class NewcomerTest {
    @Test
    void readmesInstructionsWorkAsWritten() throws Exception {
        Path root = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
        Process p = new ProcessBuilder("bash", root.resolve("tools/newcomer.sh").toString(), root.toString())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(15, TimeUnit.MINUTES), "tools/newcomer.sh did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("newcomer: all checks hold"), text);
    }
}
