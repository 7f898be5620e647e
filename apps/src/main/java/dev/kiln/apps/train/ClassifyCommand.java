package dev.kiln.apps.train;

import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.apps.Plural;
import dev.kiln.apps.train.SpamBatches.Batch;
import dev.kiln.apps.train.SpamBatches.Encoded;
import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.loss.Reduction;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.Trainer;
import dev.kiln.optim.train.TrainingListener;
import dev.kiln.optim.train.TrainingLoop;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln train classify}: spam or ham with a Transformer encoder, on the SpamAssassin public
 * corpus. Messages become text ({@link SpamCorpus}: Subject line + readable body, headers and HTML
 * stripped), exact duplicates are dropped, and a seeded stratified split holds out validation and
 * test messages. Tokens are lower-cased words, numbers and single symbols ({@link
 * WordVocabulary}); the vocabulary is the training split's words seen at least {@code
 * --min-count} times (at most {@code --vocab-size}), and each message is cut to its first {@code
 * --max-tokens} tokens. The model is {@link TransformerClassifier} (embedding + positions,
 * encoder layers with padding masks, masked mean pooling, linear head), trained with AdamW,
 * linear warm-up and cosine decay, gradients clipped to norm 1. Batches group messages of similar
 * length (seeded) so that little of each batch is padding.
 *
 * <p>The held-out test split is scored once, after training, with spam as the positive class:
 * accuracy, precision, recall, F1, the confusion matrix, and the majority-class baseline.
 */
@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a Transformer-encoder spam classifier on the SpamAssassin corpus and score its test split.",
            "Writes metrics.jsonl, curves.png, model.safetensors, vocab.json, report.json, test_predictions.jsonl",
            "and config.json into the run directory."},
        footer = {"", "Settings can also come from --config file.json or file.yaml ({\"epochs\": 2, \"lr\": 0.002, ...});",
            "flags given on the command line override the file."})
public final class ClassifyCommand implements Callable<Integer> {
    static final double PEAK_FLOPS_PER_THREAD = CnnCommand.PEAK_FLOPS_PER_THREAD;
    static final double MAX_GRAD_NORM = 1.0;

    @Option(names = "--epochs", description = "Passes over the training split (default: ${DEFAULT-VALUE}).")
    int epochs = 3;

    @Option(names = "--batch-size", description = "Messages per step (default: ${DEFAULT-VALUE}).")
    int batchSize = 32;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1e-3;

    @Option(names = "--warmup", paramLabel = "STEPS", description = "Linear warm-up steps before the cosine decay (default: ${DEFAULT-VALUE}).")
    int warmup = 50;

