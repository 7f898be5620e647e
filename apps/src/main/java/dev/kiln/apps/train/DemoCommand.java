package dev.kiln.apps.train;

import dev.kiln.apps.Plural;
import dev.kiln.apps.KilnCli;
import dev.kiln.apps.data.DataCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiln demo}: the README's main job. Makes sure Fashion-MNIST is present (fetching it when
 * it is not), trains the reference ConvNet on it for one epoch (about half a minute on 2 cores)
 * and prints the test accuracy. When the data cannot be fetched it says why and trains on a
 * built-in synthetic look-alike instead, so the command always shows Kiln training end to end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Short end-to-end demo: fetch Fashion-MNIST, train a ConvNet for one epoch, print its test accuracy.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Option(names = "--epochs", description = "Epochs to train (default: ${DEFAULT-VALUE}).")
    int epochs = 1;

    @Option(names = "--synthetic", description = "Skip the real data and train on the built-in synthetic task.")
    boolean synthetic;

    @Option(names = "--out", paramLabel = "DIR", description = "The run directory (default: runs/cnn-<yyyyMMdd-HHmmss>).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path root = DataCommand.root(dataDir);
        List<String> args = new ArrayList<>(List.of("train", "cnn", "--epochs", Integer.toString(epochs)));
        if (this.out != null) {
            args.addAll(List.of("--out", this.out.toString()));
        }
        boolean real = !synthetic && ensureFashionMnist(root, out);
        if (real) {
            args.addAll(List.of("--data-dir", root.toString()));
            out.println("kiln demo: training the reference ConvNet on Fashion-MNIST for " + Plural.of(epochs, "epoch"));
        } else {
            Path tmp = Files.createTempDirectory("kiln-demo-data");
            SyntheticIdx.write(tmp.resolve("fashion-mnist"), 6000, 1000, 1);
            args.addAll(List.of("--data-dir", tmp.toString()));
            out.println("kiln demo: training the reference ConvNet on a synthetic 10-class image task (" + tmp + ")");
        }
        out.flush();
        return new CommandLine(new KilnCli()).setOut(out).setErr(spec.commandLine().getErr())
                .execute(args.toArray(new String[0]));
    }

    /** True when Fashion-MNIST is (or could be made) present under {@code root}. */
    private boolean ensureFashionMnist(Path root, PrintWriter out) {
        if (Files.isRegularFile(root.resolve("fashion-mnist").resolve("manifest.json"))) {
            return true;
        }
        out.println("kiln demo: Fashion-MNIST is not in " + root + "; fetching it (./kiln data fetch fashion-mnist)");
        out.flush();
        int rc = new CommandLine(new KilnCli()).setOut(out).setErr(spec.commandLine().getErr())
                .execute("data", "fetch", "fashion-mnist", "--data-dir", root.toString());
        if (rc != 0) {
            out.println("kiln demo: could not fetch Fashion-MNIST (see above); falling back to the built-in synthetic task");
            return false;
        }
        return true;
    }
}
