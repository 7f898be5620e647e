package dev.kiln.apps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Help text wrapped at spaces only. Picocli wraps with {@link java.text.BreakIterator}, which also
 * breaks after '.', '/' and '-', so a path ended up split across lines ("~/.", "kiln/data") and
 * could not be copied. Here descriptions, footers and option descriptions wrap between words; a
 * word wider than its whole column is the one thing still left to picocli.
 */
public final class HelpLayout {
    /** Wide enough for the run-directory and data paths to sit on one line with their sentence. */
    public static final int WIDTH = 100;

    private HelpLayout() {}

    /** Configures {@code cl} and all its subcommands: {@link #WIDTH} columns, word-only wrapping. */
    public static CommandLine install(CommandLine cl) {
        cl.setUsageHelpWidth(WIDTH);
        cl.setHelpFactory(WordWrappingHelp::new);
        return cl;
    }

    /** {@code text} split into lines of at most {@code width} characters, breaking at spaces only. */
    static List<String> wrap(String text, int width) {
        if (text.length() <= width) {
            return List.of(text); // as written: a footer's aligned columns keep their runs of spaces
        }
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split(" +")) {
            if (!line.isEmpty() && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    private static final class WordWrappingHelp extends Help {
        WordWrappingHelp(CommandSpec spec, ColorScheme colors) {
            super(spec, colors);
        }

        @Override
        public String description(Object... params) {
            return paragraphs(commandSpec().usageMessage().description(), params);
        }

        @Override
        public String footer(Object... params) {
            return paragraphs(commandSpec().usageMessage().footer(), params);
        }

        /** Each element of {@code lines} starts a new line, as in picocli; long ones wrap at spaces. */
        private String paragraphs(String[] lines, Object... params) {
            StringBuilder sb = new StringBuilder();
            int width = commandSpec().usageMessage().width();
            for (String l : lines) {
                String text = params.length > 0 || l.contains("%") ? String.format(Locale.ROOT, l, params) : l;
                int indent = text.length() - text.stripLeading().length(); // keep a footer's "  ./kiln bench" indent
                for (String w : text.isBlank() ? List.of("") : wrap(text.stripLeading(), width - indent)) {
                    sb.append(" ".repeat(indent)).append(w).append(System.lineSeparator());
                }
            }
            return sb.toString();
        }

        @Override
        public Layout createDefaultLayout() {
            Layout picocli = super.createDefaultLayout();
            return new Layout(colorScheme(), new WordWrappingTable(colorScheme(), picocli.textTable()),
                    picocli.optionRenderer(), picocli.parameterRenderer());
        }
    }

    /** Picocli's option table with the same columns, filling wrapped cells one whole line at a time. */
    private static final class WordWrappingTable extends TextTable {
        private final Help.ColorScheme colors;

        WordWrappingTable(Help.ColorScheme colors, TextTable like) {
            super(colors, like.columns());
            this.colors = colors;
            this.indentWrappedLines = like.indentWrappedLines;
        }

        @Override
        public Cell putValue(int row, int col, Text value) {
            Column column = columns()[col];
            String plain = value == null ? "" : value.plainString();
            int width = column.width - column.indent;
            if (column.overflow != Column.Overflow.WRAP || plain.length() <= width || plain.contains("\n")) {
                return super.putValue(row, col, value);
            }
            List<String> lines = wrap(plain, width - indentWrappedLines);
            Cell last = null;
            int r = row;
            int from = 0;
            for (int i = 0; i < lines.size(); i++) {
                int start = plain.indexOf(lines.get(i), from);
                from = start + lines.get(i).length();
                Text piece = value.substring(start, from); // substring keeps any colour markup
                if (i > 0) {
                    r = last.row + 1;
                    if (r >= rowCount()) {
                        addEmptyRow();
                    }
                    piece = colors.text(" ".repeat(indentWrappedLines)).concat(piece);
                }
                last = super.putValue(r, col, piece);
            }
            return last;
        }
    }
}