    @Option(names = "--weight-decay", description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay = 0.01;

    @Option(names = "--dropout", description = "Dropout in the embeddings and encoder layers (default: ${DEFAULT-VALUE}).")
    double dropout = 0.2;

    @Option(names = "--layers", description = "Encoder layers (default: ${DEFAULT-VALUE}).")
    int layers = 2;

    @Option(names = "--width", description = "Model width d_model (default: ${DEFAULT-VALUE}).")
    int width = 64;

    @Option(names = "--heads", description = "Attention heads; must divide --width (default: ${DEFAULT-VALUE}).")
    int heads = 4;

    @Option(names = "--mlp", description = "Hidden size of the feed-forward layers (default: 4 x --width).")
    Integer mlp;

    @Option(names = "--max-tokens", description = "Tokens per message; longer ones are cut (default: ${DEFAULT-VALUE}).")
    int maxTokens = 256;

    @Option(names = "--min-count", description = "Training-split occurrences a word needs to enter the vocabulary (default: ${DEFAULT-VALUE}).")
    int minCount = 2;

    @Option(names = "--vocab-size", paramLabel = "WORDS", description = "At most this many words, the most frequent (default: ${DEFAULT-VALUE}).")
    int vocabSize = 20000;

    @Option(names = "--val-fraction", description = "Share of each class held out for validation (default: ${DEFAULT-VALUE}).")
    double valFraction = 0.1;

    @Option(names = "--test-fraction", description = "Share of each class held out for the test (default: ${DEFAULT-VALUE}).")
    double testFraction = 0.1;

    @Option(names = "--class-weights", description = "Weight the loss by inverse class frequency (balanced).")
    boolean classWeights;

    @Option(names = "--seed", description = "Seed of the split, the initial weights, dropout and the batches (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--limit-per-group", paramLabel = "N", description = "Read only the first N messages of each group folder (0: all).")
    int limitPerGroup;

    @Option(names = "--show-errors", paramLabel = "N", description = "Misclassified test messages to print (default: ${DEFAULT-VALUE}).")
    int showErrors = 5;

    @Option(names = "--log-every", paramLabel = "STEPS", description = "Log line interval when stdout is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery = 25;

    @Mixin
    RunOptions common = new RunOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        common.applyConfig(spec);
        validate();
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Path dir = common.dataSet("spam-assassin");
        long readStart = System.nanoTime();
        SpamCorpus.Corpus corpus;
        try {
            corpus = SpamCorpus.read(dir, limitPerGroup);
        } catch (SpamCorpus.MissingException e) {
            stderr.println("kiln train classify: the SpamAssassin corpus was not found: " + e.getMessage()
                    + "; fetch it with: " + common.fetchCommand("spam-assassin"));
            stderr.flush();
            return 1;
        }
        double readSeconds = (System.nanoTime() - readStart) / 1e9;
        SpamCorpus.Split split;
        try {
            split = SpamCorpus.split(corpus.mails(), valFraction, testFraction, seed);
        } catch (IllegalArgumentException e) {
            stderr.println(e.getMessage());
            stderr.flush();
            return 1;
        }
        return common.withThreads(() -> train(corpus, split, readSeconds, stdout));
    }

    private void validate() {
        check(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        check(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        check(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "--weight-decay must be >= 0, got " + weightDecay);
        check(dropout >= 0 && dropout < 1, "--dropout must be in [0, 1), got " + dropout);
        check(layers >= 1, "--layers must be >= 1, got " + layers);
        check(width >= 1, "--width must be >= 1, got " + width);
        check(heads >= 1 && width % heads == 0, "--heads must be >= 1 and divide --width " + width + ", got " + heads);
        check(mlp == null || mlp >= 1, "--mlp must be >= 1, got " + mlp);
        check(maxTokens >= 1, "--max-tokens must be >= 1, got " + maxTokens);
        check(minCount >= 1, "--min-count must be >= 1, got " + minCount);
        check(vocabSize >= 1, "--vocab-size must be >= 1, got " + vocabSize);
        check(valFraction > 0 && valFraction < 0.5, "--val-fraction must be in (0, 0.5), got " + valFraction);
        check(testFraction > 0 && testFraction < 0.5, "--test-fraction must be in (0, 0.5), got " + testFraction);
        check(limitPerGroup >= 0, "--limit-per-group must be >= 0, got " + limitPerGroup);
        check(showErrors >= 0, "--show-errors must be >= 0, got " + showErrors);
        check(common.threads >= 1, "--threads must be >= 1, got " + common.threads);
        check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln train classify: " + message);
        }
    }

    TransformerClassifier.Config modelConfig(int vocab) {
        return new TransformerClassifier.Config(vocab, maxTokens, layers, width, heads, mlp != null ? mlp : 4 * width,
                dropout, 2);
    }


    private int train(SpamCorpus.Corpus corpus, SpamCorpus.Split split, double readSeconds, PrintWriter stdout)
            throws IOException {
        List<List<String>> trainTokens = split.train().stream().map(m -> WordVocabulary.tokenize(m.text())).toList();
        WordVocabulary vocab = WordVocabulary.build(trainTokens, minCount, vocabSize);
        List<Encoded> train = new ArrayList<>();
        for (int i = 0; i < split.train().size(); i++) {
            train.add(new Encoded(split.train().get(i), vocab.encode(trainTokens.get(i), maxTokens)));
        }
        List<Encoded> val = SpamBatches.encode(split.val(), vocab, maxTokens);
        List<Encoded> test = SpamBatches.encode(split.test(), vocab, maxTokens);

        TrainingRun run = TrainingRun.open(spec, common, "classify", 2);
        AtomicFiles.writeString(run.dir().config(), JsonFiles.writePretty(settings(corpus, split, vocab)) + "\n");
        Path vocabFile = run.dir().path().resolve("vocab.json");
        AtomicFiles.writeString(vocabFile, JsonFiles.writePretty(ClassifyReport.vocabJson(vocab)) + "\n");

        Generator g = new Generator(seed);
        TransformerClassifier model = new TransformerClassifier(modelConfig(vocab.size()), g);
        Generator.State batchStart = g.split().state();
        int trainSpam = (int) split.train().stream().filter(m -> m.label() == SpamCorpus.SPAM).count();
        int trainHam = split.train().size() - trainSpam;
        Tensor weights = classWeights
                ? Tensor.fromArray(new float[] {split.train().size() / (2f * Math.max(1, trainHam)),
                        split.train().size() / (2f * Math.max(1, trainSpam))}, 2)
                : null;

        int stepsPerEpoch = (split.train().size() + batchSize - 1) / batchSize;
        int totalSteps = stepsPerEpoch * epochs;
        AdamW opt = AdamW.builder(model.parameters()).lr(lr).weightDecay(weightDecay).build();
        int warm = Math.min(warmup, totalSteps - 1);
        LrScheduler scheduler = new LrScheduler(opt, LrSchedule.warmupCosine(warm, totalSteps, lr / 20));
        Trainer<Batch> trainer = Trainer.builder(opt, (Batch b) -> Losses.crossEntropy(model.forward(b.idsTensor()),
                        b.labelsTensor(), weights, Losses.IGNORE_INDEX, Reduction.MEAN, 0))
                .scheduler(scheduler).maxGradNorm(MAX_GRAD_NORM).build();

        // every epoch's batches from one generator, drawn in order; a resume draws them again from its start
        PlannedEpochs<Batch, Batch> batches = new PlannedEpochs<>(() -> {
            Generator batchGen = new Generator(batchStart.seed());
            batchGen.restore(batchStart);
            return () -> SpamBatches.trainingBatches(train, batchSize, batchGen);
        }, b -> b, false);
        double meanLength = batches.currentPlan().stream().mapToDouble(Batch::length).average().orElse(1);
        double flops = model.trainFlopsPerToken(meanLength);
        try (run) {
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, totalSteps, epochs,
                    "tokens", flops, PEAK_FLOPS_PER_THREAD * common.threads);
            TrainingPlot plot = new TrainingPlot("kiln train classify: SpamAssassin", "validation accuracy",
                    Math.max(1, Math.min(25, stepsPerEpoch / 4)));
            SpamEvaluation[] lastVal = {null};
            double[] trainNanos = {0};
            long[] tokensSeen = {0};
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onStep(Trainer.StepResult r, long epoch, List<?> micro, long dataNanos, long stepNanos,
                        Map<String, Object> rec) {
                    Batch b = (Batch) micro.getFirst();
                    int tokens = b.rows() * b.length();
                    trainNanos[0] += stepNanos;
                    tokensSeen[0] += tokens;
                    rec.put("grad_norm", round(r.gradNorm(), 4));
                    rec.put("batch_length", b.length());
                    rec.put("tokens_per_s", round(tokens / (stepNanos / 1e9), 1));
                    plot.addLoss(epoch + (double) (r.step() - epoch * stepsPerEpoch) / stepsPerEpoch, r.loss());
                    progress.step(r.step(), (int) epoch, r.loss(), r.lr(), tokens);
                }

                @Override
                public void onEpochEnd(long epoch, Map<String, Object> rec) {
                    rec.remove("lr"); // the epoch records of classify never had it
                    plot.addAccuracy(epoch + 1, lastVal[0].counts().accuracy());
                    progress.println(String.format(Locale.ROOT,
                            "epoch %d/%d: train loss %.4f, validation loss %.4f, accuracy %.2f%%, F1 %.4f (train %.1fs, eval %.1fs)",
                            epoch + 1, epochs, rec.get("train_loss"), lastVal[0].loss(), 100 * lastVal[0].counts().accuracy(),
                            lastVal[0].counts().f1(), rec.get("train_seconds"), rec.get("eval_seconds")));
                    try {
                        AtomicFiles.write(run.dir().plot(), plot::save); // after every epoch, so an interrupted run still has its curves
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            TrainingLoop<Batch> loop = run.loop(trainer, batches).epochs(epochs)
                    .evaluator(() -> {
                        lastVal[0] = SpamEvaluation.evaluate(model, val);
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("val_loss", lastVal[0].loss());
                        m.put("val_accuracy", lastVal[0].counts().accuracy());
                        m.put("val_f1", lastVal[0].counts().f1());
                        return m;
                    })
                    .listener(listener)
                    .checkpoints(DropoutGenerators.register(new TrainingCheckpoint(model, opt).scheduler(scheduler), model),
                            run.checkpoints())
                    .checkpointEachEpoch(true).build();
            run.start(loop, stdout);
            for (Map<String, Object> rec : run.log().earlier()) { // the curves of the part before a resume
                if ("step".equals(rec.get("kind"))) {
                    long step = ((Number) rec.get("step")).longValue();
                    long epoch = ((Number) rec.get("epoch")).longValue();
                    plot.addLoss(epoch + (double) (step - epoch * stepsPerEpoch) / stepsPerEpoch, ((Number) rec.get("loss")).doubleValue());
                } else if ("epoch".equals(rec.get("kind"))) {
                    plot.addAccuracy(((Number) rec.get("epoch")).doubleValue() + 1, ((Number) rec.get("val_accuracy")).doubleValue());
                }
            }
            stdout.printf(Locale.ROOT, "kiln train classify: %d messages read (%s) in %.1fs, %d duplicates removed"
                    + " (%d with the other label), %d distinct: %d ham / %d spam%n",
                    corpus.perGroup().values().stream().mapToInt(Integer::intValue).sum(), corpus.perGroup(), readSeconds,
                    corpus.duplicates(), corpus.conflicting(), corpus.mails().size(), corpus.count(SpamCorpus.HAM),
                    corpus.count(SpamCorpus.SPAM));
            stdout.printf(Locale.ROOT, "split (stratified, seed %d): %d train / %d validation / %d test;"
                    + " vocabulary %d words (min count %d) + pad + unk; %d tokens max, mean batch length %.0f%n",
                    seed, train.size(), val.size(), test.size(), vocab.size() - 2, minCount, maxTokens, meanLength);
            stdout.printf(Locale.ROOT, "model: %d params (%d outside the embeddings; %d layers, width %d, %d heads, mlp %d,"
                    + " dropout %s), AdamW lr %.3g warm-up %d + cosine, batch %d, %s = %s, %s%n",
                    model.parameterCount(), model.nonEmbeddingParameters(), layers, width, heads, model.config.feedForward(),
                    dropout, lr, warm, batchSize, Plural.of(epochs, "epoch"), Plural.of(totalSteps, "step"),
                    Plural.of(common.threads, "thread"));
            stdout.println("run directory: " + run.dir().path());
            stdout.flush();

            long runStart = System.nanoTime();
            TrainingLoop.Result result = loop.fit();
            progress.finish();
            if (result.reason() == TrainingLoop.StopReason.INTERRUPTED) {
                return run.interrupted(result, stdout, common.out);
            }
            if (lastVal[0] == null) { // resumed after the last epoch's evaluation: the same numbers again
                lastVal[0] = SpamEvaluation.evaluate(model, val);
            }
            SpamEvaluation testEval = SpamEvaluation.evaluate(model, test);
            BinaryScores counts = testEval.counts();
            int majority = trainSpam > trainHam ? SpamCorpus.SPAM : SpamCorpus.HAM;
            int[] actual = testEval.actual();
            int[] constant = new int[actual.length];
            java.util.Arrays.fill(constant, majority);
            BinaryScores baseline = BinaryScores.of(actual, constant);
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;

            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train classify: Transformer encoder, spam (1) vs ham (0) on SpamAssassin");
            meta.put("config", JsonFiles.write(ClassifyReport.configJson(model.config)));
            meta.put("vocab", JsonFiles.write(vocab.words()));
            meta.put("test_accuracy", Double.toString(counts.accuracy()));
            Safetensors.saveModule(run.dir().model(), model, meta);

            List<Map<String, Object>> errors = SpamEvaluation.misclassified(testEval);
            Path predictions = run.dir().path().resolve("test_predictions.jsonl");
            AtomicFiles.writeString(predictions, SpamEvaluation.predictionsJsonl(testEval));
            Path report = run.dir().path().resolve("report.json");
            AtomicFiles.writeString(report, JsonFiles.writePretty(ClassifyReport.reportJson(corpus, split, vocab, counts, baseline,
                    majority, lastVal[0], testEval.loss(), wallSeconds, readSeconds, errors)) + "\n");

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("kind", "summary");
            summary.put("steps", result.steps());
            summary.put("epochs", epochs);
            summary.put("train_loss", result.lastLoss());
            summary.put("val_accuracy", lastVal[0].counts().accuracy());
            summary.put("test_loss", testEval.loss());
            summary.put("test", counts.toJson());
            summary.put("majority_baseline", baseline.toJson());
            summary.put("wall_seconds", round(wallSeconds, 3));
            summary.put("train_tokens_per_s", round(tokensSeen[0] / (trainNanos[0] / 1e9), 1)); // this process's steps
            run.write(summary);

            ClassifyReport.print(stdout, counts, baseline, majority, errors, showErrors);
            stdout.printf(Locale.ROOT, "done in %s: training %.0f tokens/s%n", ProgressLine.duration(wallSeconds),
                    tokensSeen[0] / (trainNanos[0] / 1e9));
            stdout.println("metrics: " + run.dir().metrics());
            stdout.println("curves:  " + run.dir().plot());
            stdout.println("model:   " + run.dir().model());
            stdout.println("vocab:   " + vocabFile);
            stdout.println("report:  " + report);
            stdout.println("config:  " + run.dir().config());
            stdout.flush();
            return 0;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            if (weights != null) {
                weights.close();
            }
        }
    }

    private Map<String, Object> settings(SpamCorpus.Corpus corpus, SpamCorpus.Split split, WordVocabulary vocab) {
        Map<String, Object> s = RunOptions.settings(spec);
        s.put("mlp", mlp != null ? mlp : 4 * width);
        s.put("distinct_messages", corpus.mails().size());
        s.put("duplicates_removed", corpus.duplicates());
        s.put("train_messages", split.train().size());
        s.put("val_messages", split.val().size());
        s.put("test_messages", split.test().size());
        s.put("vocab_ids", vocab.size());
        return s;
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
