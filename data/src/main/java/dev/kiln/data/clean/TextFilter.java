package dev.kiln.data.clean;

import java.util.Objects;
import java.util.function.Function;

/**
 * A keep-or-drop test on one document. Implementations are thread-safe and stateless, so that the
 * pipeline may call them from many threads and the outcome does not depend on the order.
 */
public interface TextFilter {
    /** The name the {@link FilterReport} shows. */
    String name();

    /** Keep or drop {@code text}, which has been split into words, lines and paragraphs once. */
    Decision decide(TextParts text);

    /** A filter named {@code name} deciding with {@code rule}. */
    static TextFilter of(String name, Function<TextParts, Decision> rule) {
        Objects.requireNonNull(name, "TextFilter.of: name");
        Objects.requireNonNull(rule, "TextFilter.of: rule");
        return new TextFilter() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Decision decide(TextParts text) {
                return rule.apply(text);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
