package dev.kiln.apps.train;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code --config FILE} for the training apps: a JSON object ({@code .json}) or a YAML mapping
 * ({@code .yaml}, {@code .yml}) whose keys are long option names without the dashes:
 *
 * <pre>
 * # gpt.yaml
 * steps: 2000
 * lr: 1e-3
 * optimizer: adamw
 * </pre>
 *
 * A key sets its option unless the option was given on the command line (flags override the
 * file). Unknown keys, duplicate keys, nested values and values of the wrong type are usage errors
 * naming the file and the key. YAML is read with SnakeYAML's safe constructor (plain scalars,
 * lists and maps only: no object instantiation from tags).
 */
public final class ConfigFile {
    private ConfigFile() {}

    /** Applies {@code file} to {@code spec}'s options that the command line left unset. */
    public static void apply(Path file, CommandSpec spec) throws IOException {
        CommandLine cl = spec.commandLine();
        Object parsed = read(cl, file);
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new ParameterException(cl, "--config " + file + ": expected " + (isYaml(file) ? "a YAML mapping" : "a JSON object")
                    + " of option names to values, got " + (parsed == null ? "an empty document" : describe(parsed)));
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

    static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static Object read(CommandLine cl, Path file) throws IOException {
        try {
            if (!isYaml(file)) {
                return JsonFiles.read(file);
            }
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false); // a repeated key is almost always a mistake
            options.setMaxAliasesForCollections(0); // settings need no anchors; refuse alias bombs
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                return new Yaml(new SafeConstructor(options)).load(in);
            }
        } catch (NoSuchFileException ex) {
            throw new ParameterException(cl, "--config " + file + ": no such file");
        } catch (MalformedDataException | YAMLException ex) {
            // SnakeYAML's messages carry the line and column, with a caret under the offending spot.
            throw new ParameterException(cl, "--config " + file + ": not valid " + (isYaml(file) ? "YAML" : "JSON")
                    + ": " + ex.getMessage());
        }
    }

    private static Object convert(CommandLine cl, Path file, String key, Class<?> type, Object value) {
        String where = "--config " + file + ": \"" + key + "\"";
        if (value == null) {
            throw new ParameterException(cl, where + " has no value");
        }
        try {
            if (type == int.class || type == Integer.class) {
                return Math.toIntExact(wholeNumber(value));
            }
            if (type == long.class || type == Long.class) {
                return wholeNumber(value);
            }
            if (type == double.class || type == Double.class) {
                return number(value);
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
                throw new IllegalArgumentException("expected one of " + Arrays.toString(type.getEnumConstants()));
            }
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new ParameterException(cl, where + ": " + ex.getMessage() + ", got " + describe(value));
        }
        throw new ParameterException(cl, where + ": options of type " + type.getSimpleName().toLowerCase(Locale.ROOT)
                + " cannot be set from a config file");
    }

    /**
     * A number, or a string that reads as one. YAML 1.1 resolvers differ on whether {@code 1e-3}
     * (no dot) is a float or a string, so a numeric string is accepted rather than surprising the
     * user who wrote a learning rate the way Python prints it.
     */
    private static double number(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("expected a number");
    }

    private static long wholeNumber(Object value) {
        if (value instanceof Long || value instanceof Integer) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big) {
            return big.longValueExact();
        }
        double d = value instanceof Number n ? n.doubleValue() : value instanceof String s ? parseOrNaN(s) : Double.NaN;
        if (d == Math.rint(d) && Math.abs(d) < 0x1p53) { // false for NaN and the infinities
            return (long) d;
        }
        throw new IllegalArgumentException("expected a whole number");
    }

    private static double parseOrNaN(String s) {
        try {
            return Double.parseDouble(s.strip());
        } catch (NumberFormatException ex) {
            return Double.NaN;
        }
    }

    private static String describe(Object value) {
        if (value instanceof Map<?, ?>) {
            return "a mapping " + value;
        }
        if (value instanceof java.util.List<?>) {
            return "a list " + value;
        }
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        return String.valueOf(value);
    }
}
