package dev.kiln.apps;

import dev.kiln.apps.data.DataCommand;
import dev.kiln.apps.eval.EvalCommand;
import dev.kiln.apps.export.ExportCommand;
import dev.kiln.apps.prune.PruneCommand;
import dev.kiln.apps.quant.QuantizeCommand;
import dev.kiln.apps.serve.ServeCommand;
import dev.kiln.apps.train.DemoCommand;
import dev.kiln.apps.train.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code kiln} command: the entry point the {@code ./kiln} launcher runs for every command
 * except {@code bench} and {@code test}, which the launcher handles itself (they live in another
 * jar and in Maven). A command without a subcommand is a usage error (exit code 2).
 *
 * <p>Every failure is one line on standard error, {@code kiln <command>: <path>: <problem>}, with
 * exit code 1, or 2 for a usage error: an option or argument that is wrong before anything runs
 * (a bad value, a non-empty {@code --out} without {@code --resume} or {@code --force}, a RUN_DIR
 * with no model). {@code --verbose}, accepted by every command, adds the Java stack trace.
 */
@Command(
        name = "kiln",
        mixinStandardHelpOptions = true,
        versionProvider = KilnCli.Version.class,
        description = "Kiln, a deep-learning engine written from scratch in Java.",
        subcommands = {DemoCommand.class, DoctorCommand.class, DataCommand.class, TrainCommand.class, EvalCommand.class, ServeCommand.class,
            QuantizeCommand.class, PruneCommand.class, ExportCommand.class, CommandLine.HelpCommand.class},
        footer = {
            "",
            "Run by the ./kiln launcher itself:",
            "  ./kiln bench ...       The benchmarks (./kiln bench --help).",
            "  ./kiln test [args...]  The test suite: mvn [args...] verify.",
            "Launcher settings: --rebuild or KILN_REBUILD=1, KILN_HEAP (default 8g),",
            "KILN_JAVA_OPTS (extra JVM flags)."
        })
public final class KilnCli {
    @Option(names = CliErrors.VERBOSE, scope = ScopeType.INHERIT, description = "On an error, also print the Java stack trace.")
    boolean verbose;

    /** Used when the classes do not come from the built jar (tests, IDE runs). */
    static final String FALLBACK_VERSION = "0.1.0-SNAPSHOT";

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command, for {@link #main} and for in-process tests. */
    public static CommandLine commandLine() {
        CliErrors errors = new CliErrors();
        return HelpLayout.install(new CommandLine(new KilnCli()))
                .setExecutionExceptionHandler(errors)
                .setParameterExceptionHandler(errors);
    }

    /** Kiln's version from the jar manifest's {@code Implementation-Version}. */
    public static String version() {
        String v = KilnCli.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? FALLBACK_VERSION : v;
    }

    /** {@code --version}: Kiln's version and the JDK running it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "kiln " + version(),
                "JDK " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") at "
                        + System.getProperty("java.home")
            };
        }
    }
}
