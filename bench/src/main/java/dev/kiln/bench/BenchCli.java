package dev.kiln.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code kiln bench}: side-by-side benchmarks of Kiln kernels against reference engines, run in one
 * process so both see the same machine state. Kernel-level JMH benchmarks live in
 * {@code dev.kiln.bench.jmh} and run through {@code org.openjdk.jmh.Main}.
 */
@Command(name = "kiln bench", mixinStandardHelpOptions = true, version = "kiln bench 0.1.0",
        description = "Benchmarks Kiln kernels against reference implementations.",
        subcommands = {GemmBench.class, ConvBench.class, AmpBench.class, TrainBench.class, TokenizeBench.class,
                QuantBench.class, dev.kiln.bench.serve.ServeBench.class})
public final class BenchCli implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args)); // --client wrk as well as WRK
    }
}
