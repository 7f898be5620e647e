package dev.kiln.apps.train;

import dev.kiln.nn.models.TransformerClassifier;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.autograd.NoGrad;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln train classify} run in-process on a small corpus of mail files in the
 * spam-assassin layout, written by the test: plain, HTML-only (quoted-printable),
 * multipart/alternative and base64 messages, with exact duplicates across groups.
 */
class ClassifyCommandTest {
    @TempDir
    static Path root;

    private static final String[] HAM_WORDS = {"meeting", "patch", "kernel", "review", "lunch", "thanks", "build",
        "release", "branch", "commit", "tomorrow", "agenda"};
    private static final String[] SPAM_WORDS = {"free", "money", "offer", "click", "winner", "cash", "prize", "viagra",
        "guaranteed", "cheap", "unsubscribe", "limited"};
    /** Messages per group folder, and the exact duplicates planted in spam-2 (copies of spam-1 messages, new headers). */
    private static final int PER_GROUP = 24;
    private static final int DUPLICATES = 3;

    @BeforeAll
    static void writeCorpus() throws IOException {
        Path data = Files.createDirectories(root.resolve("data").resolve("spam-assassin"));
        Random r = new Random(5);
        List<String> spam1Bodies = new ArrayList<>();
        for (String group : List.of("easy-ham-1", "hard-ham-1", "spam-1", "spam-2")) {
            Path dir = Files.createDirectories(data.resolve(group));
            boolean spam = group.startsWith("spam");
            for (int i = 0; i < PER_GROUP; i++) {
                String subject = sentence(r, spam ? SPAM_WORDS : HAM_WORDS, 3);
                String body = sentence(r, spam ? SPAM_WORDS : HAM_WORDS, 12);
                if (group.equals("spam-1")) {
                    spam1Bodies.add(subject + "\n" + body);
                }
                if (group.equals("spam-2") && i < DUPLICATES) {
                    String[] copy = spam1Bodies.get(i).split("\n");
                    subject = copy[0];
                    body = copy[1];
                }
                String message = switch (group) {
                    case "easy-ham-1" -> plain(i, subject, body);
                    case "hard-ham-1" -> alternative(i, subject, body);
                    case "spam-1" -> htmlQuotedPrintable(i, subject, body);
                    default -> i < DUPLICATES ? htmlQuotedPrintable(i + 100, subject, body) : base64(i, subject, body);
                };
                Files.writeString(dir.resolve(String.format("%05d.%032x.txt", i, (long) i * 7919 + group.length())), message,
                        StandardCharsets.ISO_8859_1);
            }
            Files.writeString(dir.resolve("cmds"), "mv 00001 00001.txt\n"); // the corpus tarballs' script: not a message
        }
        Files.createDirectories(data.resolve("other")); // neither spam nor ham: ignored
    }

