package dev.penumbra.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The training run of the JDK AOT cache the launcher makes after each build ({@code -XX:AOTCacheOutput}):
 * several filter commands, one after another in one JVM, started as {@link Main#main} starts one, so
 * that the cache holds the classes each of their paths loads and links, not only one path's (a
 * cache trained on float32 alone left a uint16 command 1.41 s where one trained on uint16 took 1.34 s).
 * Arguments: the command lines, separated by {@value #SEPARATOR}. Output is discarded; the exit
 * status is the first failing command's, or 0.
 */
final class AotTraining {
    /** Separates the command lines among the arguments. */
    static final String SEPARATOR = "+";

    private AotTraining() {
    }

    public static void main(String[] args) {
        Main.startNativeLoad();
        PrintWriter quiet = new PrintWriter(OutputStream.nullOutputStream(), true);
        int status = 0;
        for (List<String> command : commands(args)) {
            int code = Main.execute(command.toArray(String[]::new), quiet, quiet);
            if (status == 0 && code != 0) {
                status = code;
            }
        }
        System.exit(status);
    }

    /** The command lines among {@code args}, split at {@link #SEPARATOR}; empty ones dropped. */
    static List<List<String>> commands(String[] args) {
        List<List<String>> all = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String a : Arrays.asList(args)) {
            if (SEPARATOR.equals(a)) {
                if (!current.isEmpty()) {
                    all.add(current);
                }
                current = new ArrayList<>();
            } else {
                current.add(a);
            }
        }
        if (!current.isEmpty()) {
            all.add(current);
        }
        return all;
    }
}
