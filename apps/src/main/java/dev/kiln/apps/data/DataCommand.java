package dev.kiln.apps.data;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code kiln data}: fetch, list and prepare the data sets the training apps use. Data lives in
 * {@code <root>/<name>/}; the root is {@code --data-dir}, else {@code $KILN_DATA}, else
 * {@code ~/.kiln/data}.
 */
@Command(name = "data",
        description = "Fetch and list the data sets of the training apps, prepare corpora into token shards, crawl sites.",
        mixinStandardHelpOptions = true,
        subcommands = {FetchCommand.class, ListCommand.class, PrepCommand.class, CrawlCommand.class},
        footer = {"", "Data sets live in <root>/<name>/; root: --data-dir, else $KILN_DATA, else ~/.kiln/data."})
public final class DataCommand {
    /** The data root: the option when given, else {@code $KILN_DATA}, else {@code ~/.kiln/data}. */
    public static Path root(Path option) {
        return root(option, System.getenv(), System.getProperty("user.home"));
    }

    static Path root(Path option, Map<String, String> env, String home) {
        if (option != null) {
            return option;
        }
        String fromEnv = env.get("KILN_DATA");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        return Path.of(home, ".kiln", "data");
    }
}
