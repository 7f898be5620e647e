package dev.kiln.apps.train;

import dev.kiln.apps.Plural;
import dev.kiln.apps.train.G2pPairs.Pair;
import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.TokenVocabulary;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.Trainer;
import dev.kiln.optim.train.TrainingListener;
import dev.kiln.optim.train.TrainingLoop;
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
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln train seq2seq}: grapheme-to-phoneme conversion on CMUdict with an
 * {@link EncoderDecoder} transformer: a word's letters in, its ARPAbet phones out. The dictionary
 * is parsed by {@link Cmudict} (letter-and-apostrophe words, stress removed unless
 * {@code --keep-stress}); the words (never single pronunciations) are split at random, seeded,
 * into training, validation and test words. Every pronunciation of a training word is one
 * training pair. Batches are drawn by length (similar lengths together, {@link Batches}); the
 * loss is the per-phone cross-entropy of teacher-forced targets (padding ignored), optimised by
 * AdamW with linear warm-up and cosine decay, gradient norm clipped to 1. The validation loss is
 * logged every {@code --eval-every} steps; at the end the test words are decoded greedily and with
 * beam search ({@link dev.kiln.nn.generate.SequenceSearch}) and scored ({@link G2pEvaluation}): phoneme error rate,
 * word error rate and BLEU over phone strings.
 */
@Command(name = "seq2seq", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an encoder-decoder transformer for grapheme-to-phoneme conversion on CMUdict (word -> ARPAbet phones).",
            "Then decode the held-out words greedily and with beam search and report phoneme error rate, word error rate and BLEU.",
            "Writes metrics.jsonl, curves.png, model.safetensors (vocabularies in its metadata), report.json, predictions.tsv",
            "and config.json into the run directory."},
        footer = {"", "Settings can also come from --config file.json or file.yaml ({\"steps\": 1000, \"beam\": 4, ...});",
            "flags given on the command line override the file."})
public final class Seq2seqCommand implements Callable<Integer> {
    static final double PEAK_FLOPS_PER_THREAD = CnnCommand.PEAK_FLOPS_PER_THREAD;
    static final double MAX_GRAD_NORM = 1.0;
    /** Batches sorted by length together: large enough for little padding, small enough to keep the order random. */
    static final int POOL_BATCHES = 50;
    static final List<String> LETTER_SPECIALS = List.of("<pad>", "<unk>");
    static final List<String> PHONE_SPECIALS = List.of("<pad>", "<s>", "</s>");

    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = 3000;

