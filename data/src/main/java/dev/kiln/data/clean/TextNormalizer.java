package dev.kiln.data.clean;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A text-to-text rewrite applied to every record before the filters see it (Unicode
 * normalisation, invisible-character removal, whitespace, boilerplate lines). Implementations are
 * thread-safe and stateless per call, so a pipeline may run them on many threads at once.
 */
public interface TextNormalizer {
    /** The name the {@link FilterReport} shows. */
    String name();

    /** The rewritten text; returns {@code text} itself when nothing changes. */
    String normalize(String text);

    /** A normaliser named {@code name} that applies {@code rewrite}. */
    static TextNormalizer of(String name, UnaryOperator<String> rewrite) {
        Objects.requireNonNull(name, "TextNormalizer.of: name");
        Objects.requireNonNull(rewrite, "TextNormalizer.of: rewrite");
        return new TextNormalizer() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String normalize(String text) {
                return rewrite.apply(text);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
