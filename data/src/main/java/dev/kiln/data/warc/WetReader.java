package dev.kiln.data.warc;

import dev.kiln.data.stream.RecordReader;
import dev.kiln.data.stream.SkipReason;
import dev.kiln.data.stream.SkipReport;
import dev.kiln.data.stream.Utf8Policy;
import dev.kiln.data.stream.Utf8Validator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * The documents of a WET file (Common Crawl's extracted text): its {@code conversion} records,
 * decoded as UTF-8 under a {@link Utf8Policy} (default {@link Utf8Policy#REPORT}: a record that
 * is not valid UTF-8 is a counted skip). Other records (the leading {@code warcinfo}) are counted
 * as {@link SkipReason#FILTERED_TYPE}. Errors and skips are those of {@link WarcReader}.
 */
public final class WetReader implements RecordReader<WetDocument> {
    private final WarcReader records;
    private final Utf8Policy policy;

    private WetReader(WarcReader records, Utf8Policy policy) {
        this.records = records;
        this.policy = Objects.requireNonNull(policy, "WetReader: policy");
    }

    public static WetReader open(Path file) throws IOException {
        return open(file, Utf8Policy.REPORT);
    }

    public static WetReader open(Path file, Utf8Policy policy) throws IOException {
        Objects.requireNonNull(policy, "WetReader: policy");
        return new WetReader(WarcReader.open(file, Set.of("conversion"), WarcReader.DEFAULT_MAX_BLOCK_BYTES), policy);
    }

    @Override
    public WetDocument read() throws IOException {
        WarcRecord r;
        while ((r = records.read()) != null) {
            byte[] b = r.block();
            String text = Utf8Validator.decode(b, 0, b.length, policy);
            if (text == null) {
                records.skips().add(SkipReason.INVALID_UTF8, r.location(), Utf8Validator.describe(b, 0, Utf8Validator.firstInvalid(b, 0, b.length)));
                continue;
            }
            return new WetDocument(r.targetUri(), r.date(), r.recordId(), r.identifiedLanguage(), text);
        }
        return null;
    }

    @Override
    public SkipReport skips() {
        return records.skips();
    }

    @Override
    public String location() {
        return records.location();
    }

    @Override
    public void close() throws IOException {
        records.close();
    }
}