    @Option(names = "--batch-size", description = "Word-pronunciation pairs per step (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 2e-3;

    @Option(names = "--warmup", paramLabel = "STEPS", description = "Linear warm-up steps before the cosine decay (default: ${DEFAULT-VALUE}).")
    int warmup = 100;

    @Option(names = "--weight-decay", description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay = 0.01;

    @Option(names = "--label-smoothing", description = "Label smoothing of the training loss (default: ${DEFAULT-VALUE}).")
    double labelSmoothing = 0.0;

    @Option(names = "--encoder-layers", description = "Encoder layers (default: ${DEFAULT-VALUE}).")
    int encoderLayers = 2;

    @Option(names = "--decoder-layers", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int decoderLayers = 2;

    @Option(names = "--width", description = "Model width d_model (default: ${DEFAULT-VALUE}).")
    int width = 128;

    @Option(names = "--heads", description = "Attention heads; must divide --width (default: ${DEFAULT-VALUE}).")
    int heads = 4;

    @Option(names = "--mlp", description = "Hidden size of the feed-forward layers (default: 2 x --width).")
    Integer mlp;

    @Option(names = "--dropout", description = "Dropout in the transformer layers (default: ${DEFAULT-VALUE}).")
    double dropout = 0.0;

    @Option(names = "--seed", description = "Seed of the split, the initial weights and the batch order (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--keep-stress", description = "Keep the lexical-stress digits on vowels (AH0, EY1): a harder task with more phones.")
    boolean keepStress;

    @Option(names = "--test-words", paramLabel = "N", description = "Held-out words the final metrics are computed on (default: ${DEFAULT-VALUE}).")
    int testWords = 3000;

    @Option(names = "--val-words", paramLabel = "N", description = "Held-out words for the validation loss (default: ${DEFAULT-VALUE}).")
    int valWords = 500;

    @Option(names = "--limit-words", paramLabel = "N", description = "Use only N words, drawn at random with --seed (0: all).")
    int limitWords;

    @Option(names = "--synthetic", paramLabel = "WORDS", description = "Train on a generated rule-based dictionary of this many words instead of CMUdict (no download).")
    int synthetic;

    @Option(names = "--eval-every", paramLabel = "STEPS", description = "Validation and checkpoint interval (default: ${DEFAULT-VALUE}; also after the last step).")
    int evalEvery = 250;

    @Option(names = "--beam", paramLabel = "N", description = "Beam width of the beam-search decoding (default: ${DEFAULT-VALUE}; 1 equals greedy).")
    int beam = 4;

    @Option(names = "--length-alpha", description = "Beam scores are logP / length^alpha, length counting the end token (default: ${DEFAULT-VALUE}; 0: raw logP).")
    double lengthAlpha = 1.0;

    @Option(names = "--decode-batch", paramLabel = "WORDS", description = "Words decoded together (default: ${DEFAULT-VALUE}).")
    int decodeBatch = 256;

    @Option(names = "--cost-words", paramLabel = "N", description = "Test words decoded a second time without the decoder cache, to measure what it saves (default: ${DEFAULT-VALUE}; 0: skip).")
    int costWords = 500;

    @Option(names = "--examples", paramLabel = "N", description = "Test words printed with their references and hypotheses (default: ${DEFAULT-VALUE}).")
    int examples = 12;

    @Option(names = "--log-every", paramLabel = "STEPS", description = "Log line interval when stdout is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery = 50;

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
        Cmudict.Lexicon lexicon;
        String source;
        if (synthetic > 0) {
            List<Cmudict.Word> words = SyntheticLexicon.generate(synthetic, seed);
            lexicon = new Cmudict.Lexicon(words, words.stream().mapToInt(w -> w.pronunciations().size()).sum(), 0, 0);
            source = "synthetic dictionary (" + synthetic + " words)";
        } else {
            Path dir = common.dataSet("cmudict");
            try {
                lexicon = Cmudict.read(dir, keepStress);
            } catch (Cmudict.MissingException e) {
                stderr.println("kiln train seq2seq: CMUdict was not found: " + e.getMessage()
                        + "; fetch it with: " + common.fetchCommand("cmudict") + " (or try --synthetic 2000)");
                stderr.flush();
                return 1;
            }
            source = dir.resolve("dict.txt").toString();
        }
        List<Cmudict.Word> words = lexicon.words();
        if (limitWords > 0 && limitWords < words.size()) {
            words = new ArrayList<>(words);
            java.util.Collections.shuffle(words, new Random(seed ^ 0x11317L));
            words = List.copyOf(words.subList(0, limitWords));
        }
        if (testWords + valWords >= words.size()) {
            throw new ParameterException(spec.commandLine(), "kiln train seq2seq: --test-words " + testWords + " + --val-words "
                    + valWords + " must leave training words out of the " + words.size() + " words");
        }
        Cmudict.Split split = Cmudict.split(words, valWords, testWords, seed);
        Lexicon lex = new Lexicon(lexicon, source, split);
        return common.withThreads(() -> train(lex, stdout));
    }

    private void validate() {
        check(steps >= 1, "--steps must be >= 1, got " + steps);
        check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        check(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        check(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "--weight-decay must be >= 0, got " + weightDecay);
        check(labelSmoothing >= 0 && labelSmoothing < 1, "--label-smoothing must be in [0, 1), got " + labelSmoothing);
        check(encoderLayers >= 1, "--encoder-layers must be >= 1, got " + encoderLayers);
        check(decoderLayers >= 1, "--decoder-layers must be >= 1, got " + decoderLayers);
        check(width >= 1, "--width must be >= 1, got " + width);
        check(heads >= 1 && width % heads == 0, "--heads must be >= 1 and divide --width " + width + ", got " + heads);
        check(mlp == null || mlp >= 1, "--mlp must be >= 1, got " + mlp);
        check(dropout >= 0 && dropout < 1, "--dropout must be in [0, 1), got " + dropout);
        check(testWords >= 1, "--test-words must be >= 1, got " + testWords);
        check(valWords >= 1, "--val-words must be >= 1, got " + valWords);
        check(limitWords >= 0, "--limit-words must be >= 0 (0: all), got " + limitWords);
        check(synthetic >= 0, "--synthetic must be >= 0 (0: CMUdict), got " + synthetic);
        check(evalEvery >= 1, "--eval-every must be >= 1, got " + evalEvery);
        check(beam >= 1, "--beam must be >= 1, got " + beam);
        check(lengthAlpha >= 0 && Double.isFinite(lengthAlpha), "--length-alpha must be a finite number >= 0, got " + lengthAlpha);
        check(decodeBatch >= 1, "--decode-batch must be >= 1, got " + decodeBatch);
        check(costWords >= 0, "--cost-words must be >= 0, got " + costWords);
        check(examples >= 0, "--examples must be >= 0, got " + examples);
        check(common.threads >= 1, "--threads must be >= 1, got " + common.threads);
        check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln train seq2seq: " + message);
        }
    }

    /** The parsed dictionary, where it came from, and its split. */
    record Lexicon(Cmudict.Lexicon parsed, String source, Cmudict.Split split) {}

    private int train(Lexicon lex, PrintWriter stdout) throws IOException {
        Cmudict.Split split = lex.split();
        G2pPairs.Vocabularies vocabs = G2pPairs.Vocabularies.of(split, LETTER_SPECIALS, PHONE_SPECIALS);
        TokenVocabulary letters = vocabs.letters();
        TokenVocabulary phones = vocabs.phones();
        int maxLen = vocabs.maxLen();
        List<Pair> train = G2pPairs.pairs(split.train(), letters, phones);
        List<Pair> val = G2pPairs.pairs(split.validation(), letters, phones);

        TrainingRun run = TrainingRun.open(spec, common, "seq2seq", 2);
        AtomicFiles.writeString(run.dir().config(), JsonFiles.writePretty(settings(lex, letters, phones, train.size(), maxLen)) + "\n");

        Generator g = new Generator(seed);
        EncoderDecoder model = new EncoderDecoder(modelConfig(letters.size(), phones.size(), maxLen), g);
        AdamW opt = AdamW.builder(model.parameters()).lr(lr).weightDecay(weightDecay).build();
        int warm = Math.min(warmup, steps - 1);
        LrScheduler scheduler = new LrScheduler(opt, LrSchedule.warmupCosine(warm, steps, lr / 20));
        Trainer<G2pPairs.Batch> trainer = Trainer.builder(opt, (G2pPairs.Batch b) -> G2pPairs.loss(model, b.tensors(), labelSmoothing))
                .scheduler(scheduler).maxGradNorm(MAX_GRAD_NORM).build();

        // epoch after epoch of length-bucketed batches from one seeded Random; a resume draws them again from its start
        int[] trainLengths = train.stream().mapToInt(p -> p.letters().length + p.phones().length).toArray();
        PlannedEpochs<int[], G2pPairs.Batch> batches = new PlannedEpochs<>(() -> {
            Random order = new Random(seed ^ 0xba7c4L);
            return () -> Batches.bucketed(trainLengths, batchSize, POOL_BATCHES, order);
        }, idx -> G2pPairs.Batch.of(train, idx), true);
        int batchesPerEpoch = batches.currentPlan().size();
        int epochs = (int) Math.ceil((double) steps / batchesPerEpoch);
        List<int[]> valBatches = Batches.bucketed(val.stream().mapToInt(p -> p.letters().length + p.phones().length).toArray(),
                batchSize, Integer.MAX_VALUE / Math.max(1, batchSize), new Random(0));

        double meanSrc = train.stream().mapToInt(p -> p.letters().length).average().orElse(1);
        double meanTgt = train.stream().mapToInt(p -> p.phones().length + 1).average().orElse(1);
        double flops = G2pPairs.trainFlopsPerPair(model.config, meanSrc, meanTgt);
        try (run) {
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, steps, epochs, "words",
                    flops, PEAK_FLOPS_PER_THREAD * common.threads);
            LossCurvePlot plot = new LossCurvePlot("kiln train seq2seq: " + (synthetic > 0 ? "synthetic dictionary" : "CMUdict")
                    + ", letters to phones", Math.max(1, Math.min(25, steps / 10)));
            double[] firstVal = {Double.NaN};
            double[] trainNanos = {0};
            long[] trainPairs = {0};
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onStep(Trainer.StepResult r, long epoch, List<?> micro, long dataNanos, long stepNanos,
                        Map<String, Object> rec) {
                    int pairs = ((G2pPairs.Batch) micro.getFirst()).pairs();
                    trainNanos[0] += stepNanos;
                    trainPairs[0] += pairs;
                    rec.put("epoch", batches.epochIndex()); // one stream of batches; the epoch is the source's
                    rec.put("grad_norm", round(r.gradNorm(), 4));
                    rec.put("words_per_s", round(pairs / (stepNanos / 1e9), 1));
                    plot.addTrain(r.step(), r.loss());
                    progress.step(r.step(), (int) batches.epochIndex(), r.loss(), r.lr(), pairs);
                }

                @Override
                public void onEvaluation(long step, Map<String, Object> m, Map<String, Object> rec) {
                    double loss = ((Number) m.get("val_loss")).doubleValue();
                    firstVal[0] = step == 0 ? loss : firstVal[0];
                    plot.addValidation(step, loss);
                    progress.println(String.format(Locale.ROOT, "step %d: validation loss %.4f", step, loss));
                    try {
                        AtomicFiles.write(run.dir().plot(), plot::save); // an interrupted run still has its curves
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            TrainingLoop<G2pPairs.Batch> loop = run.loop(trainer, batches).maxSteps(steps)
                    .evaluator(() -> Map.of("val_loss", G2pPairs.validationLoss(model, val, valBatches))).evalEachEpoch(false)
                    .evalAtStart(true).evalEverySteps(evalEvery).evalAtEnd(true).listener(listener)
                    .checkpoints(DropoutGenerators.register(new TrainingCheckpoint(model, opt).scheduler(scheduler), model),
                            run.checkpoints())
                    .checkpointEverySteps(evalEvery).build();
            run.start(loop, stdout);
            for (Map<String, Object> rec : run.log().earlier()) { // the curves of the part before a resume
                long step = ((Number) rec.get("step")).longValue();
                if ("step".equals(rec.get("kind"))) {
                    plot.addTrain(step, ((Number) rec.get("loss")).doubleValue());
                } else if ("eval".equals(rec.get("kind"))) {
                    double loss = ((Number) rec.get("val_loss")).doubleValue();
                    plot.addValidation(step, loss);
                    firstVal[0] = step == 0 ? loss : firstVal[0];
                }
            }
            stdout.printf(Locale.ROOT, "kiln train seq2seq: %s: %d words kept (%d entries, %d dropped)%s; split %d train / %d"
                    + " validation / %d test words (%d training pairs); %d letters, %d phones%n",
                    lex.source(), lex.parsed().words().size(), lex.parsed().entries(), lex.parsed().droppedEntries(),
                    limitWords > 0 ? ", limited to " + (split.train().size() + split.validation().size() + split.test().size()) : "",
                    split.train().size(), split.validation().size(), split.test().size(), train.size(),
                    letters.size() - LETTER_SPECIALS.size(), phones.size() - PHONE_SPECIALS.size());
            stdout.printf(Locale.ROOT, "model: %d params (encoder %d + decoder %d layers, width %d, %d heads, mlp %d, max length %d);"
                    + " AdamW lr %.3g warm-up %d + cosine, batch %d, %s (%.2f epochs), %s%n",
                    model.parameterCount(), encoderLayers, decoderLayers, width, heads, model.config.dFeedForward(), maxLen, lr, warm,
                    batchSize, Plural.of(steps, "step"), (double) steps / batchesPerEpoch, Plural.of(common.threads, "thread"));
            stdout.println("run directory: " + run.dir().path());
            stdout.flush();

            long runStart = System.nanoTime();
            TrainingLoop.Result result = loop.fit();
            progress.finish();
            if (result.reason() == TrainingLoop.StopReason.INTERRUPTED) {
                return run.interrupted(result, stdout, common.out);
            }
            AtomicFiles.write(run.dir().plot(), plot::save);
            double trainSeconds = (System.nanoTime() - runStart) / 1e9;
            double pairsPerSecond = trainPairs[0] / (trainNanos[0] / 1e9); // this process's steps
            double lastLoss = result.lastLoss();
            double lastVal = result.lastEvaluation().get("val_loss") instanceof Number n ? n.doubleValue()
                    : G2pPairs.validationLoss(model, val, valBatches); // resumed from the last step's checkpoint

            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train seq2seq: grapheme-to-phoneme EncoderDecoder on " + (synthetic > 0 ? "a synthetic dictionary" : "CMUdict"));
            meta.put("config", JsonFiles.write(Seq2seqReport.configJson(model.config)));
            meta.put("letters", JsonFiles.write(letters.tokens()));
            meta.put("phones", JsonFiles.write(phones.tokens()));
            meta.put("keep_stress", Boolean.toString(keepStress));
            Safetensors.saveModule(run.dir().model(), model, meta);

            model.eval(); // the held-out words
            G2pEvaluation.HeldOut heldOut = G2pEvaluation.heldOut(model, letters, phones, split.test(),
                    new G2pEvaluation.Settings(beam, lengthAlpha, decodeBatch, maxLen - 1, true), costWords);
            G2pEvaluation.Result greedy = heldOut.greedy();
            G2pEvaluation.Result beamResult = heldOut.beam();
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;

            for (G2pEvaluation.Result res : List.of(greedy, beamResult)) {
                run.write(Seq2seqReport.resultRecord(res));
            }
            run.write(Seq2seqReport.summary(steps, lastLoss, lastVal, greedy, beamResult, trainSeconds, wallSeconds, pairsPerSecond));

            Path report = run.dir().path().resolve("report.json");
            Path predictionsFile = run.dir().path().resolve("predictions.tsv");
            AtomicFiles.writeString(report, JsonFiles.writePretty(Seq2seqReport.report(this, lex, model, greedy, beamResult, heldOut.cost(), lastLoss,
                    lastVal, trainSeconds, wallSeconds, pairsPerSecond)) + "\n");
            AtomicFiles.writeString(predictionsFile, Seq2seqReport.predictionsTsv(greedy, beamResult));

            stdout.printf(Locale.ROOT, "done in %s (training %s, %.0f words/s): train loss %.4f, validation loss %.4f (was %.4f)%n",
                    ProgressLine.duration(wallSeconds), ProgressLine.duration(trainSeconds), pairsPerSecond, lastLoss, lastVal,
                    firstVal[0]);
            Seq2seqReport.print(stdout, split, greedy, beamResult, heldOut.cost(), examples);
            stdout.println("metrics:     " + run.dir().metrics());
            stdout.println("curves:      " + run.dir().plot());
            stdout.println("model:       " + run.dir().model());
            stdout.println("report:      " + report);
            stdout.println("predictions: " + predictionsFile);
            stdout.println("config:      " + run.dir().config());
            stdout.flush();
            return 0;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }


    EncoderDecoder.Config modelConfig(int letters, int phones, int maxLen) {
        return new EncoderDecoder.Config(letters, phones, maxLen, width, heads, mlp != null ? mlp : 2 * width, encoderLayers,
                decoderLayers, dropout, (int) G2pEvaluation.PAD);
    }

    private Map<String, Object> settings(Lexicon lex, TokenVocabulary letters, TokenVocabulary phones, int trainPairs, int maxLen) {
        Map<String, Object> s = RunOptions.settings(spec);
        s.put("mlp", mlp != null ? mlp : 2 * width);
        s.put("source", lex.source());
        s.put("train_words", lex.split().train().size());
        s.put("train_pairs", trainPairs);
        s.put("max_len", maxLen);
        s.put("letters", letters.tokens());
        s.put("phones", phones.tokens());
        return s;
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}