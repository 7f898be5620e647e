package dev.kiln.apps.train;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.Json;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.loss.Reduction;
import dev.kiln.optim.Adam;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.train.Trainer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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
    /** Messages per evaluation batch (no gradients, so larger than training batches). */
    static final int EVAL_BATCH = 64;
    /** Training batches are formed from pools of this many batches' worth of messages sorted by length. */
    static final int BUCKET_POOL_BATCHES = 50;
    /** Characters of a misclassified message's text shown in the report. */
    static final int EXAMPLE_CHARS = 160;

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
            stderr.println("kiln train classify: the SpamAssassin corpus was not found: " + e.getMessage());
            stderr.println("fetch it with:  " + common.fetchCommand("spam-assassin"));
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
        check(!common.resume, "--resume is not supported by this app yet (it does not run on TrainingLoop)");
        check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln train classify: " + message);
        }
    }

    /** A message as the model reads it: token ids (not padded), label, and where it came from. */
    record Encoded(SpamCorpus.Mail mail, long[] ids) {}

    /** Token ids [B, T] padded with {@link WordVocabulary#PAD}, labels [B], and the messages they came from. */
    record Batch(long[] ids, int rows, int length, long[] labels, List<Encoded> members) {
        Tensor idsTensor() {
            return Tensor.fromArray(ids, rows, length);
        }

        Tensor labelsTensor() {
            return Tensor.fromArray(labels, rows);
        }
    }

    static Batch batch(List<Encoded> members) {
        int t = members.stream().mapToInt(e -> e.ids().length).max().orElse(1);
        long[] ids = new long[members.size() * t]; // zeros: PAD
        long[] labels = new long[members.size()];
        for (int i = 0; i < members.size(); i++) {
            long[] row = members.get(i).ids();
            System.arraycopy(row, 0, ids, i * t, row.length);
            labels[i] = members.get(i).mail().label();
        }
        return new Batch(ids, members.size(), t, labels, members);
    }

    /**
     * One epoch's training batches: the messages shuffled, cut into pools of {@link
     * #BUCKET_POOL_BATCHES} batches, each pool sorted by length and cut into batches, and the
     * batches shuffled. Similar lengths share a batch (little padding) while the order stays random.
     */
    static List<Batch> trainingBatches(List<Encoded> train, int batchSize, Generator g) {
        List<Encoded> order = new ArrayList<>(train);
        SpamCorpus.shuffle(order, g);
        List<Batch> batches = new ArrayList<>();
        int pool = batchSize * BUCKET_POOL_BATCHES;
        for (int from = 0; from < order.size(); from += pool) {
            List<Encoded> chunk = new ArrayList<>(order.subList(from, Math.min(order.size(), from + pool)));
            chunk.sort(Comparator.comparingInt(e -> e.ids().length));
            for (int b = 0; b < chunk.size(); b += batchSize) {
                batches.add(batch(chunk.subList(b, Math.min(chunk.size(), b + batchSize))));
            }
        }
        SpamCorpus.shuffle(batches, g);
        return batches;
    }

    /** Evaluation batches: by length, so padding is small; the order does not matter. */
    static List<Batch> evalBatches(List<Encoded> messages) {
        List<Encoded> sorted = new ArrayList<>(messages);
        sorted.sort(Comparator.comparingInt(e -> e.ids().length));
        List<Batch> out = new ArrayList<>();
        for (int b = 0; b < sorted.size(); b += EVAL_BATCH) {
            out.add(batch(sorted.subList(b, Math.min(sorted.size(), b + EVAL_BATCH))));
        }
        return out;
    }

    TransformerClassifier.Config modelConfig(int vocab) {
        return new TransformerClassifier.Config(vocab, maxTokens, layers, width, heads, mlp != null ? mlp : 4 * width,
                dropout, 2);
    }

    /** Training FLOPs per token: 6 per non-embedding weight plus 6·L·T·d for attention at mean batch length T. */
    static double trainFlopsPerToken(TransformerClassifier model, double meanLength) {
        return 6.0 * model.nonEmbeddingParameters() + 6.0 * model.config.layers() * meanLength * model.config.width();
    }

    private int train(SpamCorpus.Corpus corpus, SpamCorpus.Split split, double readSeconds, PrintWriter stdout)
            throws IOException {
        List<List<String>> trainTokens = split.train().stream().map(m -> WordVocabulary.tokenize(m.text())).toList();
        WordVocabulary vocab = WordVocabulary.build(trainTokens, minCount, vocabSize);
        List<Encoded> train = new ArrayList<>();
        for (int i = 0; i < split.train().size(); i++) {
            train.add(new Encoded(split.train().get(i), vocab.encode(trainTokens.get(i), maxTokens)));
        }
        List<Encoded> val = encode(split.val(), vocab);
        List<Encoded> test = encode(split.test(), vocab);

        RunDirectory run = RunDirectory.create(common.out, "classify", LocalDateTime.now());
        AtomicFiles.writeString(run.config(), Json.writePretty(settings(corpus, split, vocab)) + "\n");
        Path vocabFile = run.path().resolve("vocab.json");
        AtomicFiles.writeString(vocabFile, Json.writePretty(vocabJson(vocab)) + "\n");

        Generator g = new Generator(seed);
        TransformerClassifier model = new TransformerClassifier(modelConfig(vocab.size()), g);
        Generator batchGen = g.split();
        int trainSpam = (int) split.train().stream().filter(m -> m.label() == SpamCorpus.SPAM).count();
        int trainHam = split.train().size() - trainSpam;
        Tensor weights = classWeights
                ? Tensor.fromArray(new float[] {split.train().size() / (2f * Math.max(1, trainHam)),
                        split.train().size() / (2f * Math.max(1, trainSpam))}, 2)
                : null;

        int stepsPerEpoch = (split.train().size() + batchSize - 1) / batchSize;
        int totalSteps = stepsPerEpoch * epochs;
        Adam opt = Adam.adamW(model.parameters(), lr, weightDecay);
        int warm = Math.min(warmup, totalSteps - 1);
        LrScheduler scheduler = new LrScheduler(opt, LrSchedule.warmupCosine(warm, totalSteps, lr / 20));
        Trainer<Batch> trainer = Trainer.builder(opt, (Batch b) -> Losses.crossEntropy(model.forward(b.idsTensor()),
                        b.labelsTensor(), weights, Losses.IGNORE_INDEX, Reduction.MEAN, 0))
                .scheduler(scheduler).maxGradNorm(MAX_GRAD_NORM).build();

        List<Batch> firstEpoch = trainingBatches(train, batchSize, batchGen);
        double meanLength = firstEpoch.stream().mapToDouble(Batch::length).average().orElse(1);
        double flops = trainFlopsPerToken(model, meanLength);
        try (MetricsLog metrics = new MetricsLog(run.metrics())) {
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, totalSteps, epochs,
                    "tokens", flops, PEAK_FLOPS_PER_THREAD * common.threads);
            TrainingPlot plot = new TrainingPlot("kiln train classify: SpamAssassin", "validation accuracy",
                    Math.max(1, Math.min(25, stepsPerEpoch / 4)));
            stdout.printf(Locale.ROOT, "kiln train classify: %d messages read (%s) in %.1fs, %d duplicates removed"
                    + " (%d with the other label), %d distinct: %d ham / %d spam%n",
                    corpus.perGroup().values().stream().mapToInt(Integer::intValue).sum(), corpus.perGroup(), readSeconds,
                    corpus.duplicates(), corpus.conflicting(), corpus.mails().size(), corpus.count(SpamCorpus.HAM),
                    corpus.count(SpamCorpus.SPAM));
            stdout.printf(Locale.ROOT, "split (stratified, seed %d): %d train / %d validation / %d test;"
                    + " vocabulary %d words (min count %d) + pad + unk; %d tokens max, mean batch length %.0f%n",
                    seed, train.size(), val.size(), test.size(), vocab.size() - 2, minCount, maxTokens, meanLength);
            stdout.printf(Locale.ROOT, "model: %d params (%d outside the embeddings; %d layers, width %d, %d heads, mlp %d,"
                    + " dropout %s), AdamW lr %.3g warm-up %d + cosine, batch %d, %d epochs = %d steps, %d threads%n",
                    model.parameterCount(), model.nonEmbeddingParameters(), layers, width, heads, model.config.feedForward(),
                    dropout, lr, warm, batchSize, epochs, totalSteps, common.threads);
            stdout.println("run directory: " + run.path());
            stdout.flush();

            long runStart = System.nanoTime();
            double trainNanos = 0;
            long tokensSeen = 0;
            long step = 0;
            double lastLoss = Double.NaN;
            Evaluation lastVal = null;
            for (int epoch = 0; epoch < epochs; epoch++) {
                List<Batch> batches = epoch == 0 ? firstEpoch : trainingBatches(train, batchSize, batchGen);
                long epochStart = System.nanoTime();
                double epochLoss = 0;
                for (Batch b : batches) {
                    long t0 = System.nanoTime();
                    Trainer.StepResult r = trainer.step(List.of(b));
                    long t1 = System.nanoTime();
                    step++;
                    trainNanos += t1 - t0;
                    int tokens = b.rows() * b.length();
                    tokensSeen += tokens;
                    lastLoss = r.loss();
                    epochLoss += r.loss();
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("kind", "step");
                    rec.put("step", step);
                    rec.put("epoch", epoch);
                    rec.put("loss", r.loss());
                    rec.put("lr", r.lr());
                    rec.put("grad_norm", round(r.gradNorm(), 4));
                    rec.put("batch_length", b.length());
                    rec.put("tokens_per_s", round(tokens / ((t1 - t0) / 1e9), 1));
                    metrics.write(rec);
                    plot.addLoss(epoch + (double) (step - (long) epoch * stepsPerEpoch) / stepsPerEpoch, r.loss());
                    progress.step(step, epoch, r.loss(), r.lr(), tokens);
                }
                double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
                long e0 = System.nanoTime();
                lastVal = evaluate(model, val);
                double evalSeconds = (System.nanoTime() - e0) / 1e9;
                plot.addAccuracy(epoch + 1, lastVal.counts().accuracy());
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("kind", "epoch");
                rec.put("step", step);
                rec.put("epoch", epoch);
                rec.put("train_loss", epochLoss / batches.size());
                rec.put("val_loss", lastVal.loss());
                rec.put("val_accuracy", lastVal.counts().accuracy());
                rec.put("val_f1", lastVal.counts().f1());
                rec.put("train_seconds", round(epochSeconds, 3));
                rec.put("eval_seconds", round(evalSeconds, 3));
                metrics.write(rec);
                progress.println(String.format(Locale.ROOT,
                        "epoch %d/%d: train loss %.4f, validation loss %.4f, accuracy %.2f%%, F1 %.4f (train %.1fs, eval %.1fs)",
                        epoch + 1, epochs, epochLoss / batches.size(), lastVal.loss(), 100 * lastVal.counts().accuracy(),
                        lastVal.counts().f1(), epochSeconds, evalSeconds));
                AtomicFiles.write(run.plot(), plot::save); // after every epoch, so an interrupted run still has its curves
            }
            progress.finish();

            Evaluation testEval = evaluate(model, test);
            BinaryScores counts = testEval.counts();
            int majority = trainSpam > trainHam ? SpamCorpus.SPAM : SpamCorpus.HAM;
            int[] actual = testEval.actual();
            int[] constant = new int[actual.length];
            java.util.Arrays.fill(constant, majority);
            BinaryScores baseline = BinaryScores.of(actual, constant);
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;

            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train classify: Transformer encoder, spam (1) vs ham (0) on SpamAssassin");
            meta.put("config", Json.write(configJson(model.config)));
            meta.put("vocab", Json.write(vocab.words()));
            meta.put("test_accuracy", Double.toString(counts.accuracy()));
            Safetensors.saveModule(run.model(), model, meta);

            List<Map<String, Object>> errors = misclassified(testEval);
            Path predictions = run.path().resolve("test_predictions.jsonl");
            AtomicFiles.writeString(predictions, predictionsJsonl(testEval));
            Path report = run.path().resolve("report.json");
            AtomicFiles.writeString(report, Json.writePretty(reportJson(corpus, split, vocab, counts, baseline, majority, lastVal,
                    testEval.loss(), wallSeconds, readSeconds, errors)) + "\n");

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("kind", "summary");
            summary.put("steps", step);
            summary.put("epochs", epochs);
            summary.put("train_loss", lastLoss);
            summary.put("val_accuracy", lastVal.counts().accuracy());
            summary.put("test_loss", testEval.loss());
            summary.put("test", counts.toJson());
            summary.put("majority_baseline", baseline.toJson());
            summary.put("wall_seconds", round(wallSeconds, 3));
            summary.put("train_tokens_per_s", round(tokensSeen / (trainNanos / 1e9), 1));
            metrics.write(summary);

            stdout.printf(Locale.ROOT, "test (%d messages, spam positive): accuracy %.2f%%, precision %.4f, recall %.4f, F1 %.4f%n",
                    counts.total(), 100 * counts.accuracy(), counts.precision(), counts.recall(), counts.f1());
            stdout.printf(Locale.ROOT, "confusion matrix (rows actual, columns predicted; ham, spam): [[%d, %d], [%d, %d]]%n",
                    counts.tn(), counts.fp(), counts.fn(), counts.tp());
            stdout.printf(Locale.ROOT, "majority-class baseline (always %s): accuracy %.2f%%, precision %.4f, recall %.4f, F1 %.4f%n",
                    SpamCorpus.CLASS_NAMES.get(majority), 100 * baseline.accuracy(), baseline.precision(),
                    baseline.recall(), baseline.f1());
            if (!errors.isEmpty() && showErrors > 0) {
                stdout.printf("misclassified test messages (%d, showing %d):%n", errors.size(), Math.min(showErrors, errors.size()));
                for (Map<String, Object> e : errors.subList(0, Math.min(showErrors, errors.size()))) {
                    stdout.printf(Locale.ROOT, "  %s  %s predicted %s (p(spam) %.3f): %s%n", e.get("id"), e.get("label"),
                            e.get("predicted"), (Double) e.get("p_spam"), e.get("text"));
                }
            }
            stdout.printf(Locale.ROOT, "done in %s: training %.0f tokens/s%n", ProgressLine.duration(wallSeconds),
                    tokensSeen / (trainNanos / 1e9));
            stdout.println("metrics: " + run.metrics());
            stdout.println("curves:  " + run.plot());
            stdout.println("model:   " + run.model());
            stdout.println("vocab:   " + vocabFile);
            stdout.println("report:  " + report);
            stdout.println("config:  " + run.config());
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

    private List<Encoded> encode(List<SpamCorpus.Mail> mails, WordVocabulary vocab) {
        List<Encoded> out = new ArrayList<>(mails.size());
        for (SpamCorpus.Mail m : mails) {
            out.add(new Encoded(m, vocab.encode(WordVocabulary.tokenize(m.text()), maxTokens)));
        }
        return out;
    }

    /**
     * Scores of one split: per message (in the order of {@code messages}) the label, the
     * predicted class (the larger logit) and p(spam); the mean cross-entropy; the counts.
     */
    record Evaluation(List<Encoded> messages, int[] actual, int[] predicted, double[] pSpam, double loss,
                      BinaryScores counts) {}

    static Evaluation evaluate(TransformerClassifier model, List<Encoded> messages) {
        model.eval();
        Map<Encoded, double[]> probs = new java.util.IdentityHashMap<>();
        try (NoGrad _ = NoGrad.enter()) {
            for (Batch b : evalBatches(messages)) {
                try (TensorScope _ = TensorScope.open()) {
                    float[] p = model.forward(b.idsTensor()).value().softmax(-1).toFloatArray(); // [B, 2]
                    for (int i = 0; i < b.rows(); i++) {
                        probs.put(b.members().get(i), new double[] {p[2 * i], p[2 * i + 1]});
                    }
                }
            }
        } finally {
            model.train();
        }
        int n = messages.size();
        int[] actual = new int[n];
        int[] predicted = new int[n];
        double[] pSpam = new double[n];
        double lossSum = 0;
        for (int i = 0; i < n; i++) {
            double[] p = probs.get(messages.get(i));
            actual[i] = messages.get(i).mail().label();
            predicted[i] = p[1] > p[0] ? SpamCorpus.SPAM : SpamCorpus.HAM;
            pSpam[i] = p[1];
            lossSum -= Math.log(Math.max(p[actual[i]], 1e-30));
        }
        return new Evaluation(messages, actual, predicted, pSpam, n == 0 ? Double.NaN : lossSum / n,
                BinaryScores.of(actual, predicted));
    }

    /** The misclassified messages, most confidently wrong first, with the start of their text. */
    private static List<Map<String, Object>> misclassified(Evaluation e) {
        List<Integer> wrong = new ArrayList<>();
        for (int i = 0; i < e.actual().length; i++) {
            if (e.actual()[i] != e.predicted()[i]) {
                wrong.add(i);
            }
        }
        wrong.sort(Comparator.comparingDouble(i -> -Math.abs(e.pSpam()[i] - 0.5)));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i : wrong) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.messages().get(i).mail().id());
            m.put("label", SpamCorpus.CLASS_NAMES.get(e.actual()[i]));
            m.put("predicted", SpamCorpus.CLASS_NAMES.get(e.predicted()[i]));
            m.put("p_spam", round(e.pSpam()[i], 4));
            m.put("text", excerpt(e.messages().get(i).mail().text(), EXAMPLE_CHARS));
            out.add(m);
        }
        return out;
    }

    /** The first {@code chars} characters of {@code text} on one line, "..." when cut. */
    static String excerpt(String text, int chars) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= chars ? flat : flat.substring(0, chars) + "...";
    }

    private static String predictionsJsonl(Evaluation e) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < e.actual().length; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.messages().get(i).mail().id());
            m.put("label", e.actual()[i]);
            m.put("predicted", e.predicted()[i]);
            m.put("p_spam", e.pSpam()[i]);
            sb.append(Json.write(m)).append('\n');
        }
        return sb.toString();
    }

    private Map<String, Object> reportJson(SpamCorpus.Corpus corpus, SpamCorpus.Split split, WordVocabulary vocab,
            BinaryScores test, BinaryScores baseline, int majority, Evaluation val, double testLoss,
            double wallSeconds, double readSeconds, List<Map<String, Object>> errors) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("messages_per_group", corpus.perGroup());
        data.put("duplicates_removed", corpus.duplicates());
        data.put("duplicates_with_other_label", corpus.conflicting());
        data.put("distinct_messages", corpus.mails().size());
        data.put("ham", corpus.count(SpamCorpus.HAM));
        data.put("spam", corpus.count(SpamCorpus.SPAM));
        data.put("train", splitCounts(split.train()));
        data.put("val", splitCounts(split.val()));
        data.put("test", splitCounts(split.test()));
        data.put("vocab_size", vocab.size());
        data.put("read_seconds", round(readSeconds, 3));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("positive_class", "spam");
        r.put("data", data);
        Map<String, Object> t = test.toJson();
        t.put("loss", Double.isFinite(testLoss) ? testLoss : null); // NaN for an empty test split
        r.put("test", t);
        Map<String, Object> b = baseline.toJson();
        b.put("predicts", SpamCorpus.CLASS_NAMES.get(majority));
        r.put("majority_baseline", b);
        r.put("validation", val.counts().toJson());
        r.put("wall_seconds", round(wallSeconds, 3));
        r.put("misclassified", errors);
        return r;
    }

    private static Map<String, Object> splitCounts(List<SpamCorpus.Mail> mails) {
        long spam = mails.stream().filter(m -> m.label() == SpamCorpus.SPAM).count();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messages", mails.size());
        m.put("ham", mails.size() - spam);
        m.put("spam", spam);
        return m;
    }

    static Map<String, Object> configJson(TransformerClassifier.Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab_size", c.vocabSize());
        m.put("max_len", c.maxLen());
        m.put("layers", c.layers());
        m.put("width", c.width());
        m.put("heads", c.heads());
        m.put("mlp", c.feedForward());
        m.put("dropout", c.dropout());
        m.put("classes", c.classes());
        m.put("pad_id", WordVocabulary.PAD);
        m.put("unknown_id", WordVocabulary.UNKNOWN);
        return m;
    }

    private static Map<String, Object> vocabJson(WordVocabulary v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pad_id", WordVocabulary.PAD);
        m.put("unknown_id", WordVocabulary.UNKNOWN);
        m.put("first_word_id", 2);
        m.put("tokenizer", "lower-cased letter/digit runs, single ideographs, single other visible characters");
        m.put("words", new ArrayList<Object>(v.words()));
        return m;
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
