package dev.kiln.data.shard;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code manifest.json} of a token shard directory: what tokenizer made the ids, and for each
 * shard its file name, token count, byte size and SHA-256 (of the whole file, header included,
 * so {@code sha256sum shard-00000.bin} checks it). The manifest is written last, atomically: a
 * directory without one is an unfinished run.
 *
 * @param tokenizer a name for the tokenizer (e.g. {@code "gpt2"} or a path)
 * @param vocabSize the vocabulary size; every id is below it
 * @param tokenType how ids are stored
 * @param endOfTextId the id written before each document, or -1 when none
 * @param documents how many documents were written
 * @param shards the shards, in order
 */
public record ShardManifest(String tokenizer, int vocabSize, ShardFormat.TokenType tokenType, int endOfTextId, long documents,
        List<Shard> shards) {
    public static final String FILE_NAME = "manifest.json";
    static final String FORMAT = "kiln-token-shards";

    /** One shard: file name (relative to the manifest), tokens, bytes (header included), SHA-256 in hex. */
    public record Shard(String file, long tokens, long bytes, String sha256) {}

    public ShardManifest {
        Objects.requireNonNull(tokenizer, "ShardManifest: tokenizer");
        Objects.requireNonNull(tokenType, "ShardManifest: tokenType");
        shards = List.copyOf(shards);
    }

    /** Tokens in all shards. */
    public long totalTokens() {
        long t = 0;
        for (Shard s : shards) {
            t += s.tokens();
        }
        return t;
    }

    /** Writes {@code dir/manifest.json} atomically (temp file, fsync, rename). */
    void write(Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("version", ShardFormat.VERSION);
        json.put("tokenizer", tokenizer);
        json.put("vocab_size", vocabSize);
        json.put("dtype", tokenType.jsonName());
        json.put("end_of_text_id", endOfTextId < 0 ? null : endOfTextId);
        json.put("documents", documents);
        json.put("total_tokens", totalTokens());
        List<Object> list = new ArrayList<>();
        for (Shard s : shards) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", s.file());
            m.put("tokens", s.tokens());
            m.put("bytes", s.bytes());
            m.put("sha256", s.sha256());
            list.add(m);
        }
        json.put("shards", list);
        AtomicFiles.write(dir.resolve(FILE_NAME), (JsonFiles.writePretty(json) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads the manifest of shard directory {@code dir}.
     *
     * @throws NoSuchFileException naming the manifest when there is none (an unfinished or wrong directory)
     * @throws MalformedDataException naming the field that is missing or has the wrong type
     */
    public static ShardManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "no token shard manifest (a directory written by ShardWriter gets one when finish() completes)");
        }
        Object root = JsonFiles.read(file);
        String where = file.toString();
        if (!(root instanceof Map<?, ?> m)) {
            throw new MalformedDataException(where + ": expected a JSON object");
        }
        if (!FORMAT.equals(m.get("format"))) {
            throw new MalformedDataException(where + ": \"format\" is " + JsonFiles.write(m.get("format")) + ", expected \"" + FORMAT + "\"");
        }
        long version = number(m, "version", where);
        if (version != ShardFormat.VERSION) {
            throw new MalformedDataException(where + ": version " + version + ", this reader knows version " + ShardFormat.VERSION);
        }
        String tokenizer = string(m, "tokenizer", where);
        int vocab = (int) number(m, "vocab_size", where);
        String dtype = string(m, "dtype", where);
        ShardFormat.TokenType type = switch (dtype) {
            case "uint16" -> ShardFormat.TokenType.UINT16;
            case "uint32" -> ShardFormat.TokenType.UINT32;
            default -> throw new MalformedDataException(where + ": dtype '" + dtype + "', expected uint16 or uint32");
        };
        int eot = m.get("end_of_text_id") == null ? -1 : (int) number(m, "end_of_text_id", where);
        long documents = number(m, "documents", where);
        if (!(m.get("shards") instanceof List<?> list)) {
            throw new MalformedDataException(where + ": \"shards\" is missing or not a list");
        }
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + ": shards[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> s)) {
                throw new MalformedDataException(at + " is not an object");
            }
            String name = string(s, "file", at);
            if (name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
                throw new MalformedDataException(at + ": file '" + name + "' must be a plain file name in the manifest's directory");
            }
            shards.add(new Shard(name, number(s, "tokens", at), number(s, "bytes", at), string(s, "sha256", at)));
        }
        ShardManifest manifest = new ShardManifest(tokenizer, vocab, type, eot, documents, shards);
        long total = number(m, "total_tokens", where);
        if (total != manifest.totalTokens()) {
            throw new MalformedDataException(where + ": total_tokens is " + total + " but the shards hold " + manifest.totalTokens());
        }
        return manifest;
    }

    private static long number(Map<?, ?> m, String key, String where) throws MalformedDataException {
        if (!(m.get(key) instanceof Long v) || v < 0) {
            throw new MalformedDataException(where + ": \"" + key + "\" is " + JsonFiles.write(m.get(key)) + ", expected a non-negative integer");
        }
        return v;
    }

    private static String string(Map<?, ?> m, String key, String where) throws MalformedDataException {
        if (!(m.get(key) instanceof String v)) {
            throw new MalformedDataException(where + ": \"" + key + "\" is " + JsonFiles.write(m.get(key)) + ", expected a string");
        }
        return v;
    }
}
