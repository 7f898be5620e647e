package dev.kiln.apps.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One evaluation report, rendered by {@link ReportWriter} to Markdown, HTML and JSON: a title,
 * the headline metrics (name → number or text, also the keys of report.json's {@code metrics}) and
 * sections of paragraphs, tables, images (file names relative to the report) and preformatted text.
 */
public final class Report {
    /** A block of a section. */
    public sealed interface Block {}

    /** A paragraph of plain text. */
    public record Paragraph(String text) implements Block {}

    /** A table with a header row; every row has the header's width. */
    public record Table(List<String> header, List<List<String>> rows) implements Block {
        public Table {
            header = List.copyOf(header);
            rows = List.copyOf(rows);
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i).size() != header.size()) {
                    throw new IllegalArgumentException("Report.Table: row " + i + " has " + rows.get(i).size()
                            + " cells, the header " + header.size());
                }
            }
        }
    }

    /** An image file beside the report. */
    public record Image(String file, String caption) implements Block {}

    /** Text shown as is (examples, passages). */
    public record Preformatted(String text) implements Block {}

    /** A titled list of blocks. */
    public record Section(String heading, List<Block> blocks) {}

    private final String title;
    private final Map<String, Object> metrics = new LinkedHashMap<>();
    private final List<Section> sections = new ArrayList<>();

    public Report(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }

    /** Records a headline metric (a number, or text such as the model's name). */
    public Report metric(String name, Object value) {
        metrics.put(name, value);
        return this;
    }

    public Map<String, Object> metrics() {
        return metrics;
    }

    /** Appends a section and returns its block list for the caller to fill. */
    public List<Block> section(String heading) {
        Section s = new Section(heading, new ArrayList<>());
        sections.add(s);
        return s.blocks();
    }

    public List<Section> sections() {
        return sections;
    }
}
