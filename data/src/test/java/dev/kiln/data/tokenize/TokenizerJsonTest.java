package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {
    @TempDir
    Path dir;

    private static BpeTokenizer small() {
        return new BpeTrainer(300, 2, List.of("<|endoftext|>", "<pad>")).addAll(TokenizeFixtures.corpusLines()).train();
    }

    @Test
    void saveThenLoadGivesTheSameTokenizer() throws IOException {
        BpeTokenizer tok = small();
        Path file = dir.resolve("tokenizer.json");
        tok.save(file);
        BpeTokenizer back = BpeTokenizer.load(file);
        assertEquals(tok.modelVocab(), back.modelVocab());
        assertEquals(tok.addedTokens(), back.addedTokens());
        assertEquals(tok.merges().size(), back.merges().size());
        for (int i = 0; i < tok.merges().size(); i++) {
            assertArrayEquals(tok.merges().get(i), back.merges().get(i));
        }
        String text = "It's the kiln<|endoftext|> at 1220 °C.\n";
        assertArrayEquals(tok.encode(text), back.encode(text));
    }

    @Test
    void savedFileHasHuggingFacesLayout() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        small().save(file);
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) JsonFiles.read(file);
        @SuppressWarnings("unchecked")
        Map<String, Object> hf = (Map<String, Object>) JsonFiles.read(TokenizeFixtures.resource("hf_tokenizer.json"));
        assertEquals(List.copyOf(hf.keySet()), List.copyOf(root.keySet()), "top-level fields in Hugging Face's order");
        Map<?, ?> model = (Map<?, ?>) root.get("model");
        assertEquals(List.copyOf(((Map<?, ?>) hf.get("model")).keySet()), List.copyOf(model.keySet()));
        assertEquals("BPE", model.get("type"));
        for (Object m : (List<?>) model.get("merges")) {
            assertTrue(m instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String && l.get(1) instanceof String,
                    "merges are [left, right] arrays: " + m);
        }
        assertEquals(hf.get("pre_tokenizer"), root.get("pre_tokenizer"));
        assertEquals(hf.get("decoder"), root.get("decoder"));
        Map<?, ?> eot = (Map<?, ?>) ((List<?>) root.get("added_tokens")).get(0);
        assertEquals(((List<?>) hf.get("added_tokens")).get(0), eot);
    }

    @Test
    void writesAtomicallyAndReplacesAnOldFile() throws IOException {
        Path file = dir.resolve("out").resolve("tokenizer.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "old");
        small().save(file);
        assertTrue(Files.readString(file).startsWith("{"));
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file), s.toList(), "no temporary file left behind");
        }
    }

    @Test
    void readsLegacyMergeStrings() throws IOException {
        Path file = write(root -> model(root).put("merges", List.of("Ġ t", "h e")));
        BpeTokenizer tok = BpeTokenizer.load(file);
        assertArrayEquals(new String[] {"Ġ", "t"}, tok.merges().get(0));
        assertArrayEquals(new String[] {"h", "e"}, tok.merges().get(1));
    }

    @Test
    void readsTheGpt2StyleFileWithoutSpecialTokensAndWithAByteLevelPostProcessor() throws IOException {
        Path file = write(root -> {
            root.put("added_tokens", List.of());
            root.put("post_processor", Map.of("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", false, "use_regex", true));
        });
        assertTrue(BpeTokenizer.load(file).addedTokens().isEmpty());
    }

    @Test
    void rejectsMalformedFilesNamingTheField() throws IOException {
        expectError(root -> root.remove("model"), "model: missing");
        expectError(root -> model(root).put("vocab", List.of()), "model.vocab: expected an object");
        expectError(root -> model(root).put("type", "WordPiece"), "model.type: \"WordPiece\" is not supported");
        expectError(root -> model(root).remove("merges"), "model.merges: missing");
        expectError(root -> model(root).put("merges", List.of(List.of("Ġ"))), "model.merges[0]: expected [\"left\", \"right\"]");
        expectError(root -> model(root).put("merges", List.of("Ġt")), "model.merges[0]: expected \"left right\"");
        expectError(root -> model(root).put("merges", List.of(List.of("Ġ", "t"), List.of("x", "☃"))),
                "model.merges[1]: token \"☃\" is not in model.vocab");
        expectError(root -> model(root).put("merges", List.of(List.of("q", "q"))),
                "model.merges[0]: the merged token \"qq\" is not in model.vocab");
        expectError(root -> vocab(root).put("!", "one"), "model.vocab[\"!\"]: expected an id");
        expectError(root -> vocab(root).put("!", -3L), "model.vocab[\"!\"]: expected an id");
        expectError(root -> vocab(root).put("!", 5L), "is also the id of");
        expectError(root -> vocab(root).put("zzz", 100_000L), "ids must run from 0 to 100000 without gaps");
        expectError(root -> model(root).put("dropout", 0.1), "model.dropout: 0.1 is not supported");
        expectError(root -> model(root).put("continuing_subword_prefix", "##"), "model.continuing_subword_prefix");
        expectError(root -> model(root).put("byte_fallback", true), "model.byte_fallback");
        expectError(root -> model(root).put("ignore_merges", "yes"), "model.ignore_merges: expected true or false");
        expectError(root -> root.put("normalizer", Map.of("type", "NFC")), "normalizer: type NFC is not supported");
        expectError(root -> root.put("truncation", Map.of("max_length", 512L)), "truncation:");
        expectError(root -> pre(root).put("add_prefix_space", true), "pre_tokenizer.add_prefix_space: true is not supported");
        expectError(root -> pre(root).put("use_regex", false), "pre_tokenizer.use_regex");
        expectError(root -> root.put("pre_tokenizer", Map.of("type", "Whitespace")), "pre_tokenizer.type: \"Whitespace\"");
        expectError(root -> root.remove("pre_tokenizer"), "pre_tokenizer: missing");
        expectError(root -> root.put("decoder", Map.of("type", "WordPiece")), "decoder.type");
        expectError(root -> root.put("post_processor", Map.of("type", "TemplateProcessing")), "post_processor.type");
        expectError(root -> added(root).put("lstrip", true), "added_tokens[0].lstrip: true is not supported");
        expectError(root -> added(root).put("content", ""), "added_tokens[0].content: expected a non-empty string");
        expectError(root -> added(root).remove("id"), "added_tokens[0].id: missing");
        expectError(root -> added(root).put("id", 5L), "added_tokens[0].id: id 5 of \"<|endoftext|>\" belongs to");
        expectError(root -> root.put("added_tokens", Map.of()), "added_tokens: expected an array");
    }

    @Test
    void rejectsFilesThatAreNotJson() throws IOException {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{\"model\": ");
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        Files.writeString(file, "[1, 2]");
        MalformedDataException notObject = assertThrows(MalformedDataException.class, () -> BpeTokenizer.load(file));
        assertTrue(notObject.getMessage().contains("(root): expected an object"), notObject.getMessage());
    }

    // ---- helpers: edit a copy of Hugging Face's file ----

    private Path write(Consumer<Map<String, Object>> edit) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) JsonFiles.read(TokenizeFixtures.resource("hf_tokenizer.json"));
        edit.accept(root);
        Path file = dir.resolve("edited.json");
        Files.writeString(file, JsonFiles.writePretty(root));
        return file;
    }

    private void expectError(Consumer<Map<String, Object>> edit, String expected) throws IOException {
        Path file = write(edit);
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> BpeTokenizer.load(file),
                "expected an error containing: " + expected);
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "message \"" + e.getMessage() + "\" lacks \"" + expected + "\"");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> model(Map<String, Object> root) {
        return (Map<String, Object>) root.get("model");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> vocab(Map<String, Object> root) {
        return (Map<String, Object>) model(root).get("vocab");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pre(Map<String, Object> root) {
        return (Map<String, Object>) root.get("pre_tokenizer");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> added(Map<String, Object> root) {
        return (Map<String, Object>) ((List<Object>) root.get("added_tokens")).get(0);
    }
}
