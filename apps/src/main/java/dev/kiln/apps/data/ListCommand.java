package dev.kiln.apps.data;

import dev.kiln.apps.data.DataSets.DataSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kiln data list}: which data sets are present, with their sizes and record counts. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Show which data sets are present.")
final class ListCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root (default: $KILN_DATA or ~/.kiln/data).")
    private Path dataDir;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Path root = DataCommand.root(dataDir);
        out.println("data root: " + root);
        int width = DataSets.ALL.stream().mapToInt(d -> d.name().length()).max().orElse(0);
        for (DataSet ds : DataSets.ALL) {
            Path dir = root.resolve(ds.name());
            String line;
            try {
                Map<String, Object> m = Manifest.read(dir);
                if (m != null) {
                    line = "present  " + ListCommand.files(m.get("fileCount")) + ", " + size(((Number) m.get("totalBytes")).longValue())
                            + ", " + summary(m.get("counts")) + " (" + m.get("source") + ", " + m.get("fetchedAt") + ")";
                } else if (Files.exists(dir)) {
                    line = "incomplete (no " + Manifest.FILE + "): ./kiln data fetch " + ds.name();
                } else {
                    line = "absent   ./kiln data fetch " + ds.name() + "   (" + ds.summary() + ")";
                }
            } catch (IOException e) {
                line = "unreadable manifest: " + e.getMessage();
            }
            out.printf("%-" + width + "s  %s%n", ds.name(), line);
        }
        out.flush();
        return 0;
    }

    /** The scalar counts of a manifest as {@code key=value, ...}. */
    static String summary(Object counts) {
        List<String> parts = new ArrayList<>();
        if (counts instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof Number || e.getValue() instanceof String) {
                    parts.add(e.getKey() + "=" + e.getValue());
                }
            }
        }
        return String.join(", ", parts);
    }

    static String files(Object count) {
        return count + (Objects.equals(count, 1L) || Objects.equals(count, 1) ? " file" : " files");
    }

    static String size(long bytes) {
        if (bytes < 1 << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }
}