    private static String sentence(Random r, String[] words, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
        }
        return sb.toString();
    }

    private static String headers(int i, String subject) {
        return "From someone" + i + "@example.com  Thu Aug 22 13:17:22 2002\n"
                + "Return-Path: <someone" + i + "@example.com>\n"
                + "Received: from mail.example.com (mail.example.com [10.0.0." + i + "])\n"
                + "\tby localhost (Postfix) with ESMTP id " + (1000 + i) + "\n"
                + "Subject: " + subject + "\n"
                + "Message-Id: <" + i + "@example.com>\n";
    }

    private static String plain(int i, String subject, String body) {
        return headers(i, subject) + "Content-Type: text/plain; charset=us-ascii\n\n" + body + "\n";
    }

    private static String alternative(int i, String subject, String body) {
        return headers(i, subject) + "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b" + i + "\"\n\n"
                + "--b" + i + "\nContent-Type: text/plain\n\n" + body + "\n"
                + "--b" + i + "\nContent-Type: text/html\n\n<html><body><p>" + body + "</p></body></html>\n"
                + "--b" + i + "--\n";
    }

    private static String htmlQuotedPrintable(int i, String subject, String body) {
        return headers(i, subject) + "Content-Type: text/html; charset=\"iso-8859-1\"\n"
                + "Content-Transfer-Encoding: quoted-printable\n\n"
                + "<html><head><style>p {color: red}</style></head><body bgcolor=3D\"#fff\">"
                + "<p>" + body.replace(" ", " <b>=\n") + "</b></p><!-- tracking " + i + " --></body></html>\n";
    }

    private static String base64(int i, String subject, String body) {
        return headers(i, subject) + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m" + i + "\"\n\n"
                + "--m" + i + "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                + Base64.getMimeEncoder().encodeToString((body + "\n").getBytes(StandardCharsets.UTF_8)) + "\n"
                + "--m" + i + "\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n"
                + "--m" + i + "--\n";
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A tiny model on the generated corpus with {@code extra} arguments appended. */
    private static CliRun train(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "classify", "--data-dir", root.resolve("data").toString(),
                "--out", out.toString(), "--threads", "2", "--log-every", "5", "--layers", "1", "--width", "32",
                "--heads", "2", "--max-tokens", "24", "--batch-size", "8", "--min-count", "1", "--val-fraction", "0.15",
                "--test-fraction", "0.2"));
        args.addAll(Arrays.asList(extra));
        return run(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(Path metrics, String kind) throws IOException {
        return JsonFiles.readLines(metrics).stream().map(o -> (Map<String, Object>) o).filter(m -> kind.equals(m.get("kind"))).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    private static double number(Map<String, Object> record, String key) {
        return ((Number) record.get(key)).doubleValue();
    }

    @Test
    void trainsOnGeneratedMailAndWritesTheRunDirectory() throws IOException {
        Path out = root.resolve("run");
        CliRun r = train(out, "--epochs", "6", "--lr", "0.005", "--warmup", "3");
        assertEquals(0, r.exitCode(), r.out() + r.err());

        // the data: 4 groups of 24 read, the planted duplicates removed, a stratified split
        Map<String, Object> report = object(JsonFiles.read(out.resolve("report.json")));
        Map<String, Object> data = object(report.get("data"));
        assertEquals(Map.of("easy-ham-1", 24L, "hard-ham-1", 24L, "spam-1", 24L, "spam-2", 24L), data.get("messages_per_group"));
        assertEquals((long) DUPLICATES, data.get("duplicates_removed"));
        assertEquals(0L, data.get("duplicates_with_other_label"));
        assertEquals(48L, data.get("ham"));
        assertEquals(45L, data.get("spam"));
        // per class: test round(0.2 n), validation round(0.15 n), the rest training
        assertEquals(Map.of("messages", 19L, "ham", 10L, "spam", 9L), data.get("test"));
        assertEquals(Map.of("messages", 14L, "ham", 7L, "spam", 7L), data.get("val"));
        assertEquals(Map.of("messages", 60L, "ham", 31L, "spam", 29L), data.get("train"));
        assertTrue(r.out().contains("96 messages read"), r.out());
        assertTrue(r.out().contains("3 duplicates removed (0 with the other label), 93 distinct: 48 ham / 45 spam"), r.out());

        // the loss falls
        List<Map<String, Object>> steps = records(out.resolve("metrics.jsonl"), "step");
        assertEquals(6 * 8, steps.size(), "60 training messages in batches of 8: 8 steps per epoch");
        double first = number(steps.getFirst(), "loss");
        double last = steps.subList(steps.size() - 8, steps.size()).stream().mapToDouble(m -> number(m, "loss")).average()
                .orElseThrow();
        assertTrue(first > 0.5, "the first loss is near ln 2, got " + first);
        assertTrue(last < 0.5 * first, "the loss should fall: first " + first + ", mean of the last epoch " + last);
        assertEquals(6, records(out.resolve("metrics.jsonl"), "epoch").size());

        // the test metrics agree with the predictions, recomputed here with plain loops
        List<Object> predictions = JsonFiles.readLines(out.resolve("test_predictions.jsonl"));
        assertEquals(19, predictions.size());
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (Object o : predictions) {
            Map<String, Object> p = object(o);
            long label = (Long) p.get("label");
            long predicted = (Long) p.get("predicted");
            assertEquals(number(p, "p_spam") > 0.5 ? 1L : 0L, predicted, p.toString());
            assertEquals(((String) p.get("id")).startsWith("spam") ? 1L : 0L, label, "labels come from the folder: " + p);
            if (label == 1) {
                tp += predicted;
                fn += 1 - predicted;
            } else {
                fp += predicted;
                tn += 1 - predicted;
            }
        }
        Map<String, Object> test = object(report.get("test"));
        assertEquals(List.of(List.of(tn, fp), List.of(fn, tp)), test.get("confusion_matrix"));
        assertEquals((tp + tn) / 19.0, number(test, "accuracy"), 1e-12);
        assertEquals(tp + fp == 0 ? 0 : tp / (double) (tp + fp), number(test, "precision"), 1e-12);
        assertEquals(tp / 9.0, number(test, "recall"), 1e-12);
        assertEquals(2.0 * tp / (2 * tp + fp + fn), number(test, "f1"), 1e-12);
        assertTrue(number(test, "accuracy") >= 0.9, "separable words: " + test);
        // the majority class of the training split is ham (31 of 60): always-ham gets the 10 ham test messages right
        Map<String, Object> baseline = object(report.get("majority_baseline"));
        assertEquals("ham", baseline.get("predicts"));
        assertEquals(10 / 19.0, number(baseline, "accuracy"), 1e-12);
        assertEquals(0.0, number(baseline, "precision"));
        assertEquals(0.0, number(baseline, "recall"));
        assertEquals(0.0, number(baseline, "f1"));
        assertEquals(List.of(List.of(10L, 0L), List.of(9L, 0L)), baseline.get("confusion_matrix"));
        Map<String, Object> summary = records(out.resolve("metrics.jsonl"), "summary").getFirst();
        assertEquals(test.get("accuracy"), object(summary.get("test")).get("accuracy"));
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "accuracy %.2f%%", 100 * number(test, "accuracy"))), r.out());

        // the run directory
        for (String f : List.of("metrics.jsonl", "curves.png", "model.safetensors", "config.json", "vocab.json", "report.json",
                "test_predictions.jsonl")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
        }
        try (var s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary files left behind");
        }
        byte[] png = Files.readAllBytes(out.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        Map<String, Object> config = object(JsonFiles.read(out.resolve("config.json")));
        assertEquals(6L, config.get("epochs"));
        assertEquals(93L, config.get("distinct_messages"));

        // the headers and markup never reach the vocabulary; the words do
        @SuppressWarnings("unchecked")
        List<String> words = (List<String>) object(JsonFiles.read(out.resolve("vocab.json"))).get("words");
        for (String w : List.of("received", "postfix", "html", "bgcolor", "style", "tracking", "content", "base64", "gif")) {
            assertTrue(!words.contains(w), w + " leaked into the vocabulary: " + words);
        }
        assertTrue(words.containsAll(List.of("meeting", "free", "viagra", "kernel")), words.toString());

        // the weights load back into the same architecture and reproduce the saved predictions
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            assertEquals(words, JsonFiles.parse(c.metadata().get("vocab"), "vocab"));
            TransformerClassifier model = new TransformerClassifier(
                    new TransformerClassifier.Config(words.size() + 2, 24, 1, 32, 2, 128, 0.1, 2), new Generator(1));
            var result = model.loadStateDict(c.tensors(), true);
            assertTrue(result.missingKeys().isEmpty() && result.unexpectedKeys().isEmpty(), result.toString());
            model.eval();
            WordVocabulary vocab = WordVocabulary.of(words);
            Map<String, Object> firstPrediction = object(predictions.getFirst());
            String id = (String) firstPrediction.get("id");
            String text = SpamCorpus.text(dev.kiln.data.text.MailMessage.parse(
                    Files.readAllBytes(root.resolve("data").resolve("spam-assassin").resolve(id))));
            long[] ids = vocab.encode(WordVocabulary.tokenize(text), 24);
            try (NoGrad _ = NoGrad.enter(); Tensor x = Tensor.fromArray(ids, 1, ids.length)) {
                float[] p = model.forward(x).value().softmax(-1).toFloatArray();
                assertEquals(number(firstPrediction, "p_spam"), p[1], 1e-5);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void kilnEvalReportsTheRunsTestPredictions() throws IOException {
        Path out = root.resolve("evaluated");
        assertEquals(0, train(out, "--epochs", "2", "--seed", "4").exitCode());
        CliRun e = run("eval", out.toString(), "--bootstrap", "200");
        assertEquals(0, e.exitCode(), e.out() + e.err());
        for (String f : List.of("report.md", "report.html", "report.json", "confusion.png", "calibration.png")) {
            assertTrue(Files.isRegularFile(out.resolve("eval").resolve(f)), f);
        }
        // the metrics recomputed with plain counting from the run's own predictions file
        long tp = 0, fp = 0, fn = 0, tn = 0;
        double logLoss = 0;
        List<Object> lines = JsonFiles.readLines(out.resolve("test_predictions.jsonl"));
        for (Object o : lines) {
            Map<String, Object> m = (Map<String, Object>) o;
            int label = ((Number) m.get("label")).intValue(), predicted = ((Number) m.get("predicted")).intValue();
            double p = ((Number) m.get("p_spam")).doubleValue();
            tp += label == 1 && predicted == 1 ? 1 : 0;
            fp += label == 0 && predicted == 1 ? 1 : 0;
            fn += label == 1 && predicted == 0 ? 1 : 0;
            tn += label == 0 && predicted == 0 ? 1 : 0;
            double pTrue = Math.min(Math.max(label == 1 ? p : 1 - p, Math.ulp(1.0)), 1 - Math.ulp(1.0));
            logLoss -= Math.log(pTrue);
        }
        Map<String, Object> metrics = (Map<String, Object>) ((Map<String, Object>) JsonFiles.read(out.resolve("eval").resolve("report.json")))
                .get("metrics");
        assertEquals("classify", metrics.get("app"));
        assertEquals((double) (tp + tn) / lines.size(), ((Number) metrics.get("accuracy")).doubleValue(), 1e-12);
        double precision = tp + fp == 0 ? 0 : (double) tp / (tp + fp), recall = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        assertEquals(recall, ((Number) metrics.get("recall")).doubleValue(), 1e-12);
        assertEquals(precision, ((Number) metrics.get("precision")).doubleValue(), 1e-12);
        assertEquals(logLoss / lines.size(), ((Number) metrics.get("log_loss")).doubleValue(), 1e-9);
        double low = ((Number) metrics.get("accuracy_ci95_low")).doubleValue(), high = ((Number) metrics.get("accuracy_ci95_high")).doubleValue();
        assertTrue(low <= (double) (tp + tn) / lines.size() && (double) (tp + tn) / lines.size() <= high, low + " .. " + high);
    }

    @Test
    void sameSeedGivesTheSameRun() throws IOException {
        String[] args = {"--epochs", "2", "--seed", "9"};
        CliRun a = train(root.resolve("seedA"), args);
        CliRun b = train(root.resolve("seedB"), args);
        assertEquals(0, a.exitCode(), a.out() + a.err());
        assertEquals(0, b.exitCode(), b.out() + b.err());
        // Same split, batches, initial weights and dropout masks. The losses are compared to 1e-4, not
        // bit for bit: within one JVM the engine's exp/log/tanh/softmax/sum kernels change their last bit
        // once the JIT compiles their Vector API code (observed: exp after ~300 calls on the same input),
        // so a warm second run can differ from a cold first one in the 7th digit.
        List<Object> lossesA = losses(root.resolve("seedA"));
        List<Object> lossesB = losses(root.resolve("seedB"));
        assertEquals(lossesA.size(), lossesB.size());
        for (int i = 0; i < lossesA.size(); i++) {
            double x = ((Number) lossesA.get(i)).doubleValue();
            double y = ((Number) lossesB.get(i)).doubleValue();
            assertEquals(x, y, 1e-4 * Math.max(1, Math.abs(x)), "step " + (i + 1) + ": " + lossesA + " vs " + lossesB);
        }
        List<Object> predA = JsonFiles.readLines(root.resolve("seedA").resolve("test_predictions.jsonl"));
        List<Object> predB = JsonFiles.readLines(root.resolve("seedB").resolve("test_predictions.jsonl"));
        assertEquals(predA.size(), predB.size());
        for (int i = 0; i < predA.size(); i++) {
            Map<String, Object> x = object(predA.get(i));
            Map<String, Object> y = object(predB.get(i));
            assertEquals(x.get("id"), y.get("id"), "the same test split in the same order");
            assertEquals(number(x, "p_spam"), number(y, "p_spam"), 1e-4);
        }
    }

    private static List<Object> losses(Path run) throws IOException {
        return records(run.resolve("metrics.jsonl"), "step").stream().map(m -> m.get("loss")).toList();
    }

    @Test
    void missingDataPrintsTheFetchCommand() {
        CliRun r = run("train", "classify", "--data-dir", root.resolve("nowhere").toString(), "--out", root.resolve("never").toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("./kiln data fetch spam-assassin --data-dir " + root.resolve("nowhere")), r.err());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String[][] cases = {
            {"--epochs", "0", "--epochs must be >= 1, got 0"},
            {"--heads", "3", "--heads must be >= 1 and divide --width 64, got 3"},
            {"--max-tokens", "0", "--max-tokens must be >= 1, got 0"},
            {"--dropout", "1", "--dropout must be in [0, 1), got 1.0"},
            {"--test-fraction", "0.5", "--test-fraction must be in (0, 0.5), got 0.5"},
            {"--min-count", "0", "--min-count must be >= 1, got 0"},
        };
        for (String[] c : cases) {
            CliRun r = run("train", "classify", "--data-dir", root.resolve("data").toString(), "--out",
                    root.resolve("never-" + c[0].substring(2)).toString(), c[0], c[1]);
            assertEquals(2, r.exitCode(), Arrays.toString(c) + ": " + r.err());
            assertTrue(r.err().contains("kiln train classify: " + c[2]), Arrays.toString(c) + ": " + r.err());
        }
    }

    @Test
    void splitIsStratifiedSeededAndDisjoint() {
        List<SpamCorpus.Mail> mails = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            mails.add(new SpamCorpus.Mail("ham/" + i, SpamCorpus.HAM, "h" + i));
        }
        for (int i = 0; i < 30; i++) {
            mails.add(new SpamCorpus.Mail("spam/" + i, SpamCorpus.SPAM, "s" + i));
        }
        SpamCorpus.Split s = SpamCorpus.split(mails, 0.1, 0.2, 3);
        assertEquals(14 + 6, s.test().size());
        assertEquals(6, s.test().stream().filter(m -> m.label() == SpamCorpus.SPAM).count());
        assertEquals(7 + 3, s.val().size());
        assertEquals(3, s.val().stream().filter(m -> m.label() == SpamCorpus.SPAM).count());
        assertEquals(70, s.train().size());
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (List<SpamCorpus.Mail> part : List.of(s.train(), s.val(), s.test())) {
            part.forEach(m -> assertTrue(ids.add(m.id()), "in two parts: " + m.id()));
        }
        assertEquals(100, ids.size());
        assertEquals(s, SpamCorpus.split(mails, 0.1, 0.2, 3), "the same seed gives the same split");
        assertTrue(!s.test().equals(SpamCorpus.split(mails, 0.1, 0.2, 4).test()), "another seed, another split");
        assertEquals(SpamCorpus.SPAM, SpamCorpus.labelOf("spam-2"));
        assertEquals(SpamCorpus.HAM, SpamCorpus.labelOf("hard-ham-1"));
        assertEquals(-1, SpamCorpus.labelOf("other"));
    }
}
