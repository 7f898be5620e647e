package dev.kiln.apps.eval;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes a {@link Report} as report.md, report.html (self-contained but for the images beside it) and report.json. */
public final class ReportWriter {
    private ReportWriter() {}

    /** Writes the three files into {@code dir} atomically and returns report.md's path. */
    public static Path write(Report report, Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve("report.md"), markdown(report));
        AtomicFiles.writeString(dir.resolve("report.html"), html(report));
        AtomicFiles.writeString(dir.resolve("report.json"), JsonFiles.writePretty(json(report)) + "\n");
        return dir.resolve("report.md");
    }

    /** A number as reports show it: 4 significant decimals, integers plain. */
    public static String format(Object v) {
        if (v instanceof Double d) {
            return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(d);
        }
        return String.valueOf(v);
    }

    static String markdown(Report r) {
        StringBuilder sb = new StringBuilder("# ").append(r.title()).append("\n\n");
        sb.append("| metric | value |\n|---|---|\n");
        r.metrics().forEach((k, v) -> sb.append("| ").append(cell(k)).append(" | ").append(cell(format(v))).append(" |\n"));
        for (Report.Section s : r.sections()) {
            sb.append("\n## ").append(s.heading()).append("\n\n");
            for (Report.Block b : s.blocks()) {
                switch (b) {
                    case Report.Paragraph p -> sb.append(p.text()).append("\n\n");
                    case Report.Image i -> sb.append("![").append(i.caption()).append("](").append(i.file()).append(")\n\n");
                    case Report.Preformatted p -> sb.append("```\n").append(p.text().replace("```", "'''")).append("\n```\n\n");
                    case Report.Table t -> {
                        sb.append("| ").append(String.join(" | ", t.header().stream().map(ReportWriter::cell).toList())).append(" |\n|");
                        sb.append("---|".repeat(t.header().size())).append('\n');
                        for (List<String> row : t.rows()) {
                            sb.append("| ").append(String.join(" | ", row.stream().map(ReportWriter::cell).toList())).append(" |\n");
                        }
                        sb.append('\n');
                    }
                }
            }
        }
        return sb.toString();
    }

    /** A Markdown table cell: pipes escaped, line breaks flattened. */
    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\r", " ").replace("\n", " ⏎ ");
    }

    static String html(Report r) {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(escape(r.title())).append("</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
                        + "pre{background:#f4f4f4;padding:8px;white-space:pre-wrap}img{max-width:100%}</style></head><body>\n");
        sb.append("<h1>").append(escape(r.title())).append("</h1>\n<table><tr><th>metric</th><th>value</th></tr>\n");
        r.metrics().forEach((k, v) -> sb.append("<tr><td>").append(escape(k)).append("</td><td>").append(escape(format(v)))
                .append("</td></tr>\n"));
        sb.append("</table>\n");
        for (Report.Section s : r.sections()) {
            sb.append("<h2>").append(escape(s.heading())).append("</h2>\n");
            for (Report.Block b : s.blocks()) {
                switch (b) {
                    case Report.Paragraph p -> sb.append("<p>").append(escape(p.text())).append("</p>\n");
                    case Report.Image i -> sb.append("<figure><img src=\"").append(escape(i.file())).append("\" alt=\"")
                            .append(escape(i.caption())).append("\"><figcaption>").append(escape(i.caption()))
                            .append("</figcaption></figure>\n");
                    case Report.Preformatted p -> sb.append("<pre>").append(escape(p.text())).append("</pre>\n");
                    case Report.Table t -> {
                        sb.append("<table><tr>");
                        t.header().forEach(h -> sb.append("<th>").append(escape(h)).append("</th>"));
                        sb.append("</tr>\n");
                        for (List<String> row : t.rows()) {
                            sb.append("<tr>");
                            row.forEach(c -> sb.append("<td>").append(escape(c)).append("</td>"));
                            sb.append("</tr>\n");
                        }
                        sb.append("</table>\n");
                    }
                }
            }
        }
        return sb.append("</body></html>\n").toString();
    }

    /** HTML-escapes text for element content and double-quoted attributes. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static Map<String, Object> json(Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("title", r.title());
        Map<String, Object> metrics = new LinkedHashMap<>();
        r.metrics().forEach((k, v) -> metrics.put(k, v instanceof Double d && !Double.isFinite(d) ? String.valueOf(d) : v));
        m.put("metrics", metrics);
        List<Object> sections = new ArrayList<>();
        for (Report.Section s : r.sections()) {
            Map<String, Object> sec = new LinkedHashMap<>();
            sec.put("heading", s.heading());
            List<Object> blocks = new ArrayList<>();
            for (Report.Block b : s.blocks()) {
                Map<String, Object> o = new LinkedHashMap<>();
                switch (b) {
                    case Report.Paragraph p -> o.put("paragraph", p.text());
                    case Report.Image i -> {
                        o.put("image", i.file());
                        o.put("caption", i.caption());
                    }
                    case Report.Preformatted p -> o.put("text", p.text());
                    case Report.Table t -> {
                        o.put("header", new ArrayList<Object>(t.header()));
                        List<Object> rows = new ArrayList<>();
                        t.rows().forEach(row -> rows.add(new ArrayList<Object>(row)));
                        o.put("rows", rows);
                    }
                }
                blocks.add(o);
            }
            sec.put("blocks", blocks);
            sections.add(sec);
        }
        m.put("sections", sections);
        return m;
    }
}
