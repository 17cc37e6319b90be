package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.PenumbraException;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import java.lang.reflect.InvocationTargetException;
import dev.penumbra.zarr.ZarrOutput;
import java.nio.file.Path;

/**
 * The bridge to the optional spark module ({@code dev.penumbra.spark.SparkFilters}), looked up by
 * name so that the core library does not carry Spark: the launcher puts the module and Spark's
 * jars on the classpath when a command asks for {@code --master}.
 */
final class Spark {
    private Spark() {
    }

    /** Runs the job on Spark and returns the run's statistics as one line. */
    static String apply(FilterSpec fs, Path input, String dataset, RawLayout raw, Path output, DType outType,
                        ZarrOutput zarr, Schedule schedule, String master) {
        if (!master.startsWith("local") && !master.startsWith("spark://")) {
            throw new BadParameterException("master: '" + master + "' (expected local[N] or spark://HOST:PORT)");
        }
        Class<?> c;
        try {
            c = Class.forName("dev.penumbra.spark.SparkFilters");
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BadParameterException("master: the Spark module is not on the classpath (build it with"
                    + " ./penumbra test or mvn package; the launcher adds spark/target when --master is given)");
        }
        try {
            Object stats = c.getMethod("applyToFile", FilterSpec.class, Path.class, String.class, RawLayout.class,
                    Path.class, DType.class, ZarrOutput.class, Schedule.class, String.class).invoke(null, fs, input,
                    dataset, raw, output, outType, zarr, schedule, master);
            return (String) stats.getClass().getMethod("text").invoke(stats);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof PenumbraException p) {
                throw p;
            }
            throw new PenumbraException("spark: the job failed: " + PenumbraException.rootMessage(t), t);
        } catch (ReflectiveOperationException e) {
            throw new PenumbraException("spark: the Spark module does not match this build (" + e + ")", e);
        }
    }
}
