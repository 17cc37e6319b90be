package dev.penumbra.diagnostics;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * The one way Penumbra writes and reads JSON (Gson underneath): objects whose keys keep their
 * order, numbers rounded to a stated number of decimals (as the earlier printf output had them),
 * {@code null} for a number that is NaN or infinite, strings escaped by the JSON rules.
 *
 * <pre>{@code
 * String line = Json.object().put("op", "gaussian").put("median_ms", 12.3456, 2).toString();
 * // {"op":"gaussian","median_ms":12.35}
 * }</pre>
 */
public final class Json {
    // process-wide: Gson is immutable and thread-safe
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private Json() {
    }

    /** A new, empty object. */
    public static Obj object() {
        return new Obj();
    }

    /** Parses a JSON text (a {@link com.google.gson.JsonParseException} when it is not JSON). */
    public static JsonElement parse(String text) {
        return JsonParser.parseString(text);
    }

    /** {@code v} rounded half-up to {@code decimals} places, trailing zeros kept; null when not finite. */
    static JsonElement number(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return JsonNull.INSTANCE;
        }
        return new JsonPrimitive(BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP));
    }

    /** A JSON object under construction; keys appear in the order they were put. */
    public static final class Obj {
        private final JsonObject o = new JsonObject();

        /** A string (null for JSON null). */
        public Obj put(String key, String value) {
            o.add(key, value == null ? JsonNull.INSTANCE : new JsonPrimitive(value));
            return this;
        }

        /** A whole number. */
        public Obj put(String key, long value) {
            o.addProperty(key, value);
            return this;
        }

        /** A boolean. */
        public Obj put(String key, boolean value) {
            o.addProperty(key, value);
            return this;
        }

        /** A number as it is (its shortest exact decimal form; null when NaN or infinite). */
        public Obj put(String key, double value) {
            o.add(key, Double.isFinite(value) ? new JsonPrimitive(value) : JsonNull.INSTANCE);
            return this;
        }

        /** Numbers as they are. */
        public Obj put(String key, double[] values) {
            JsonArray a = new JsonArray();
            for (double v : values) {
                a.add(Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE);
            }
            o.add(key, a);
            return this;
        }

        /** A number rounded to {@code decimals} places (null when NaN or infinite). */
        public Obj put(String key, double value, int decimals) {
            o.add(key, number(value, decimals));
            return this;
        }

        /** A number with 3 significant digits in scientific notation (null when NaN or infinite). */
        public Obj putScientific(String key, double value) {
            o.add(key, !Double.isFinite(value) ? JsonNull.INSTANCE : value == 0 ? new JsonPrimitive(0)
                    : new JsonPrimitive(new BigDecimal(String.format(Locale.ROOT, "%.3e", value))));
            return this;
        }

        /** An array of whole numbers. */
        public Obj put(String key, long[] values) {
            JsonArray a = new JsonArray();
            for (long v : values) {
                a.add(v);
            }
            o.add(key, a);
            return this;
        }

        /** Numbers rounded to {@code decimals} places. */
        public Obj put(String key, double[] values, int decimals) {
            JsonArray a = new JsonArray();
            for (double v : values) {
                a.add(number(v, decimals));
            }
            o.add(key, a);
            return this;
        }

        /** A nested object. */
        public Obj put(String key, Obj value) {
            o.add(key, value.o);
            return this;
        }

        /** One line of JSON. */
        @Override
        public String toString() {
            return GSON.toJson(o);
        }
    }
}
