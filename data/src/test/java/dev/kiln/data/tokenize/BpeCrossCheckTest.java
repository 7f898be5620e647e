package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Kiln against Hugging Face {@code tokenizers} (fixtures of data/src/test/python/bpe_fixtures.py):
 * Hugging Face's tokenizer.json read by Kiln must give the same ids and decodes; Kiln's trainer
 * must learn the same merges on the same text; and Kiln's own tokenizer.json, read by Hugging Face,
 * must give the ids Kiln gives.
 */
class BpeCrossCheckTest {
    /** Kiln's committed tokenizer.json: trained here on corpus.txt with these settings. */
    static final int KILN_VOCAB = 420;
    static final int KILN_MIN_FREQUENCY = 2;
    static final List<String> KILN_SPECIALS = List.of(TokenizeFixtures.SPECIAL, "<|pad|>");

    @Test
    void huggingFaceTokenizerGivesTheSameIdsAndDecodes() throws IOException {
        BpeTokenizer hf = BpeTokenizer.load(TokenizeFixtures.resource("hf_tokenizer.json"));
        int n = 0;
        for (Map<String, Object> c : TokenizeFixtures.cases()) {
            String text = (String) c.get("text");
            int[] expected = TokenizeFixtures.ints(c.get("ids"));
            String label = "text: " + Gpt2PreTokenizerTest.escape(text);
            assertArrayEquals(expected, hf.encode(text), label);
            assertEquals(c.get("decoded"), hf.decode(expected), label);
            n++;
        }
        assertTrue(n > 150, "fixture cases: " + n);
    }

    @Test
    void invalidUtf8DecodesLikeHuggingFace() throws IOException {
        BpeTokenizer hf = BpeTokenizer.load(TokenizeFixtures.resource("hf_tokenizer.json"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> decodes = (List<Map<String, Object>>) TokenizeFixtures.fixture().get("invalid_utf8_decodes");
        for (Map<String, Object> d : decodes) {
            assertEquals(d.get("decoded"), hf.decode(TokenizeFixtures.ints(d.get("ids"))), "bytes " + d.get("bytes"));
        }
    }

    @Test
    void trainerLearnsHuggingFacesMerges() throws IOException {
        BpeTokenizer hf = BpeTokenizer.load(TokenizeFixtures.resource("hf_tokenizer.json"));
        BpeTokenizer kiln = new BpeTrainer(500, 2, List.of(TokenizeFixtures.SPECIAL)).addAll(TokenizeFixtures.corpusLines()).train();
        assertMergesEqual(hf.merges(), kiln.merges(), "vocab 500, min frequency 2");
        assertEquals(hf.modelVocab(), kiln.modelVocab(), "same ids");

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> trainings = (List<Map<String, Object>>) TokenizeFixtures.fixture().get("trainings");
        for (Map<String, Object> t : trainings) {
            int vocab = ((Long) t.get("vocab_size")).intValue();
            long minFrequency = (Long) t.get("min_frequency");
            List<String> specials = new ArrayList<>();
            for (Object s : (List<?>) t.get("special_tokens")) {
                specials.add((String) s);
            }
            List<String[]> expected = new ArrayList<>();
            for (Object m : (List<?>) t.get("merges")) {
                List<?> pair = (List<?>) m;
                expected.add(new String[] {(String) pair.get(0), (String) pair.get(1)});
            }
            BpeTokenizer trained = new BpeTrainer(vocab, minFrequency, specials).addAll(TokenizeFixtures.corpusLines()).train();
            assertMergesEqual(expected, trained.merges(), "vocab " + vocab + ", min frequency " + minFrequency);
        }
    }

    @Test
    void kilnTokenizerJsonReadByHuggingFaceGivesKilnsIds() throws IOException {
        BpeTokenizer kiln = new BpeTrainer(KILN_VOCAB, KILN_MIN_FREQUENCY, KILN_SPECIALS)
                .addAll(TokenizeFixtures.corpusLines()).train();
        List<Map<String, Object>> cases = TokenizeFixtures.cases();
        if (Boolean.getBoolean("kiln.bpe.writeFixture")) {
            Path dir = TokenizeFixtures.sourceDir();
            kiln.save(dir.resolve("kiln_tokenizer.json"));
            List<Object> ids = new ArrayList<>();
            for (Map<String, Object> c : cases) {
                List<Object> row = new ArrayList<>();
                for (int id : kiln.encode((String) c.get("text"))) {
                    row.add(id);
                }
                ids.add(row);
            }
            Files.writeString(dir.resolve("kiln_ids.json"), JsonFiles.write(ids) + "\n");
            System.out.println("wrote " + dir.resolve("kiln_tokenizer.json") + "; now run data/src/test/python/bpe_fixtures.py");
            return;
        }
        // The committed file is what Kiln trains today (else the fixture checks an old trainer).
        Path committed = TokenizeFixtures.resource("kiln_tokenizer.json");
        Path fresh = Files.createTempFile("kiln_tokenizer", ".json");
        try {
            kiln.save(fresh);
            assertEquals(JsonFiles.read(committed), JsonFiles.read(fresh),
                    "kiln_tokenizer.json is stale: regenerate it (see bpe_fixtures.py)");
        } finally {
            Files.deleteIfExists(fresh);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> inHf = (Map<String, Object>) TokenizeFixtures.fixture().get("kiln_tokenizer_in_hf");
        List<?> hfCases = (List<?>) inHf.get("cases");
        assertEquals(cases.size(), hfCases.size());
        for (int i = 0; i < cases.size(); i++) {
            String text = (String) cases.get(i).get("text");
            Map<?, ?> hf = (Map<?, ?>) hfCases.get(i);
            int[] hfIds = TokenizeFixtures.ints(hf.get("ids"));
            String label = "text: " + Gpt2PreTokenizerTest.escape(text);
            assertArrayEquals(hfIds, kiln.encode(text), label);
            assertEquals(hf.get("decoded"), kiln.decode(hfIds), label);
        }
    }

    private static void assertMergesEqual(List<String[]> expected, List<String[]> actual, String what) {
        int n = Math.min(expected.size(), actual.size());
        for (int i = 0; i < n; i++) {
            int r = i;
            assertArrayEquals(expected.get(i), actual.get(i), () -> what + ": merge " + r + " differs");
        }
        assertEquals(expected.size(), actual.size(), what + ": number of merges");
    }
}
