package dev.kiln.apps.train;

import dev.kiln.data.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code --config file.json} for the training apps: a JSON object whose keys are long option names
 * without the dashes ({@code {"epochs": 3, "lr": 0.002, "optimizer": "adamw"}}). A key sets its
 * option unless the option was given on the command line (flags override the file). Unknown keys
 * and values of the wrong type are usage errors naming the key.
 */
public final class JsonConfig {
    private JsonConfig() {}

    /** Applies {@code file} to {@code spec}'s options that the command line left unset. */
    public static void apply(Path file, CommandSpec spec) throws IOException {
        CommandLine cl = spec.commandLine();
        Object parsed = Json.read(file);
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new ParameterException(cl, "--config " + file + ": expected a JSON object, got "
                    + (parsed == null ? "null" : parsed.getClass().getSimpleName()));
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = String.valueOf(e.getKey());
            OptionSpec option = spec.findOption("--" + key);
            if (option == null || key.equals("config") || option.usageHelp() || option.versionHelp()) {
                throw new ParameterException(cl, "--config " + file + ": unknown setting \"" + key + "\"");
            }
            if (cl.getParseResult().hasMatchedOption(option)) {
                continue; // the command line wins
            }
            option.setValue(convert(cl, file, key, option.type(), e.getValue()));
        }
    }

    private static Object convert(CommandLine cl, Path file, String key, Class<?> type, Object value) {
        String where = "--config " + file + ": \"" + key + "\"";
        if (value == null) {
            throw new ParameterException(cl, where + " must not be null");
        }
        try {
            if (type == int.class || type == Integer.class) {
                return Math.toIntExact(wholeNumber(value));
            }
            if (type == long.class || type == Long.class) {
                return wholeNumber(value);
            }
            if (type == double.class || type == Double.class) {
                if (value instanceof Number n) {
                    return n.doubleValue();
                }
                throw new IllegalArgumentException("expected a number");
            }
            if (type == boolean.class || type == Boolean.class) {
                if (value instanceof Boolean b) {
                    return b;
                }
                throw new IllegalArgumentException("expected true or false");
            }
            if (!(value instanceof String s)) {
                throw new IllegalArgumentException("expected a string");
            }
            if (type == String.class) {
                return s;
            }
            if (type == Path.class) {
                return Path.of(s);
            }
            if (type.isEnum()) {
                for (Object c : type.getEnumConstants()) {
                    if (c.toString().equalsIgnoreCase(s)) {
                        return c;
                    }
                }
                throw new IllegalArgumentException("expected one of " + java.util.Arrays.toString(type.getEnumConstants()));
            }
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new ParameterException(cl, where + ": " + ex.getMessage() + ", got " + Json.write(value));
        }
        throw new ParameterException(cl, where + ": options of type " + type.getSimpleName().toLowerCase(Locale.ROOT)
                + " cannot be set from a config file");
    }

    private static long wholeNumber(Object value) {
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && !(n instanceof Double d && d.isInfinite())) {
            return n.longValue();
        }
        throw new IllegalArgumentException("expected a whole number");
    }
}
