package dev.kiln.apps.eval;

import dev.kiln.apps.train.TrainedModels;
import dev.kiln.autograd.NoGrad;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.eval.metrics.LanguageModelMetrics;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code kiln eval} of a {@code kiln train gpt} run on the Brown validation documents: the text is
 * cut into consecutive non-overlapping windows of the model's context (each predicts its tokens
 * 1..T from 0..T-1), so every scored token is counted once.
 */
final class LanguageModelEvaluation {
    static final int WORST = 5;
    static final int DEFAULT_WINDOWS = 200;

    private LanguageModelEvaluation() {}

    /** Per window: its target ids and each target's NLL (nats). */
    record Outputs(List<long[]> targets, List<double[]> nll) {}

    static Outputs predict(Gpt model, long[] tokens, int context, int maxWindows) {
        List<long[]> targets = new ArrayList<>();
        List<double[]> nll = new ArrayList<>();
        int vocab = model.config.vocabSize();
        model.eval();
        try (NoGrad _ = NoGrad.enter()) {
            for (int start = 0; start + context + 1 <= tokens.length && targets.size() < maxWindows; start += context) {
                long[] x = Arrays.copyOfRange(tokens, start, start + context);
                long[] y = Arrays.copyOfRange(tokens, start + 1, start + context + 1);
                try (TensorScope _ = TensorScope.open()) {
                    float[] logits = model.forward(Tensor.fromArray(x, 1, context)).value().toFloatArray();
                    int[] yi = Arrays.stream(y).mapToInt(Math::toIntExact).toArray();
                    nll.add(LanguageModelMetrics.tokenNll(logits, vocab, yi));
                    targets.add(y);
                }
            }
        }
        return new Outputs(targets, nll);
    }

    @SuppressWarnings("unchecked")
    static Report evaluate(RunFiles run, Path dataDir, int limit) throws IOException {
        run.requireModel();
        String configText = run.metadata().get("config");
        if (configText == null || !(JsonFiles.parse(configText, run.model() + " metadata config") instanceof Map<?, ?> cfg)) {
            throw new IOException(run.model() + ": checkpoint metadata has no \"config\" object (not a kiln train gpt checkpoint?)");
        }
        Gpt model = TrainedModels.gpt((Map<String, Object>) cfg);
        TrainedModels.load(run.model(), model);
        TextTokenizer tokens = TrainedModels.gptTokens(run.dir(), run.metadata());
        int limitDocs = run.config().get("limit-docs") instanceof Number n ? n.intValue() : 0;
        String text = TrainedModels.brownValidationText(dataDir, limitDocs);
        long[] ids = tokens.encode(text);
        int context = model.config.maxSeqLen();
        if (ids.length < context + 1) {
            throw new IOException("kiln eval: the validation text has " + ids.length + " tokens, fewer than a window of "
                    + (context + 1));
        }
        return report(predict(model, ids, context, limit > 0 ? limit : DEFAULT_WINDOWS), tokens, run);
    }

    static Report report(Outputs o, TextTokenizer tokens, RunFiles run) {
        int windows = o.targets().size();
        double[] all = o.nll().stream().flatMapToDouble(Arrays::stream).toArray();
        long characters = 0;
        for (long[] t : o.targets()) {
            characters += tokens.decode(t).length();
        }
        double total = Arrays.stream(all).sum();
        Report r = new Report("kiln eval: " + run.metadata().getOrDefault("model", "gpt") + ", " + windows
                + " validation windows");
        r.metric("app", "gpt").metric("windows", windows).metric("tokens", all.length).metric("characters", characters)
                .metric("nll_per_token", LanguageModelMetrics.meanNll(all))
                .metric("perplexity", LanguageModelMetrics.perplexity(all))
                .metric("bits_per_character", LanguageModelMetrics.bitsPerCharacter(total, characters));
        Integer[] order = new Integer[windows];
        for (int i = 0; i < windows; i++) {
            order[i] = i;
        }
        double[] meanNll = o.nll().stream().mapToDouble(LanguageModelMetrics::meanNll).toArray();
        Arrays.sort(order, Comparator.comparingDouble(i -> -meanNll[i]));
        List<Report.Block> s = r.section("Error analysis");
        s.add(new Report.Paragraph("Worst-predicted passages (highest mean NLL per token), as the model saw them:"));
        for (int k = 0; k < Math.min(WORST, windows); k++) {
            int i = order[k];
            s.add(new Report.Paragraph(String.format(java.util.Locale.ROOT, "window %d: mean NLL %.4f nats/token", i, meanNll[i])));
            s.add(new Report.Preformatted(tokens.decode(o.targets().get(i))));
        }
        return r;
    }
}
