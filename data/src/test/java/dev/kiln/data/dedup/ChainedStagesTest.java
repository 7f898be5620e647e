package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.clean.CleaningPipeline;
import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.parallel.CloseableIterator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Clean, exact dedup and near dedup chained as streams: the parallel chain equals a plain loop. */
class ChainedStagesTest {
    @Test
    void parallelChainEqualsSequentialLoop() {
        List<String> docs = new ArrayList<>(NearDuplicateDetectorTest.plant(3, 600, 80, 20).docs());
        // exact copies with cosmetic differences, and junk for the filters
        for (int i = 0; i < 100; i++) {
            docs.add(docs.get(i * 3).toUpperCase() + "  \r\n");
            docs.add("too short " + i);
        }

        FilterReport seqReport = new FilterReport();
        CleaningPipeline pipeline = CleaningPipeline.standard();
        ExactDeduplicator exact = new ExactDeduplicator();
        NearDuplicateDetector near = new NearDuplicateDetector(NearDuplicateDetector.Config.DEFAULT);
        List<String> expected = new ArrayList<>();
        pipeline.normalizers().forEach(n -> seqReport.stage(n.name())); // the chain's table order
        pipeline.filters().forEach(f -> seqReport.stage(f.name()));
        FilterReport.Stage exactStage = seqReport.stage(ExactDeduplicator.STAGE);
        FilterReport.Stage nearStage = seqReport.stage(NearDuplicateDetector.STAGE);
        for (String d : docs) {
            CleaningPipeline.Outcome o = pipeline.process(d, seqReport);
            if (!o.kept()) {
                continue;
            }
            exactStage.countSeen();
            if (exact.add(o.text()) >= 0) {
                exactStage.countRemoved("exact duplicate of an earlier document");
                continue;
            }
            nearStage.countSeen();
            if (near.add(o.text()) >= 0) {
                nearStage.countRemoved("near duplicate (Jaccard >= 0.8)");
                continue;
            }
            expected.add(o.text());
        }
        assertTrue(exactStage.removed() >= 100, seqReport.table());
        assertTrue(nearStage.removed() >= 76, seqReport.table());

        FilterReport report = new FilterReport();
        List<String> got = new ArrayList<>();
        CloseableIterator<String> kept = pipeline.clean(docs.iterator(), report, 3);
        CloseableIterator<String> distinct = new ExactDeduplicator().filter(kept, t -> t, report, 3);
        try (CloseableIterator<String> unique = new NearDuplicateDetector(NearDuplicateDetector.Config.DEFAULT)
                .filter(distinct, t -> t, report, 3)) {
            unique.forEachRemaining(got::add);
        }
        assertEquals(expected, got);
        assertEquals(JsonFiles.write(seqReport.toJson()), JsonFiles.write(report.toJson()));
        assertEquals(got.size(), report.output());
        assertEquals(docs.size(), report.input());
        System.out.print(report.table());
    }
}
