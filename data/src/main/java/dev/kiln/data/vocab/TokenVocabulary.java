package dev.kiln.data.vocab;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A symbol table for sequence-to-sequence data: special tokens first (ids 0, 1, ...), then the
 * symbols in sorted order. {@code kiln train seq2seq} uses one over letters (pad, unknown) and one
 * over phones (pad, begin, end); both put padding at id 0, since {@code EncoderDecoder} takes one
 * padding id for the source and the target.
 */
public final class TokenVocabulary {
    private final List<String> tokens;
    private final int specials;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int unknownId;

    /** @param unknown the special token unknown symbols encode to, or null to refuse them */
    public TokenVocabulary(List<String> specials, Collection<String> symbols, String unknown) {
        this.tokens = new ArrayList<>(specials);
        this.specials = specials.size();
        for (String s : new TreeSet<>(symbols)) {
            if (specials.contains(s)) {
                throw new IllegalArgumentException("TokenVocabulary: symbol '" + s + "' collides with a special token " + specials);
            }
            tokens.add(s);
        }
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        if (unknown != null && !specials.contains(unknown)) {
            throw new IllegalArgumentException("TokenVocabulary: the unknown token '" + unknown + "' must be one of " + specials);
        }
        this.unknownId = unknown == null ? -1 : ids.get(unknown);
    }

    public int size() {
        return tokens.size();
    }

    /** All tokens in id order, the specials first. */
    public List<String> tokens() {
        return List.copyOf(tokens);
    }

    public int id(String token) {
        Integer id = ids.get(token);
        if (id != null) {
            return id;
        }
        if (unknownId < 0) {
            throw new IllegalArgumentException("TokenVocabulary: '" + token + "' is not in the vocabulary " + tokens);
        }
        return unknownId;
    }

    public String token(long id) {
        if (id < 0 || id >= tokens.size()) {
            throw new IllegalArgumentException("TokenVocabulary: id " + id + " is out of range [0, " + tokens.size() + ")");
        }
        return tokens.get((int) id);
    }

    public boolean isSpecial(long id) {
        return id >= 0 && id < specials;
    }

    public long[] encode(List<String> symbols) {
        long[] out = new long[symbols.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = id(symbols.get(i));
        }
        return out;
    }

    /** The symbols of {@code ids}, special tokens left out. */
    public List<String> decode(long[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (long id : ids) {
            if (!isSpecial(id)) {
                out.add(token(id));
            }
        }
        return out;
    }
}
