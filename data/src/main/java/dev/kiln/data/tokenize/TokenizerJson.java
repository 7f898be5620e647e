package dev.kiln.data.tokenize;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face {@code tokenizers} file format ({@code tokenizer.json}) for byte-level BPE, as
 * written by {@code tokenizers} 0.2x: a {@code "BPE"} model with {@code vocab} (token → id) and
 * {@code merges} (each {@code ["left", "right"]}; the older {@code "left right"} strings are read
 * too), a {@code ByteLevel} pre-tokenizer and decoder, and {@code added_tokens}.
 *
 * <p>Reading is strict about what would change the ids: a normalizer, a pre-tokenizer other than
 * {@code ByteLevel(add_prefix_space=false, use_regex=true)}, BPE dropout, subword prefixes or
 * suffixes, byte fallback, a post-processor other than {@code ByteLevel}, truncation, padding, or
 * added tokens with {@code lstrip}/{@code rstrip}/{@code single_word} are refused with a message
 * naming the field, as are malformed values.
 */
public final class TokenizerJson {
    private TokenizerJson() {}

    /**
     * Reads a tokenizer.json.
     *
     * @throws MalformedDataException naming the file and the field that is missing, of the wrong
     *     type, inconsistent or unsupported
     */
    public static BpeTokenizer read(Path file) throws IOException {
        Object root = JsonFiles.read(file);
        return fromJson(root, file.toString());
    }

    /** Builds a tokenizer from parsed tokenizer.json content; {@code source} names it in errors. */
    public static BpeTokenizer fromJson(Object root, String source) throws MalformedDataException {
        Fields f = new Fields(source);
        Map<String, Object> top = f.object(root, "(root)");

        Object normalizer = top.get("normalizer");
        if (normalizer != null) {
            throw f.unsupported("normalizer", describeType(normalizer), "no normalizer (null)");
        }
        for (String field : List.of("truncation", "padding")) {
            if (top.get(field) != null) {
                throw f.unsupported(field, JsonFiles.write(top.get(field)), "null");
            }
        }
        Map<String, Object> pre = f.object(f.required(top, "pre_tokenizer", ""), "pre_tokenizer");
        f.expectType(pre, "pre_tokenizer", "ByteLevel");
        if (f.bool(pre, "pre_tokenizer", "add_prefix_space", false)) {
            throw f.unsupported("pre_tokenizer.add_prefix_space", "true", "false");
        }
        if (!f.bool(pre, "pre_tokenizer", "use_regex", true)) {
            throw f.unsupported("pre_tokenizer.use_regex", "false", "true (the GPT-2 split)");
        }
        Object decoder = top.get("decoder");
        if (decoder != null) {
            f.expectType(f.object(decoder, "decoder"), "decoder", "ByteLevel");
        }
        Object post = top.get("post_processor");
        if (post != null) {
            f.expectType(f.object(post, "post_processor"), "post_processor", "ByteLevel");
        }

        Map<String, Object> model = f.object(f.required(top, "model", ""), "model");
        if (model.containsKey("type")) {
            f.expectType(model, "model", "BPE");
        }
        if (model.get("dropout") != null) {
            throw f.unsupported("model.dropout", JsonFiles.write(model.get("dropout")), "null (no BPE dropout)");
        }
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            Object v = model.get(field);
            if (v != null && !"".equals(v)) {
                throw f.unsupported("model." + field, JsonFiles.write(v), "null");
            }
        }
        if (f.bool(model, "model", "byte_fallback", false)) {
            throw f.unsupported("model.byte_fallback", "true", "false");
        }
        boolean ignoreMerges = f.bool(model, "model", "ignore_merges", false);

