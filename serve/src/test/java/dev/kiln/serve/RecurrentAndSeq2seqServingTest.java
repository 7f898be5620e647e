package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.TokenVocabulary;
import dev.kiln.nn.generate.EncoderDecoderScorer;
import dev.kiln.nn.generate.SequenceSearch;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.Forecaster;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KServe v2 serving of {@code kiln train rnn} and {@code kiln train seq2seq} run directories, live on
 * loopback: forecasts against the model run in-process on hand-normalised windows, pronunciations
 * against the app's own decoding path (unpadded sources, greedy search).
 */
class RecurrentAndSeq2seqServingTest {
    static final int WINDOW = 6;
    static final double MEAN = 11.5;
    static final double STD = 4.0;
    static final List<String> LETTER_SPECIALS = List.of("<pad>", "<unk>");
    static final List<String> PHONE_SPECIALS = List.of("<pad>", "<s>", "</s>");
    static final TokenVocabulary LETTERS = new TokenVocabulary(LETTER_SPECIALS, List.of("a", "b", "c", "d", "e", "t"), "<unk>");
    static final TokenVocabulary PHONES = new TokenVocabulary(PHONE_SPECIALS, List.of("AH", "B", "D", "EH", "K", "T"), null);
    static final EncoderDecoder.Config G2P = new EncoderDecoder.Config(LETTERS.size(), PHONES.size(), 8, 16, 2, 32, 1, 1, 0.0, 0);

    @TempDir
    static Path tmp;
    static Forecaster forecaster;
    static EncoderDecoder g2p;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        forecaster = new Forecaster(Forecaster.Cell.gru, 8, 2, new Generator(3));
        forecaster.eval();
        Path rnn = Files.createDirectories(tmp.resolve("rnn"));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", "kiln train rnn: gru 2x8 + linear head (residual over the last hour)");
        meta.put("window", Integer.toString(WINDOW));
        meta.put("input_mean", Double.toString(MEAN));
        meta.put("input_std", Double.toString(STD));
        Safetensors.saveModule(rnn.resolve("model.safetensors"), forecaster, meta);
        Files.writeString(rnn.resolve("config.json"), "{\"cell\": \"gru\", \"hidden\": 8, \"layers\": 2, \"window\": " + WINDOW + "}");

        g2p = new EncoderDecoder(G2P, new Generator(5));
        g2p.eval();
        Path seq = Files.createDirectories(tmp.resolve("seq2seq"));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("src_vocab", G2P.srcVocab());
        config.put("tgt_vocab", G2P.tgtVocab());
        config.put("max_len", G2P.maxLen());
        config.put("width", G2P.dModel());
        config.put("heads", G2P.nHeads());
        config.put("mlp", G2P.dFeedForward());
        config.put("encoder_layers", G2P.encoderLayers());
        config.put("decoder_layers", G2P.decoderLayers());
        config.put("dropout", 0.0);
        config.put("pad_id", 0);
        Map<String, String> seqMeta = new LinkedHashMap<>();
        seqMeta.put("model", "kiln train seq2seq: grapheme-to-phoneme EncoderDecoder on a synthetic dictionary");
        seqMeta.put("config", JsonFiles.write(config));
        seqMeta.put("letters", JsonFiles.write(LETTERS.tokens()));
        seqMeta.put("phones", JsonFiles.write(PHONES.tokens()));
        Safetensors.saveModule(seq.resolve("model.safetensors"), g2p, seqMeta);

