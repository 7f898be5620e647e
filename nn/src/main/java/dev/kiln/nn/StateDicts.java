package dev.kiln.nn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Key prefixes of state dicts ({@link Module#stateDict()} maps): {@link #addPrefix} is torch's
 * {@code state_dict(prefix=...)} and {@link #stripPrefix} its
 * {@code consume_prefix_in_state_dict_if_present}, e.g. to load a checkpoint saved from a
 * {@code DataParallel}/{@code DistributedDataParallel} wrapper (keys {@code module.0.weight}) into
 * the bare model ({@code 0.weight}), or one sub-module out of a whole model's checkpoint.
 *
 * <p>Both return a new insertion-ordered map and leave the argument unchanged (it may be
 * immutable); the values are the same objects, not copies.
 */
public final class StateDicts {
    private StateDicts() {}

    /** A copy of {@code state} with {@code prefix} in front of every key ({@code "enc." + "0.weight"}). */
    public static <T> Map<String, T> addPrefix(Map<String, T> state, String prefix) {
        check("addPrefix", state, prefix);
        Map<String, T> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    /**
     * A copy of {@code state} in which every key that starts with {@code prefix} loses it; other
     * keys are kept as they are (torch's {@code consume_prefix_in_state_dict_if_present}).
     *
     * @throws IllegalArgumentException if two keys become equal (say {@code module.w} and {@code w}),
     *     which torch would resolve by silently dropping one
     */
    public static <T> Map<String, T> stripPrefix(Map<String, T> state, String prefix) {
        check("stripPrefix", state, prefix);
        Map<String, T> out = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        for (Map.Entry<String, T> e : state.entrySet()) {
            String key = e.getKey();
            if (key == null) {
                throw new IllegalArgumentException("StateDicts.stripPrefix: the state dict has a null key");
            }
            String stripped = key.startsWith(prefix) ? key.substring(prefix.length()) : key;
            String before = origin.putIfAbsent(stripped, key);
            if (before != null) {
                throw new IllegalArgumentException("StateDicts.stripPrefix: keys '" + before + "' and '" + key
                        + "' both become '" + stripped + "' without the prefix '" + prefix + "'");
            }
            out.put(stripped, e.getValue());
        }
        return out;
    }

    private static void check(String op, Map<String, ?> state, String prefix) {
        if (state == null) {
            throw new IllegalArgumentException("StateDicts." + op + ": state must not be null");
        }
        if (prefix == null) {
            throw new IllegalArgumentException("StateDicts." + op + ": prefix must not be null (use \"\" for none)");
        }
    }
}
