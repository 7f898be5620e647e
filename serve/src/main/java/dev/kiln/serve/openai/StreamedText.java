package dev.kiln.serve.openai;

import java.util.List;

/**
 * The text of one streamed choice, released as soon as it can no longer turn into a stop string:
 * a suffix that is the beginning of a stop string is held back until the next tokens show it is
 * not one, so no part of a stop string is ever sent and the pieces sent always add up to a prefix
 * of the final text (which {@link #cut} ends before the first stop string). With
 * {@code holdReplacement} (byte-level BPE) a trailing U+FFFD is held back too: it may be a character
 * whose bytes the next token completes.
 *
 * <p>Not thread-safe: one per choice, fed by one thread.
 */
final class StreamedText {
    private final List<String> stops;
    private final boolean holdReplacement;
    private int sent; // characters released so far

    StreamedText(List<String> stops, boolean holdReplacement) {
        this.stops = stops;
        this.holdReplacement = holdReplacement;
    }

    /** {@code text} ended before its first stop string, if it holds one. */
    static String cut(String text, List<String> stops) {
        int at = firstStop(text, stops);
        return at < 0 ? text : text.substring(0, at);
    }

    /** The newly releasable piece of {@code text}, the whole text decoded so far ("" when nothing is). */
    String advance(String text) {
        int end = text.length();
        while (holdReplacement && end > sent && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        int stop = firstStop(text, stops);
        if (stop >= 0) {
            end = Math.min(end, stop);
        }
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, end); k > held; k--) {
                if (text.regionMatches(end - k, s, 0, k)) {
                    held = k;
                    break;
                }
            }
        }
        return release(text, end - held);
    }

    /** The rest of {@code finalText} (the choice's whole answer) not yet released. */
    String finish(String finalText) {
        return release(finalText, finalText.length());
    }

    private String release(String text, int end) {
        if (end <= sent) {
            return "";
        }
        String piece = text.substring(sent, end);
        sent = end;
        return piece;
    }

    private static int firstStop(String text, List<String> stops) {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }
}
