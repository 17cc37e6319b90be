package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Listed for --help; the ./penumbra launcher runs the suite itself (Maven's test phase). */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = "Run the whole test suite (JUnit 5 through Maven); handled by the ./penumbra launcher.")
final class TestCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new BadParameterException("test: run it through the launcher, ./penumbra test (it runs mvn test)");
    }
}