        Map<String, Object> vocabJson = f.object(f.required(model, "vocab", "model."), "model.vocab");
        Map<Integer, String> vocab = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : vocabJson.entrySet()) {
            String where = "model.vocab[\"" + e.getKey() + "\"]";
            int id = f.id(e.getValue(), where);
            String other = vocab.put(id, e.getKey());
            if (other != null) {
                throw f.error(where, "id " + id + " is also the id of \"" + other + "\"");
            }
        }

        List<Object> mergesJson = f.array(f.required(model, "merges", "model."), "model.merges");
        List<String[]> merges = new ArrayList<>(mergesJson.size());
        for (int i = 0; i < mergesJson.size(); i++) {
            String where = "model.merges[" + i + "]";
            Object m = mergesJson.get(i);
            String[] pair;
            if (m instanceof String s) {
                int space = s.indexOf(' ');
                if (space <= 0 || space == s.length() - 1 || s.indexOf(' ', space + 1) >= 0) {
                    throw f.error(where, "expected \"left right\" (two tokens separated by one space), got " + JsonFiles.write(s));
                }
                pair = new String[] {s.substring(0, space), s.substring(space + 1)};
            } else if (m instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b) {
                pair = new String[] {a, b};
            } else {
                throw f.error(where, "expected [\"left\", \"right\"] or \"left right\", got " + JsonFiles.write(m));
            }
            for (String part : pair) {
                if (!vocabJson.containsKey(part)) {
                    throw f.error(where, "token \"" + part + "\" is not in model.vocab");
                }
            }
            if (!vocabJson.containsKey(pair[0] + pair[1])) {
                throw f.error(where, "the merged token \"" + pair[0] + pair[1] + "\" is not in model.vocab");
            }
            merges.add(pair);
        }

        List<AddedToken> added = new ArrayList<>();
        Object addedJson = top.get("added_tokens");
        if (addedJson != null) {
            List<Object> list = f.array(addedJson, "added_tokens");
            Map<Integer, String> seen = new HashMap<>();
            for (int i = 0; i < list.size(); i++) {
                String where = "added_tokens[" + i + "]";
                Map<String, Object> t = f.object(list.get(i), where);
                int id = f.id(f.required(t, "id", where + "."), where + ".id");
                Object content = f.required(t, "content", where + ".");
                if (!(content instanceof String s) || s.isEmpty()) {
                    throw f.error(where + ".content", "expected a non-empty string, got " + JsonFiles.write(content));
                }
                for (String flag : List.of("single_word", "lstrip", "rstrip")) {
                    if (f.bool(t, where, flag, false)) {
                        throw f.unsupported(where + "." + flag, "true", "false");
                    }
                }
                boolean special = f.bool(t, where, "special", false);
                String inVocab = vocab.get(id);
                if (inVocab != null && !inVocab.equals(s)) {
                    throw f.error(where + ".id", "id " + id + " of \"" + s + "\" belongs to \"" + inVocab + "\" in model.vocab");
                }
                String before = seen.put(id, s);
                if (before != null) {
                    throw f.error(where + ".id", "id " + id + " is also the id of added token \"" + before + "\"");
                }
                added.add(new AddedToken(id, s, special));
            }
        }
        int size = 0;
        for (int id : vocab.keySet()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        boolean[] used = new boolean[size];
        vocab.keySet().forEach(id -> used[id] = true);
        added.forEach(t -> used[t.id()] = true);
        for (int id = 0; id < size; id++) {
            if (!used[id]) {
                throw f.error("model.vocab", "ids must run from 0 to " + (size - 1) + " without gaps, but no token has id " + id);
            }
        }
        try {
            return new BpeTokenizer(vocab, merges, added, ignoreMerges);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code tokenizer} in the layout {@code tokenizers} 0.2x writes, atomically: the JSON
     * goes to a temporary file in the same directory, which then replaces {@code file}.
     */
    public static void write(BpeTokenizer tokenizer, Path file) throws IOException {
        AtomicFiles.writeString(file, JsonFiles.writePretty(toJson(tokenizer)) + "\n");
    }

    /** The tokenizer.json content as maps and lists, keys in Hugging Face's order. */
    public static Map<String, Object> toJson(BpeTokenizer tokenizer) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        List<Object> added = new ArrayList<>();
        for (AddedToken t : tokenizer.addedTokens()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", t.id());
            m.put("content", t.content());
            m.put("single_word", false);
            m.put("lstrip", false);
            m.put("rstrip", false);
            m.put("normalized", !t.special()); // Hugging Face's default for each kind
            m.put("special", t.special());
            added.add(m);
        }
        root.put("added_tokens", added);
        root.put("normalizer", null);
        root.put("pre_tokenizer", byteLevel(false));
        root.put("post_processor", null);
        root.put("decoder", byteLevel(true));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", tokenizer.ignoresMerges());
        Map<String, Object> vocab = new LinkedHashMap<>();
        tokenizer.modelVocab().forEach((id, token) -> vocab.put(token, id));
        model.put("vocab", vocab);
        List<Object> merges = new ArrayList<>();
        for (String[] m : tokenizer.merges()) {
            merges.add(Arrays.asList(m[0], m[1]));
        }
        model.put("merges", merges);
        root.put("model", model);
        return root;
    }

    /** The ByteLevel component; the decoder's {@code add_prefix_space} is what Hugging Face writes (it has no effect there). */
    private static Map<String, Object> byteLevel(boolean asDecoder) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "ByteLevel");
        m.put("add_prefix_space", asDecoder);
        m.put("trim_offsets", true);
        m.put("use_regex", true);
        return m;
    }

    private static String describeType(Object component) {
        if (component instanceof Map<?, ?> m && m.get("type") instanceof String t) {
            return "type " + t;
        }
        return JsonFiles.write(component);
    }

    /** Typed access to JSON fields, with errors that name the field. */
    private record Fields(String source) {
        MalformedDataException error(String field, String message) {
            return new MalformedDataException(source + ": " + field + ": " + message);
        }

        MalformedDataException unsupported(String field, String got, String supported) {
            return error(field, got + " is not supported (Kiln reads byte-level BPE with " + supported + ")");
        }

        Object required(Map<String, Object> obj, String key, String prefix) throws MalformedDataException {
            if (!obj.containsKey(key)) {
                throw error(prefix + key, "missing");
            }
            return obj.get(key);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(Object v, String field) throws MalformedDataException {
            if (v instanceof Map<?, ?> m) {
                return (Map<String, Object>) m;
            }
            throw error(field, "expected an object, got " + JsonFiles.write(v));
        }

        @SuppressWarnings("unchecked")
        List<Object> array(Object v, String field) throws MalformedDataException {
            if (v instanceof List<?> l) {
                return (List<Object>) l;
            }
            throw error(field, "expected an array, got " + shorten(JsonFiles.write(v)));
        }

        boolean bool(Map<String, Object> obj, String prefix, String key, boolean absent) throws MalformedDataException {
            Object v = obj.get(key);
            if (v == null) {
                return absent;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            throw error(prefix + "." + key, "expected true or false, got " + JsonFiles.write(v));
        }

        int id(Object v, String field) throws MalformedDataException {
            if (v instanceof Long l && l >= 0 && l <= Integer.MAX_VALUE - 8) {
                return (int) (long) l;
            }
            throw error(field, "expected an id (an integer >= 0), got " + JsonFiles.write(v));
        }

        void expectType(Map<String, Object> component, String field, String type) throws MalformedDataException {
            Object t = component.get("type");
            if (!type.equals(t)) {
                throw unsupported(field + ".type", t == null ? "a missing type" : JsonFiles.write(t), "type \"" + type + "\"");
            }
        }

        private static String shorten(String s) {
            return s.length() <= 80 ? s : s.substring(0, 77) + "...";
        }
    }
}
