package dev.penumbra.zarr;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

/** Reading Zarr metadata with Gson: every missing or mistyped field is one line that names it. */
final class Json {
    private Json() {
    }

    static final class MetadataException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MetadataException(String message) {
            super(message);
        }
    }

    static JsonObject parse(String text) {
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new MetadataException("is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (com.google.gson.JsonParseException e) {
            throw new MetadataException("is not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    static JsonElement get(JsonObject o, String key, String what) {
        JsonElement e = o.get(key);
        if (e == null) {
            throw new MetadataException("has no \"" + key + "\"" + (what.isEmpty() ? "" : " (" + what + ")"));
        }
        return e;
    }

    static String string(JsonObject o, String key, String what) {
        JsonElement e = get(o, key, what);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new MetadataException("\"" + key + "\" is not a string");
        }
        return e.getAsString();
    }

    static String stringOr(JsonObject o, String key, String dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsString();
    }

    static int intOr(JsonObject o, String key, int dflt) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        try {
            return e.getAsInt();
        } catch (RuntimeException x) {
            throw new MetadataException("\"" + key + "\" is not a whole number");
        }
    }

    static long[] longs(JsonObject o, String key, String what) {
        JsonElement e = get(o, key, what);
        if (!e.isJsonArray()) {
            throw new MetadataException("\"" + key + "\" is not a list of whole numbers");
        }
        JsonArray a = e.getAsJsonArray();
        long[] v = new long[a.size()];
        for (int i = 0; i < v.length; i++) {
            try {
                JsonPrimitive p = a.get(i).getAsJsonPrimitive();
                v[i] = p.getAsLong();
                if (!p.isNumber() || p.getAsDouble() != v[i]) {
                    throw new NumberFormatException();
                }
            } catch (RuntimeException x) {
                throw new MetadataException("\"" + key + "\" is not a list of whole numbers");
            }
        }
        return v;
    }

    static JsonObject codec(String name, JsonObject configuration) {
        JsonObject o = new JsonObject();
        o.addProperty("name", name);
        if (configuration != null) {
            o.add("configuration", configuration);
        }
        return o;
    }

    static JsonArray array(long[] v) {
        JsonArray a = new JsonArray();
        for (long x : v) {
            a.add(x);
        }
        return a;
    }
}
