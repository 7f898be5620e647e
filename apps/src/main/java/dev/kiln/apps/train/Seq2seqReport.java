package dev.kiln.apps.train;

import dev.kiln.nn.transformer.EncoderDecoder;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@code kiln train seq2seq} run reports about its held-out words: the metrics records of
 * the greedy and beam decodings, report.json (data, model, training, results, what the decoder
 * cache saves, examples), predictions.tsv, the model config kept in the safetensors metadata, and
 * the console summary.
 */
final class Seq2seqReport {
    private Seq2seqReport() {}

    /** A decoding's scores as a {@code "test"} record of metrics.jsonl. */
    static Map<String, Object> resultRecord(G2pEvaluation.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "test");
        m.put("method", r.method());
        m.putAll(resultJson(r));
        return m;
    }

    private static Map<String, Object> resultJson(G2pEvaluation.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("words", r.errors().sequences());
        m.put("per", r.phonemeErrorRate());
        m.put("wer", r.wordErrorRate());
        m.put("phone_edits", r.errors().edits());
        m.put("reference_phones", r.errors().referenceTokens());
        m.put("word_errors", r.errors().sequencesWithErrors());
        m.put("bleu", r.bleu().score());
        m.put("bleu_precisions", toList(r.bleu().precisions()));
        m.put("bleu_bp", r.bleu().bp());
        m.put("bleu_sys_len", r.bleu().sysLen());
        m.put("bleu_ref_len", r.bleu().refLen());
        m.put("decode_seconds", round(r.seconds(), 3));
        m.put("decoder_tokens", r.decoderTokens());
        m.put("generated_tokens", r.generatedTokens());
        return m;
    }

    private static List<Object> toList(double[] xs) {
        List<Object> out = new ArrayList<>();
        for (double x : xs) {
            out.add(x);
        }
        return out;
    }

    /** The run's summary record in metrics.jsonl. */
    static Map<String, Object> summary(int steps, double lastLoss, double lastVal, G2pEvaluation.Result greedy,
            G2pEvaluation.Result beamResult, double trainSeconds, double wallSeconds, double pairsPerSecond) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("kind", "summary");
        summary.put("steps", (long) steps);
        summary.put("train_loss", lastLoss);
        summary.put("val_loss", lastVal);
        summary.put("greedy_per", greedy.phonemeErrorRate());
        summary.put("greedy_wer", greedy.wordErrorRate());
        summary.put("greedy_bleu", greedy.bleu().score());
        summary.put("beam_per", beamResult.phonemeErrorRate());
        summary.put("beam_wer", beamResult.wordErrorRate());
        summary.put("beam_bleu", beamResult.bleu().score());
        summary.put("train_seconds", round(trainSeconds, 3));
        summary.put("wall_seconds", round(wallSeconds, 3));
        summary.put("train_words_per_s", round(pairsPerSecond, 1));
        return summary;
    }

    static Map<String, Object> report(Seq2seqCommand settings, Seq2seqCommand.Lexicon lex, EncoderDecoder model, G2pEvaluation.Result greedy, G2pEvaluation.Result beamRes,
            G2pEvaluation.DecodingCost decodingCost, double trainLoss, double valLoss, double trainSeconds, double wallSeconds, double pairsPerSecond) {
        Map<String, Object> r = new LinkedHashMap<>();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("source", lex.source());
        data.put("entries", lex.parsed().entries());
        data.put("dropped_entries", lex.parsed().droppedEntries());
        data.put("words", lex.parsed().words().size());
        data.put("train_words", lex.split().train().size());
        data.put("val_words", lex.split().validation().size());
        data.put("test_words", lex.split().test().size());
        data.put("keep_stress", settings.keepStress);
        data.put("scoring", "each test word's hypothesis against the closest of its pronunciations (fewest edits, the dictionary's"
                + " first on ties); BLEU with all pronunciations as references, tokenize none");
        r.put("data", data);
        r.put("model", configJson(model.config));
        r.put("parameters", model.parameterCount());
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("steps", settings.steps);
        training.put("train_loss", trainLoss);
        training.put("val_loss", valLoss);
        training.put("train_seconds", round(trainSeconds, 3));
        training.put("train_words_per_s", round(pairsPerSecond, 1));
        training.put("threads", settings.common.threads);
        r.put("training", training);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("greedy", resultJson(greedy));
        Map<String, Object> b = resultJson(beamRes);
        b.put("beam", settings.beam);
        b.put("length_alpha", settings.lengthAlpha);
        results.put("beam", b);
        r.put("results", results);
        Map<String, Object> cost = new LinkedHashMap<>();
        cost.put("words", decodingCost.words());
        cost.put("greedy_cached_seconds", round(decodingCost.cachedSeconds(), 3));
        cost.put("greedy_recompute_seconds", round(decodingCost.recomputeSeconds(), 3));
        cost.put("cached_decoder_positions", decodingCost.cachedPositions());
        cost.put("recompute_decoder_positions", decodingCost.recomputePositions());
        cost.put("differing_words", decodingCost.differingWords());
        r.put("decoder_cache", cost);
        r.put("wall_seconds", round(wallSeconds, 3));
        List<Object> ex = new ArrayList<>();
        for (int i = 0; i < Math.min(settings.examples, greedy.predictions().size()); i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("word", greedy.predictions().get(i).word().spelling());
            e.put("references", greedy.predictions().get(i).word().pronunciations().stream().map(p -> (Object) String.join(" ", p)).toList());
            e.put("greedy", String.join(" ", greedy.predictions().get(i).phones()));
            e.put("beam", String.join(" ", beamRes.predictions().get(i).phones()));
            ex.add(e);
        }
        r.put("examples", ex);
        return r;
    }

    static String predictionsTsv(G2pEvaluation.Result greedy, G2pEvaluation.Result beamRes) {
        StringBuilder sb = new StringBuilder("word\treferences\tgreedy\tgreedy_edits\tbeam\tbeam_edits\n");
        for (int i = 0; i < greedy.predictions().size(); i++) {
            G2pEvaluation.Prediction g = greedy.predictions().get(i);
            G2pEvaluation.Prediction b = beamRes.predictions().get(i);
            sb.append(g.word().spelling()).append('\t')
                    .append(String.join(" / ", g.word().pronunciations().stream().map(p -> String.join(" ", p)).toList())).append('\t')
                    .append(String.join(" ", g.phones())).append('\t').append(g.score().edits()).append('\t')
                    .append(String.join(" ", b.phones())).append('\t').append(b.score().edits()).append('\n');
        }
        return sb.toString();
    }

    static Map<String, Object> configJson(EncoderDecoder.Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("src_vocab", c.srcVocab());
        m.put("tgt_vocab", c.tgtVocab());
        m.put("max_len", c.maxLen());
        m.put("width", c.dModel());
        m.put("heads", c.nHeads());
        m.put("mlp", c.dFeedForward());
        m.put("encoder_layers", c.encoderLayers());
        m.put("decoder_layers", c.decoderLayers());
        m.put("dropout", c.dropout());
        m.put("pad_id", c.padId());
        return m;
    }

    /** The held-out scores of both decodings, what the decoder cache saved, and the first {@code examples} test words. */
    static void print(PrintWriter out, Cmudict.Split split, G2pEvaluation.Result greedy, G2pEvaluation.Result beam,
            G2pEvaluation.DecodingCost cost, int examples) {
        out.printf(Locale.ROOT, "held-out %d words (scored against the closest of their pronunciations):%n", split.test().size());
        for (G2pEvaluation.Result res : List.of(greedy, beam)) {
            out.printf(Locale.ROOT, "  %-7s  PER %6.2f%%  WER %6.2f%%  BLEU %6.2f  (%s; %.1f s, %.0f words/s)%n", res.method(),
                    100 * res.phonemeErrorRate(), 100 * res.wordErrorRate(), res.bleu().score(), res.bleu(), res.seconds(),
                    split.test().size() / res.seconds());
        }
        if (cost.words() > 0) {
            out.printf(Locale.ROOT, "  decoder cache: greedy on %d words takes %.2f s cached, %.2f s recomputing every prefix"
                + " (%.1fx; %d vs %d decoder positions); outputs differ on %d words%n", cost.words(), cost.cachedSeconds(),
                cost.recomputeSeconds(), cost.recomputeSeconds() / cost.cachedSeconds(), cost.cachedPositions(),
                cost.recomputePositions(), cost.differingWords());
        }
        if (examples > 0) {
            out.println("examples (word: reference | greedy | beam):");
            for (int i = 0; i < Math.min(examples, split.test().size()); i++) {
                G2pEvaluation.Prediction gp = greedy.predictions().get(i);
                G2pEvaluation.Prediction bp = beam.predictions().get(i);
                out.printf(Locale.ROOT, "  %-16s %s | %s%s | %s%s%n", gp.word().spelling(),
                        String.join(" / ", gp.word().pronunciations().stream().map(p -> String.join(" ", p)).toList()),
                        String.join(" ", gp.phones()), gp.score().exact() ? "" : " (" + gp.score().edits() + ")",
                        String.join(" ", bp.phones()), bp.score().exact() ? "" : " (" + bp.score().edits() + ")");
            }
        }
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
