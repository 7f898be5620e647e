package dev.kiln.data.tokenize;

import java.util.List;

/**
 * Finds added tokens in raw text: the leftmost occurrence, and of those starting there the longest
 * (Hugging Face's leftmost-longest matching). Each token remembers where it next occurs, so a scan
 * over a text reads it about once per token whatever the number of matches. Not thread-safe: one
 * matcher per encode call.
 */
final class AddedTokenMatcher {
    private final String[] contents;
    private final int[] ids;
    private final int[] nextAt; // next occurrence at or after the last query position, -1 if none
    private final String text;
    private int searchedFrom = -1;

    /** The match found by {@link #find}: start, end and token id. */
    int matchStart;
    int matchEnd;
    int matchId;

    AddedTokenMatcher(List<AddedToken> tokens, String text) {
        contents = new String[tokens.size()];
        ids = new int[tokens.size()];
        for (int i = 0; i < contents.length; i++) {
            contents[i] = tokens.get(i).content();
            ids[i] = tokens.get(i).id();
        }
        nextAt = new int[contents.length];
        this.text = text;
    }

    /** Looks for the first match at or after {@code from} (non-decreasing between calls); false if none. */
    boolean find(int from) {
        int bestStart = Integer.MAX_VALUE;
        int bestLength = 0;
        int best = -1;
        for (int i = 0; i < contents.length; i++) {
            if (searchedFrom < 0 || (nextAt[i] >= 0 && nextAt[i] < from)) {
                nextAt[i] = text.indexOf(contents[i], from);
            }
            int at = nextAt[i];
            if (at >= 0 && (at < bestStart || (at == bestStart && contents[i].length() > bestLength))) {
                bestStart = at;
                bestLength = contents[i].length();
                best = i;
            }
        }
        searchedFrom = from;
        if (best < 0) {
            return false;
        }
        matchStart = bestStart;
        matchEnd = bestStart + bestLength;
        matchId = ids[best];
        return true;
    }
}
