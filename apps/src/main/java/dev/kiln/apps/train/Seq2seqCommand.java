package dev.kiln.apps.train;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.io.Json;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.loss.Reduction;
import dev.kiln.nn.transformer.EncoderDecoder;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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
 * beam search ({@link SequenceSearch}) and scored ({@link G2pEvaluation}): phoneme error rate,
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

    @Option(names = "--eval-every", paramLabel = "STEPS", description = "Validation interval (default: ${DEFAULT-VALUE}; also after the last step).")
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
                stderr.println("kiln train seq2seq: CMUdict was not found: " + e.getMessage());
                stderr.println("fetch it with:  " + common.fetchCommand("cmudict") + "   (or try --synthetic 2000)");
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
        check(!common.resume, "--resume is not supported by this app yet (it does not run on TrainingLoop)");
        check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln train seq2seq: " + message);
        }
    }

    /** The parsed dictionary, where it came from, and its split. */
    record Lexicon(Cmudict.Lexicon parsed, String source, Cmudict.Split split) {}

    /** A training or validation pair: letter ids and phone ids (no begin/end tokens). */
    record Pair(long[] letters, long[] phones) {}

    /** Every pronunciation of every word as one pair. */
    static List<Pair> pairs(List<Cmudict.Word> words, TokenVocabulary letters, TokenVocabulary phones) {
        List<Pair> out = new ArrayList<>();
        for (Cmudict.Word w : words) {
            long[] src = G2pEvaluation.encodeSpelling(letters, w.spelling());
            for (List<String> p : w.pronunciations()) {
                out.add(new Pair(src, phones.encode(p)));
            }
        }
        return out;
    }

    /** Source [B, S], decoder input [B, T] (begin token + phones) and targets [B, T] (phones + end token, padding ignored). */
    static Tensor[] batch(List<Pair> pairs, int[] indices) {
        long[][] src = new long[indices.length][];
        long[][] in = new long[indices.length][];
        long[][] out = new long[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            Pair p = pairs.get(indices[i]);
            src[i] = p.letters();
            in[i] = new long[p.phones().length + 1];
            in[i][0] = G2pEvaluation.BOS;
            System.arraycopy(p.phones(), 0, in[i], 1, p.phones().length);
            out[i] = java.util.Arrays.copyOf(p.phones(), p.phones().length + 1);
            out[i][p.phones().length] = G2pEvaluation.EOS;
        }
        return new Tensor[] {Batches.padded(src, G2pEvaluation.PAD), Batches.padded(in, G2pEvaluation.PAD),
            Batches.padded(out, Losses.IGNORE_INDEX)};
    }

    /** Mean cross-entropy per target phone (end token included, padding ignored). */
    static Var loss(EncoderDecoder model, Tensor[] b, double labelSmoothing) {
        Var logits = model.forward(b[0], b[1]);
        return Losses.crossEntropy(logits.reshape(-1, model.config.tgtVocab()), b[2].reshape(-1), null, Losses.IGNORE_INDEX,
                Reduction.MEAN, labelSmoothing);
    }

    EncoderDecoder.Config modelConfig(int letters, int phones, int maxLen) {
        return new EncoderDecoder.Config(letters, phones, maxLen, width, heads, mlp != null ? mlp : 2 * width, encoderLayers,
                decoderLayers, dropout, (int) G2pEvaluation.PAD);
    }

    /**
     * Training FLOPs of one pair with {@code srcLen} letters and {@code tgtLen} decoder positions:
     * 6 per weight per token it touches (encoder weights per letter; decoder self-attention, MLP
     * and head per phone; cross-attention's query and output per phone and its key/value
     * projections per letter), attention scores left out (short sequences).
     */
    static double trainFlopsPerPair(EncoderDecoder.Config c, double srcLen, double tgtLen) {
        double d = c.dModel();
        double ff = c.dFeedForward();
        double enc = c.encoderLayers() * (4 * d * d + 2 * d * ff);
        double decSelfMlp = c.decoderLayers() * (4 * d * d + 2 * d * ff + 2 * d * d);
        double decCrossKv = c.decoderLayers() * 2 * d * d;
        double head = d * c.tgtVocab();
        return 6 * (enc * srcLen + decCrossKv * srcLen + (decSelfMlp + head) * tgtLen);
    }

    private int train(Lexicon lex, PrintWriter stdout) throws IOException {
        Cmudict.Split split = lex.split();
        TreeSet<String> chars = new TreeSet<>();
        TreeSet<String> phoneSet = new TreeSet<>();
        int maxSrc = 1;
        int maxTgt = 1;
        for (Cmudict.Word w : split.train()) {
            w.spelling().codePoints().forEach(cp -> chars.add(Character.toString(cp)));
            w.pronunciations().forEach(phoneSet::addAll);
        }
        for (List<Cmudict.Word> side : List.of(split.train(), split.validation(), split.test())) {
            for (Cmudict.Word w : side) {
                maxSrc = Math.max(maxSrc, w.spelling().length());
                for (List<String> p : w.pronunciations()) {
                    maxTgt = Math.max(maxTgt, p.size() + 1);
                }
            }
        }
        TokenVocabulary letters = new TokenVocabulary(LETTER_SPECIALS, chars, "<unk>");
        TokenVocabulary phones = new TokenVocabulary(PHONE_SPECIALS, phoneSet, null);
        List<Pair> train = pairs(split.train(), letters, phones);
        List<Pair> val = pairs(split.validation(), letters, phones);
        int maxLen = Math.max(maxSrc, maxTgt);

        RunDirectory run = RunDirectory.create(common.out, "seq2seq", LocalDateTime.now());
        Map<String, Object> settings = settings(lex, letters, phones, train.size(), maxLen);
        AtomicFiles.writeString(run.config(), Json.writePretty(settings) + "\n");

        Generator g = new Generator(seed);
        EncoderDecoder model = new EncoderDecoder(modelConfig(letters.size(), phones.size(), maxLen), g);
        Adam opt = Adam.adamW(model.parameters(), lr, weightDecay);
        int warm = Math.min(warmup, steps - 1);
        LrScheduler scheduler = new LrScheduler(opt, LrSchedule.warmupCosine(warm, steps, lr / 20));
        Trainer<Tensor[]> trainer = Trainer.builder(opt, (Tensor[] b) -> loss(model, b, labelSmoothing))
                .scheduler(scheduler).maxGradNorm(MAX_GRAD_NORM).build();

        int[] trainLengths = train.stream().mapToInt(p -> p.letters().length + p.phones().length).toArray();
        Random order = new Random(seed ^ 0xba7c4L);
        List<int[]> epochBatches = Batches.bucketed(trainLengths, batchSize, POOL_BATCHES, order);
        int batchesPerEpoch = epochBatches.size();
        int epochs = (int) Math.ceil((double) steps / batchesPerEpoch);
        List<int[]> valBatches = Batches.bucketed(val.stream().mapToInt(p -> p.letters().length + p.phones().length).toArray(),
                batchSize, Integer.MAX_VALUE / Math.max(1, batchSize), new Random(0));

        double meanSrc = train.stream().mapToInt(p -> p.letters().length).average().orElse(1);
        double meanTgt = train.stream().mapToInt(p -> p.phones().length + 1).average().orElse(1);
        double flops = trainFlopsPerPair(model.config, meanSrc, meanTgt);
        try (MetricsLog metrics = new MetricsLog(run.metrics())) {
            ProgressLine progress = new ProgressLine(stdout, ProgressLine.stdoutIsTerminal(), logEvery, steps, epochs, "words",
                    flops, PEAK_FLOPS_PER_THREAD * common.threads);
            LossCurvePlot plot = new LossCurvePlot("kiln train seq2seq: " + (synthetic > 0 ? "synthetic dictionary" : "CMUdict")
                    + ", letters to phones", Math.max(1, Math.min(25, steps / 10)));
            stdout.printf(Locale.ROOT, "kiln train seq2seq: %s: %d words kept (%d entries, %d dropped)%s; split %d train / %d"
                    + " validation / %d test words (%d training pairs); %d letters, %d phones%n",
                    lex.source(), lex.parsed().words().size(), lex.parsed().entries(), lex.parsed().droppedEntries(),
                    limitWords > 0 ? ", limited to " + (split.train().size() + split.validation().size() + split.test().size()) : "",
                    split.train().size(), split.validation().size(), split.test().size(), train.size(),
                    letters.size() - LETTER_SPECIALS.size(), phones.size() - PHONE_SPECIALS.size());
            stdout.printf(Locale.ROOT, "model: %d params (encoder %d + decoder %d layers, width %d, %d heads, mlp %d, max length %d);"
                    + " AdamW lr %.3g warm-up %d + cosine, batch %d, %d steps (%.2f epochs), %d threads%n",
                    model.parameterCount(), encoderLayers, decoderLayers, width, heads, model.config.dFeedForward(), maxLen, lr, warm,
                    batchSize, steps, (double) steps / batchesPerEpoch, common.threads);
            stdout.println("run directory: " + run.path());
            stdout.flush();

            double firstVal = validationLoss(model, val, valBatches);
            writeEval(metrics, 0, firstVal);
            plot.addValidation(0, firstVal);
            progress.println(String.format(Locale.ROOT, "step 0: validation loss %.4f", firstVal));

            long runStart = System.nanoTime();
            double trainNanos = 0;
            long trainPairs = 0;
            double lastVal = firstVal;
            double lastLoss = Double.NaN;
            int inEpoch = 0;
            int epoch = 0;
            for (long step = 1; step <= steps; step++) {
                if (inEpoch == batchesPerEpoch) {
                    epochBatches = Batches.bucketed(trainLengths, batchSize, POOL_BATCHES, order);
                    inEpoch = 0;
                    epoch++;
                }
                int[] idx = epochBatches.get(inEpoch++);
                long t0 = System.nanoTime();
                Tensor[] b = batch(train, idx);
                Trainer.StepResult r;
                try {
                    r = trainer.step(List.<Tensor[]>of(b));
                } finally {
                    for (Tensor t : b) {
                        t.close();
                    }
                }
                long t1 = System.nanoTime();
                trainNanos += t1 - t0;
                trainPairs += idx.length;
                lastLoss = r.loss();
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("kind", "step");
                rec.put("step", step);
                rec.put("epoch", epoch);
                rec.put("loss", r.loss());
                rec.put("lr", r.lr());
                rec.put("grad_norm", round(r.gradNorm(), 4));
                rec.put("words_per_s", round(idx.length / ((t1 - t0) / 1e9), 1));
                metrics.write(rec);
                plot.addTrain(step, r.loss());
                progress.step(step, epoch, r.loss(), r.lr(), idx.length);
                if (step % evalEvery == 0 || step == steps) {
                    lastVal = validationLoss(model, val, valBatches);
                    writeEval(metrics, step, lastVal);
                    plot.addValidation(step, lastVal);
                    progress.println(String.format(Locale.ROOT, "step %d: validation loss %.4f", step, lastVal));
                    savePlot(plot, run.plot()); // an interrupted run still has its curves
                }
            }
            progress.finish();
            savePlot(plot, run.plot());
            double trainSeconds = (System.nanoTime() - runStart) / 1e9;
            double pairsPerSecond = trainPairs / (trainNanos / 1e9);

            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", "kiln train seq2seq: grapheme-to-phoneme EncoderDecoder on " + (synthetic > 0 ? "a synthetic dictionary" : "CMUdict"));
            meta.put("config", Json.write(configJson(model.config)));
            meta.put("letters", Json.write(letters.tokens()));
            meta.put("phones", Json.write(phones.tokens()));
            meta.put("keep_stress", Boolean.toString(keepStress));
            Safetensors.saveModule(run.model(), model, meta);

            // ---------------------------------------------------------------- held-out evaluation
            model.eval();
            int maxSteps = maxLen - 1; // the begin token plus maxSteps tokens fill the position table
            G2pEvaluation.Result greedy = G2pEvaluation.decode(model, letters, phones, split.test(),
                    new G2pEvaluation.Settings(0, lengthAlpha, decodeBatch, maxSteps, true));
            G2pEvaluation.Result beamResult = G2pEvaluation.decode(model, letters, phones, split.test(),
                    new G2pEvaluation.Settings(beam, lengthAlpha, decodeBatch, maxSteps, true));
            // What the decoder cache saves: greedy again on the first --cost-words test words, recomputing every prefix.
            List<Cmudict.Word> costSubset = split.test().subList(0, Math.min(costWords, split.test().size()));
            G2pEvaluation.Result cachedSubset = G2pEvaluation.decode(model, letters, phones, costSubset,
                    new G2pEvaluation.Settings(0, lengthAlpha, decodeBatch, maxSteps, true));
            G2pEvaluation.Result recomputed = G2pEvaluation.decode(model, letters, phones, costSubset,
                    new G2pEvaluation.Settings(0, lengthAlpha, decodeBatch, maxSteps, false));
            DecodingCost cost = DecodingCost.compare(cachedSubset, recomputed);
            double wallSeconds = (System.nanoTime() - runStart) / 1e9;

            for (G2pEvaluation.Result res : List.of(greedy, beamResult)) {
                metrics.write(resultRecord(res));
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("kind", "summary");
            summary.put("steps", (long) steps);
            summary.put("train_loss", lastLoss);
            summary.put("val_loss", lastVal);
            summary.put("greedy_per", greedy.phonemeErrorRate());
            summary.put("greedy_wer", greedy.wordErrorRate());
            summary.put("greedy_bleu", greedy.bleu().score());
            summary.put("beam_per", beamResult.phonemeErrorRate());
            summary.put("beam_wer", beamResult.wordErrorRate());
            summary.put("beam_bleu", beamResult.bleu().score());
            summary.put("train_seconds", round(trainSeconds, 3));
            summary.put("wall_seconds", round(wallSeconds, 3));
            summary.put("train_words_per_s", round(pairsPerSecond, 1));
            metrics.write(summary);

            Path report = run.path().resolve("report.json");
            Path predictionsFile = run.path().resolve("predictions.tsv");
            AtomicFiles.writeString(report, Json.writePretty(report(lex, model, greedy, beamResult, cost, lastLoss,
                    lastVal, trainSeconds, wallSeconds, pairsPerSecond)) + "\n");
            AtomicFiles.writeString(predictionsFile, predictionsTsv(greedy, beamResult));

            stdout.printf(Locale.ROOT, "done in %s (training %s, %.0f words/s): train loss %.4f, validation loss %.4f (was %.4f)%n",
                    ProgressLine.duration(wallSeconds), ProgressLine.duration(trainSeconds), pairsPerSecond, lastLoss, lastVal,
                    firstVal);
            stdout.printf(Locale.ROOT, "held-out %d words (scored against the closest of their pronunciations):%n", split.test().size());
            for (G2pEvaluation.Result res : List.of(greedy, beamResult)) {
                stdout.printf(Locale.ROOT, "  %-7s  PER %6.2f%%  WER %6.2f%%  BLEU %6.2f  (%s; %.1f s, %.0f words/s)%n", res.method(),
                        100 * res.phonemeErrorRate(), 100 * res.wordErrorRate(), res.bleu().score(), res.bleu(), res.seconds(),
                        split.test().size() / res.seconds());
            }
            if (cost.words() > 0) {
                stdout.printf(Locale.ROOT, "  decoder cache: greedy on %d words takes %.2f s cached, %.2f s recomputing every prefix"
                    + " (%.1fx; %d vs %d decoder positions); outputs differ on %d words%n", cost.words(), cost.cachedSeconds(),
                    cost.recomputeSeconds(), cost.recomputeSeconds() / cost.cachedSeconds(), cost.cachedPositions(),
                    cost.recomputePositions(), cost.differingWords());
            }
            if (examples > 0) {
                stdout.println("examples (word: reference | greedy | beam):");
                for (int i = 0; i < Math.min(examples, split.test().size()); i++) {
                    G2pEvaluation.Prediction gp = greedy.predictions().get(i);
                    G2pEvaluation.Prediction bp = beamResult.predictions().get(i);
                    stdout.printf(Locale.ROOT, "  %-16s %s | %s%s | %s%s%n", gp.word().spelling(),
                            String.join(" / ", gp.word().pronunciations().stream().map(p -> String.join(" ", p)).toList()),
                            String.join(" ", gp.phones()), gp.score().exact() ? "" : " (" + gp.score().edits() + ")",
                            String.join(" ", bp.phones()), bp.score().exact() ? "" : " (" + bp.score().edits() + ")");
                }
            }
            stdout.println("metrics:     " + run.metrics());
            stdout.println("curves:      " + run.plot());
            stdout.println("model:       " + run.model());
            stdout.println("report:      " + report);
            stdout.println("predictions: " + predictionsFile);
            stdout.println("config:      " + run.config());
            stdout.flush();
            return 0;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Greedy decoding of the same words with and without the decoder cache. */
    record DecodingCost(int words, double cachedSeconds, double recomputeSeconds, long cachedPositions, long recomputePositions,
                        int differingWords) {
        static DecodingCost compare(G2pEvaluation.Result cached, G2pEvaluation.Result recomputed) {
            int differ = 0;
            for (int i = 0; i < cached.predictions().size(); i++) {
                differ += cached.predictions().get(i).phones().equals(recomputed.predictions().get(i).phones()) ? 0 : 1;
            }
            return new DecodingCost(cached.predictions().size(), cached.seconds(), recomputed.seconds(), cached.decoderTokens(),
                    recomputed.decoderTokens(), differ);
        }
    }

    private static void savePlot(LossCurvePlot plot, Path file) throws IOException {
        AtomicFiles.write(file, plot::save);
    }

    /** Mean per-phone cross-entropy (no label smoothing) over all validation pairs. */
    private static double validationLoss(EncoderDecoder model, List<Pair> val, List<int[]> batches) {
        model.eval();
        double sum = 0;
        long tokens = 0;
        try (NoGrad _ = NoGrad.enter()) {
            for (int[] idx : batches) {
                try (TensorScope _ = TensorScope.open()) {
                    Tensor[] b = batch(val, idx);
                    long n = 0;
                    for (int i : idx) {
                        n += val.get(i).phones().length + 1;
                    }
                    sum += loss(model, b, 0).value().item() * n;
                    tokens += n;
                }
            }
        } finally {
            model.train();
        }
        return sum / tokens;
    }

    private static void writeEval(MetricsLog metrics, long step, double valLoss) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("kind", "eval");
        rec.put("step", step);
        rec.put("val_loss", valLoss);
        metrics.write(rec);
    }

    private static Map<String, Object> resultRecord(G2pEvaluation.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "test");
        m.put("method", r.method());
        m.putAll(resultJson(r));
        return m;
    }

    private static Map<String, Object> resultJson(G2pEvaluation.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("words", r.errors().sequences());
        m.put("per", r.phonemeErrorRate());
        m.put("wer", r.wordErrorRate());
        m.put("phone_edits", r.errors().edits());
        m.put("reference_phones", r.errors().referenceTokens());
        m.put("word_errors", r.errors().sequencesWithErrors());
        m.put("bleu", r.bleu().score());
        m.put("bleu_precisions", toList(r.bleu().precisions()));
        m.put("bleu_bp", r.bleu().bp());
        m.put("bleu_sys_len", r.bleu().sysLen());
        m.put("bleu_ref_len", r.bleu().refLen());
        m.put("decode_seconds", round(r.seconds(), 3));
        m.put("decoder_tokens", r.decoderTokens());
        m.put("generated_tokens", r.generatedTokens());
        return m;
    }

    private static List<Object> toList(double[] xs) {
        List<Object> out = new ArrayList<>();
        for (double x : xs) {
            out.add(x);
        }
        return out;
    }

    private Map<String, Object> report(Lexicon lex, EncoderDecoder model, G2pEvaluation.Result greedy, G2pEvaluation.Result beamRes,
            DecodingCost decodingCost, double trainLoss, double valLoss, double trainSeconds, double wallSeconds, double pairsPerSecond) {
        Map<String, Object> r = new LinkedHashMap<>();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("source", lex.source());
        data.put("entries", lex.parsed().entries());
        data.put("dropped_entries", lex.parsed().droppedEntries());
        data.put("words", lex.parsed().words().size());
        data.put("train_words", lex.split().train().size());
        data.put("val_words", lex.split().validation().size());
        data.put("test_words", lex.split().test().size());
        data.put("keep_stress", keepStress);
        data.put("scoring", "each test word's hypothesis against the closest of its pronunciations (fewest edits, the dictionary's"
                + " first on ties); BLEU with all pronunciations as references, tokenize none");
        r.put("data", data);
        r.put("model", configJson(model.config));
        r.put("parameters", model.parameterCount());
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("steps", steps);
        training.put("train_loss", trainLoss);
        training.put("val_loss", valLoss);
        training.put("train_seconds", round(trainSeconds, 3));
        training.put("train_words_per_s", round(pairsPerSecond, 1));
        training.put("threads", common.threads);
        r.put("training", training);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("greedy", resultJson(greedy));
        Map<String, Object> b = resultJson(beamRes);
        b.put("beam", beam);
        b.put("length_alpha", lengthAlpha);
        results.put("beam", b);
        r.put("results", results);
        Map<String, Object> cost = new LinkedHashMap<>();
        cost.put("words", decodingCost.words());
        cost.put("greedy_cached_seconds", round(decodingCost.cachedSeconds(), 3));
        cost.put("greedy_recompute_seconds", round(decodingCost.recomputeSeconds(), 3));
        cost.put("cached_decoder_positions", decodingCost.cachedPositions());
        cost.put("recompute_decoder_positions", decodingCost.recomputePositions());
        cost.put("differing_words", decodingCost.differingWords());
        r.put("decoder_cache", cost);
        r.put("wall_seconds", round(wallSeconds, 3));
        List<Object> ex = new ArrayList<>();
        for (int i = 0; i < Math.min(examples, greedy.predictions().size()); i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("word", greedy.predictions().get(i).word().spelling());
            e.put("references", greedy.predictions().get(i).word().pronunciations().stream().map(p -> (Object) String.join(" ", p)).toList());
            e.put("greedy", String.join(" ", greedy.predictions().get(i).phones()));
            e.put("beam", String.join(" ", beamRes.predictions().get(i).phones()));
            ex.add(e);
        }
        r.put("examples", ex);
        return r;
    }

    private static String predictionsTsv(G2pEvaluation.Result greedy, G2pEvaluation.Result beamRes) {
        StringBuilder sb = new StringBuilder("word\treferences\tgreedy\tgreedy_edits\tbeam\tbeam_edits\n");
        for (int i = 0; i < greedy.predictions().size(); i++) {
            G2pEvaluation.Prediction g = greedy.predictions().get(i);
            G2pEvaluation.Prediction b = beamRes.predictions().get(i);
            sb.append(g.word().spelling()).append('\t')
                    .append(String.join(" / ", g.word().pronunciations().stream().map(p -> String.join(" ", p)).toList())).append('\t')
                    .append(String.join(" ", g.phones())).append('\t').append(g.score().edits()).append('\t')
                    .append(String.join(" ", b.phones())).append('\t').append(b.score().edits()).append('\n');
        }
        return sb.toString();
    }

    static Map<String, Object> configJson(EncoderDecoder.Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("src_vocab", c.srcVocab());
        m.put("tgt_vocab", c.tgtVocab());
        m.put("max_len", c.maxLen());
        m.put("width", c.dModel());
        m.put("heads", c.nHeads());
        m.put("mlp", c.dFeedForward());
        m.put("encoder_layers", c.encoderLayers());
        m.put("decoder_layers", c.decoderLayers());
        m.put("dropout", c.dropout());
        m.put("pad_id", c.padId());
        return m;
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