        server = ModelServer.builder().port(0)
                .model("temps", "1", RunDirectoryModels.load(rnn), new BatchingOptions(16, 20, 64))
                .model("g2p", "1", RunDirectoryModels.load(seq), new BatchingOptions(16, 20, 64))
                .start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    @Test
    void forecasterRunServesDegreesInAndOut() throws Exception {
        JsonNode meta = http.get("/v2/models/temps").json();
        assertEquals("rnn", meta.at("/parameters/app").asText());
        assertEquals("[-1," + WINDOW + "]", meta.at("/inputs/0/shape").toString());
        assertEquals("forecast", meta.at("/outputs/0/name").asText());

        Random r = new Random(1);
        int n = 3;
        double[] degrees = new double[n * WINDOW];
        for (int i = 0; i < degrees.length; i++) {
            degrees[i] = 5 + 15 * r.nextDouble();
        }
        StringJoiner data = new StringJoiner(",");
        for (double d : degrees) {
            data.add(String.format(Locale.ROOT, "%.6f", d));
        }
        Http.Reply reply = http.post("/v2/models/temps/infer", "{\"inputs\":[{\"name\":\"window\",\"datatype\":\"FP32\",\"shape\":["
                + n + "," + WINDOW + "],\"data\":[" + data + "]}]}");
        assertEquals(200, reply.status(), reply.body());
        JsonNode out = reply.json().at("/outputs/0");
        assertEquals("forecast", out.get("name").asText());
        assertEquals("[" + n + "]", out.get("shape").toString());

        float[] normalised = new float[degrees.length];
        for (int i = 0; i < degrees.length; i++) {
            normalised[i] = (float) ((Double.parseDouble(String.format(Locale.ROOT, "%.6f", degrees[i])) - MEAN) / STD);
        }
        float[] expected;
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            expected = forecaster.forward(Var.constant(Tensor.fromArray(normalised, n, WINDOW, 1))).value().toFloatArray();
        }
        for (int i = 0; i < n; i++) {
            double want = expected[i] * STD + MEAN;
            assertEquals(want, out.get("data").get(i).asDouble(), 1e-4 * Math.max(1, Math.abs(want)), "window " + i);
        }

        Http.Reply wrong = http.post("/v2/models/temps/infer", "{\"inputs\":[{\"name\":\"window\",\"datatype\":\"FP32\","
                + "\"shape\":[1,3],\"data\":[1,2,3]}]}");
        assertEquals(400, wrong.status());
        assertTrue(wrong.error().startsWith("inputs[0].shape: expected [N, " + WINDOW + "]"), wrong.error());
    }

    @Test
    void pronunciationRunDecodesLikeTheAppAndIndependentlyOfBatchmates() throws Exception {
        JsonNode meta = http.get("/v2/models/g2p").json();
        assertEquals("seq2seq", meta.at("/parameters/app").asText());
        assertEquals("phonemes", meta.at("/outputs/0/name").asText());

        List<String> words = List.of("bad", "cat", "a", "debate", "tea");
        Http.Reply reply = http.post("/v2/models/g2p/infer", body(words));
        assertEquals(200, reply.status(), reply.body());
        JsonNode out = reply.json().at("/outputs/0");
        assertEquals("BYTES", out.get("datatype").asText());
        List<String> served = new ArrayList<>();
        out.get("data").forEach(x -> served.add(x.asText()));

        // The app's own path: unpadded sources, the batch's longest sets the padding.
        long[][] sources = new long[words.size()][];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = LETTERS.encode(words.get(i).codePoints().mapToObj(Character::toString).toList());
        }
        List<String> expected = new ArrayList<>();
        try (EncoderDecoderScorer scorer = new EncoderDecoderScorer(g2p, sources, false, 0, 1)) {
            for (SequenceSearch.Hypothesis h : SequenceSearch.greedy(scorer, 1, 2, G2P.maxLen() - 1)) {
                expected.add(String.join(" ", PHONES.decode(h.tokens())));
            }
        }
        assertEquals(expected, served);
        assertTrue(served.stream().filter(p -> !p.isEmpty()).count() >= 2, "random weights should still emit phones: " + served);

        for (int i = 0; i < words.size(); i++) { // alone, and upper case letters map to the run's lower case ones
            Http.Reply alone = http.post("/v2/models/g2p/infer", body(List.of(words.get(i).toUpperCase(Locale.ROOT))));
            assertEquals(served.get(i), alone.json().at("/outputs/0/data/0").asText(), words.get(i));
        }

        Http.Reply tooLong = http.post("/v2/models/g2p/infer", body(List.of("abcdeabcdeab")));
        assertEquals(400, tooLong.status());
        assertTrue(tooLong.error().startsWith("inputs[0].data[0]: expected a word of 1 to 8 letters, got 12"), tooLong.error());
    }

    private static String body(List<String> words) {
        StringJoiner data = new StringJoiner(",");
        words.forEach(w -> data.add("\"" + w + "\""));
        return "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[" + words.size() + "],\"data\":[" + data + "]}]}";
    }
}
