package dev.kiln.apps.train;

import dev.kiln.apps.Plural;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.data.vocab.CharVocabulary;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.GptConfigJson;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.BatchSource;
import dev.kiln.optim.train.Trainer;
import dev.kiln.optim.train.TrainingListener;
import dev.kiln.optim.train.TrainingLoop;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 * {@code kiln train gpt}: a character-level GPT on the Brown corpus. The documents lose their POS
 * tags ({@link BrownText}); every tenth document (by name order, so each genre is represented) is
 * held out for validation. The vocabulary is the characters seen at least {@link #MIN_CHAR_COUNT}
 * times in the training text plus one unknown token ({@link CharVocabulary}); with {@code
 * --tokenizer bpe} it is instead a byte-level BPE of {@code --vocab-size} ids learned from the
 * training text ({@link TextTokenizer#bpe}), saved as tokenizer.json, and "character" below reads
 * "token". Each step trains on
 * {@code --batch-size} windows of {@code --context + 1} characters drawn at seeded random offsets
 * of the concatenated training text (next-character cross-entropy over every position). AdamW with
 * linear warm-up and cosine decay, gradient norm clipped to 1.0. Every {@code --eval-every} steps
 * the loss on a fixed set of validation windows is logged with its perplexity. At the end the model
 * continues {@code --prompt} with temperature / top-k / top-p sampling ({@link TokenSampler}).
 */
@Command(name = "gpt", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a character-level GPT on the Brown corpus, then sample text from it. Writes metrics.jsonl, curves.png,"
            + " model.safetensors (vocabulary in its metadata), vocab.json (tokenizer.json with --tokenizer bpe), config.json,"
            + " sample.txt and checkpoints/ into the run directory."},
        footer = {"", "Settings can also come from --config file.json or file.yaml ({\"steps\": 300, \"lr\": 0.002, ...});",
            "flags given on the command line override the file."})
public final class GptCommand implements Callable<Integer> {
    /** Characters rarer than this in the training text map to the unknown token. */
    static final int MIN_CHAR_COUNT = 5;
    static final double PEAK_FLOPS_PER_THREAD = CnnCommand.PEAK_FLOPS_PER_THREAD;
    static final double MAX_GRAD_NORM = 1.0;

    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = 600;

    @Option(names = "--batch-size", description = "Windows per step (default: ${DEFAULT-VALUE}).")
    int batchSize = 12;

    @Option(names = "--context", description = "Characters per window, the model's maximum length (default: ${DEFAULT-VALUE}).")
    int context = 128;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1e-3;

    @Option(names = "--warmup", paramLabel = "STEPS", description = "Linear warm-up steps before the cosine decay (default: ${DEFAULT-VALUE}).")
    int warmup = 40;

    @Option(names = "--weight-decay", description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay = 0.01;

    @Option(names = "--layers", description = "Transformer blocks (default: ${DEFAULT-VALUE}).")
    int layers = 4;

    @Option(names = "--width", description = "Model width d_model (default: ${DEFAULT-VALUE}).")
    int width = 128;

    @Option(names = "--heads", description = "Attention heads; must divide --width (default: ${DEFAULT-VALUE}).")
    int heads = 4;

    @Option(names = "--mlp", description = "Hidden size of the feed-forward layers (default: 4 x --width).")
    Integer mlp;

    @Option(names = "--seed", description = "Seed of the initial weights, the batches and the sampling (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--tokenizer", description = "char: one token per character; bpe: byte-level BPE learned from the training"
            + " documents, saved as tokenizer.json (default: ${DEFAULT-VALUE}).")
    String tokenizer = "char";

    @Option(names = "--vocab-size", description = "BPE vocabulary size with --tokenizer bpe, the 256 byte tokens and"
            + " <|endoftext|> included (default: ${DEFAULT-VALUE}).")
    int vocabSize = 1024;

    @Option(names = "--shards", paramLabel = "DIR", description = "Train on the token shards of a `kiln data prep` run"
            + " (DIR/tokenizer.json, DIR/train, DIR/val, checksums verified) instead of the Brown text; --tokenizer,"
            + " --vocab-size and --limit-docs then do not apply.")
    Path shards;

    @Option(names = "--limit-docs", paramLabel = "N", description = "Read only the first N documents (0: all 500).")
    int limitDocs;

    @Option(names = "--eval-every", paramLabel = "STEPS", description = "Validation interval (default: ${DEFAULT-VALUE}; also after the last step).")
    int evalEvery = 100;

    @Option(names = "--eval-windows", paramLabel = "N", description = "Fixed validation windows (default: ${DEFAULT-VALUE}).")
    int evalWindows = 64;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", description = "Checkpoint interval, the last 2 kept (default: ${DEFAULT-VALUE}; also after the last step).")
    int checkpointEvery = 200;

    @Option(names = "--sample-length", paramLabel = "CHARS", description = "Characters to sample after training (default: ${DEFAULT-VALUE}; 0: none).")
    int sampleLength = 400;

    @Option(names = "--temperature", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature = 0.8;

    @Option(names = "--top-k", description = "Sample among the K most likely characters (default: ${DEFAULT-VALUE}; 0: all).")
    int topK = 40;

    @Option(names = "--top-p", description = "Nucleus sampling: the most likely characters holding this probability (default: ${DEFAULT-VALUE}; 1: all).")
    double topP = 0.95;

    @Option(names = "--prompt", description = "Text the sample continues (default: \"${DEFAULT-VALUE}\").")
    String prompt = "The jury said";

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
        if (shards != null) {
            GptCorpus corpus;
            try {
                corpus = GptCorpus.fromShards(shards, context);
            } catch (NoSuchFileException | MalformedDataException e) {
                stderr.println("kiln train gpt: --shards " + shards + ": " + e.getMessage());
                stderr.println("prepare shards with:  ./kiln data prep --out " + shards);
                stderr.flush();
                return 1;
            }
            return common.withThreads(() -> train(corpus, stdout));
        }
        Path dir = common.dataSet("brown");
        List<BrownText.Document> docs;
        try {
            docs = BrownText.read(dir, limitDocs);
        } catch (BrownText.MissingException e) {
            stderr.println("kiln train gpt: the Brown corpus was not found: " + e.getMessage()
                    + "; fetch it with: " + common.fetchCommand("brown"));
            stderr.flush();
            return 1;
        }
        return common.withThreads(() -> train(GptCorpus.split(docs, context, this::tokenizerFor), stdout));
    }

    private void validate() {
        check(steps >= 1, "--steps must be >= 1, got " + steps);
        check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        check(context >= 2, "--context must be >= 2, got " + context);
        check(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        check(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "--weight-decay must be >= 0, got " + weightDecay);
        check(layers >= 1, "--layers must be >= 1, got " + layers);
        check(width >= 1, "--width must be >= 1, got " + width);
        check(heads >= 1 && width % heads == 0, "--heads must be >= 1 and divide --width " + width + ", got " + heads);
        check(mlp == null || mlp >= 1, "--mlp must be >= 1, got " + mlp);
        check(limitDocs >= 0, "--limit-docs must be >= 0, got " + limitDocs);
        check(evalEvery >= 1, "--eval-every must be >= 1, got " + evalEvery);
        check(evalWindows >= 1, "--eval-windows must be >= 1, got " + evalWindows);
        check(checkpointEvery >= 1, "--checkpoint-every must be >= 1, got " + checkpointEvery);
        check(sampleLength >= 0, "--sample-length must be >= 0, got " + sampleLength);
        check(temperature > 0 && Double.isFinite(temperature), "--temperature must be a positive number, got " + temperature);
        check(topK >= 0, "--top-k must be >= 0 (0: off), got " + topK);
        check(topP > 0 && topP <= 1, "--top-p must be in (0, 1], got " + topP);
        check(!prompt.isEmpty(), "--prompt must not be empty");
        check(common.threads >= 1, "--threads must be >= 1, got " + common.threads);
        check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
        check(tokenizer.equals("char") || tokenizer.equals("bpe"), "--tokenizer must be char or bpe, got " + tokenizer);
        check(vocabSize >= 257, "--vocab-size must be >= 257 (the 256 byte tokens and <|endoftext|>), got " + vocabSize);
    }

    /** The --tokenizer learned from the training text. */
    TextTokenizer tokenizerFor(String trainingText) {
        return tokenizer.equals("bpe") ? TextTokenizer.bpe(trainingText, vocabSize)
                : TextTokenizer.characters(trainingText, MIN_CHAR_COUNT);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln train gpt: " + message);
        }
    }

    Gpt.Config modelConfig(int vocabSize) {
        return new Gpt.Config(vocabSize, context, layers, width, heads, heads, mlp != null ? mlp : 4 * width, false, true);
    }

    /** One step's windows: inputs [B, T] and targets [B, T], closed by the loop after the step. */
    private record Windows(Tensor x, Tensor y) implements AutoCloseable {
        @Override
        public void close() {
            x.close();
            y.close();
        }
    }

    private int train(GptCorpus corpus, PrintWriter stdout) throws IOException {
        TrainingRun run = TrainingRun.open(spec, common, "gpt", 2);
        Files.writeString(run.dir().config(), JsonFiles.writePretty(settings(corpus)) + "\n");
        Path vocabFile = corpus.vocab().save(run.dir().path());

        Generator g = new Generator(seed);
        Gpt model = new Gpt(modelConfig(corpus.vocab().size()), g);
        Generator dataGen = g.split();
        Generator evalGen = g.split();
        Generator sampleGen = g.split();
        long[] evalStarts = new long[evalWindows];
        evalGen.fillRandInt(evalStarts, 0, evalWindows, 0, corpus.val().length - context);

        AdamW opt = AdamW.builder(model.parameters()).lr(lr).weightDecay(weightDecay).build();
        int warm = Math.min(warmup, steps - 1);
        LrScheduler scheduler = new LrScheduler(opt, LrSchedule.warmupCosine(warm, steps, lr / 10));
        Trainer<Windows> trainer = Trainer.builder(opt, (Windows b) -> GptWindows.loss(model, b.x(), b.y()))
                .scheduler(scheduler).maxGradNorm(MAX_GRAD_NORM).build();
        long[] starts = new long[batchSize];
        BatchSource<Windows> windows = BatchSource.endless(() -> {
            dataGen.fillRandInt(starts, 0, batchSize, 0, corpus.train().length - context);
            Tensor[] b = GptWindows.batch(corpus.train(), starts, context);
            return new Windows(b[0], b[1]);
        });

        long tokensPerStep = (long) batchSize * context;
        try (run) {
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, steps, 1,
                    "tokens", GptWindows.trainFlopsPerToken(model, context), PEAK_FLOPS_PER_THREAD * common.threads);
            LossCurvePlot plot = new LossCurvePlot("kiln train gpt: Brown corpus, " + corpus.vocab().unit(),
                    Math.max(1, Math.min(25, steps / 10)));
            double[] firstValLoss = {Double.NaN};
            double[] trainNanos = {0};
            long[] stepsRun = {0};
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onStep(Trainer.StepResult r, long epoch, List<?> micro, long dataNanos, long stepNanos,
                        Map<String, Object> rec) {
                    trainNanos[0] += stepNanos;
                    stepsRun[0]++;
                    rec.remove("epoch"); // one endless stream of windows: no epochs
                    rec.put("grad_norm", round(r.gradNorm(), 4));
                    rec.put("tokens_per_s", round(tokensPerStep / (stepNanos / 1e9), 1));
                    plot.addTrain(r.step(), r.loss());
                    progress.step(r.step(), 0, r.loss(), r.lr(), (int) tokensPerStep);
                }

                @Override
                public void onEvaluation(long step, Map<String, Object> m, Map<String, Object> rec) {
                    double loss = ((Number) m.get("val_loss")).doubleValue();
                    if (step == 0) {
                        firstValLoss[0] = loss;
                    }
                    plot.addValidation(step, loss);
                    progress.println(String.format(Locale.ROOT, "step %d: validation loss %.4f, perplexity %.2f", step,
                            loss, Math.exp(loss)));
                    try {
                        plot.save(run.dir().plot()); // an interrupted run still has its curves
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            TrainingLoop<Windows> loop = run.loop(trainer, windows).maxSteps(steps)
                    .evaluator(() -> GptWindows.evaluate(model, corpus.val(), evalStarts, batchSize, context).asMetrics()).evalEachEpoch(false)
                    .evalAtStart(true).evalEverySteps(evalEvery).evalAtEnd(true).listener(listener)
                    .checkpoints(new TrainingCheckpoint(model, opt).scheduler(scheduler).generator("data", dataGen),
                            run.checkpoints())
                    .checkpointEverySteps(checkpointEvery).build();
            run.start(loop, stdout);
            for (Map<String, Object> rec : run.log().earlier()) { // the curves of the part before a resume
                long step = ((Number) rec.get("step")).longValue();
                if ("step".equals(rec.get("kind"))) {
                    plot.addTrain(step, ((Number) rec.get("loss")).doubleValue());
                } else if ("eval".equals(rec.get("kind"))) {
                    double loss = ((Number) rec.get("val_loss")).doubleValue();
                    plot.addValidation(step, loss);
                    firstValLoss[0] = step == 0 ? loss : firstValLoss[0];
                }
            }
            stdout.printf(Locale.ROOT, "kiln train gpt: %d train / %d validation documents (%d / %d %s), vocabulary %d,"
                    + " %d params (%d layers, width %d, %d heads, mlp %d, context %d), AdamW lr %.3g warm-up %d + cosine,"
                    + " batch %d x %d, %s, %s%n",
                    corpus.trainDocs(), corpus.valDocs(), corpus.train().length, corpus.val().length, corpus.vocab().unit(),
                    corpus.vocab().size(),
                    model.parameterCount(), layers, width, heads, model.config.dFeedForward(), context, lr, warm,
                    batchSize, context, Plural.of(steps, "step"), Plural.of(common.threads, "thread"));
            stdout.println("run directory: " + run.dir().path());
            stdout.flush();

            long runStart = System.nanoTime();
            TrainingLoop.Result result = loop.fit();
            progress.finish();
            if (result.reason() == TrainingLoop.StopReason.INTERRUPTED) {
                return run.interrupted(result, stdout, common.out);
            }
            plot.save(run.dir().plot());
            GptWindows.Evaluation last = new GptWindows.Evaluation(((Number) result.lastEvaluation().get("val_loss")).doubleValue());
            GptWindows.Evaluation first = new GptWindows.Evaluation(firstValLoss[0]);
            double lastLoss = result.lastLoss();
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;
            double tokensPerSecond = stepsRun[0] * tokensPerStep / (trainNanos[0] / 1e9); // this process's steps

            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train gpt: GPT on the Brown corpus, " + corpus.vocab().unit());
            meta.put("config", JsonFiles.write(GptConfigJson.toJson(model.config)));
            meta.putAll(corpus.vocab().metadata());
            meta.put("val_loss", Double.toString(last.loss()));
            Safetensors.saveModule(run.dir().model(), model, meta);

            String text = "";
            if (sampleLength > 0) {
                TokenSampler sampler = new TokenSampler(temperature, topK, topP);
                long[] ids = sampler.generate(model, corpus.vocab().encode(prompt), sampleLength, sampleGen);
                text = corpus.vocab().decode(ids);
                Files.writeString(run.dir().path().resolve("sample.txt"), text + "\n");
            }

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("kind", "summary");
            summary.put("steps", (long) steps);
            summary.put("train_loss", lastLoss);
            summary.put("val_loss", last.loss());
            summary.put("val_perplexity", last.perplexity());
            summary.put("first_val_loss", first.loss());
            summary.put("wall_seconds", round(wallSeconds, 3));
            summary.put("train_tokens_per_s", round(tokensPerSecond, 1));
            run.write(summary);

            stdout.printf(Locale.ROOT, "done in %s: %s, train loss %.4f, validation loss %.4f (perplexity %.2f, was %.2f);"
                    + " training %.0f tokens/s%n", ProgressLine.duration(wallSeconds), Plural.of(steps, "step"), lastLoss, last.loss(),
                    last.perplexity(), first.perplexity(), tokensPerSecond);
            if (sampleLength > 0) {
                stdout.printf(Locale.ROOT, "sample (temperature %s, top-k %d, top-p %s, seed %d):%n", temperature, topK, topP, seed);
                stdout.println(text);
                stdout.println();
            }
            stdout.println("metrics: " + run.dir().metrics());
            stdout.println("curves:  " + run.dir().plot());
            stdout.println("model:   " + run.dir().model());
            stdout.println("vocab:   " + vocabFile);
            stdout.println("config:  " + run.dir().config());
            stdout.println(sampleLength > 0 ? "sample:  " + run.dir().path().resolve("sample.txt") : "sample:  none (--sample-length 0)");
            stdout.println("checkpoints: " + run.checkpoints().directory());
            stdout.flush();
            return 0;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private Map<String, Object> settings(GptCorpus corpus) {
        Map<String, Object> s = RunOptions.settings(spec);
        s.put("mlp", mlp != null ? mlp : 4 * width);
        if (shards != null) {
            s.put("tokenizer", "bpe"); // the prep run's, not --tokenizer
            s.put("vocab-size", corpus.vocab().size());
        }
        s.put("train_documents", corpus.trainDocs());
        s.put("val_documents", corpus.valDocs());
        boolean chars = corpus.vocab() instanceof TextTokenizer.Chars;
        s.put(chars ? "train_characters" : "train_tokens", corpus.train().length);
        s.put(chars ? "val_characters" : "val_tokens", corpus.val().length);
        s.put("vocab_size", corpus.vocab().size());
        return s;
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
