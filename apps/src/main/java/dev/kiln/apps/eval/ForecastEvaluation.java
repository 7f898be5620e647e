package dev.kiln.apps.eval;

import dev.kiln.apps.train.HourlySeries;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.data.Dataset;
import dev.kiln.eval.metrics.RegressionMetrics;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** {@code kiln eval} of a {@code kiln train rnn} run on the Seattle test windows, against persistence. */
final class ForecastEvaluation {
    static final int WORST = 10;
    /** Hours in forecast.png: a week is long enough to see the daily cycle, short enough to see each hour. */
    static final int PLOT_HOURS = 168;
    private static final int BATCH = 512;

    private ForecastEvaluation() {}

    /** Degrees: the true next hour, the model's forecast and persistence's (the last observed hour), per test window. */
    record Outputs(double[] truth, double[] model, double[] persistence, int firstTargetHour) {}

    static Outputs predict(TrainedModels.HourForecast model, HourlySeries series, int limit) {
        Dataset<Tensor[]> test = series.test();
        int n = limit > 0 ? Math.min(limit, test.size()) : test.size();
        double[] truth = new double[n];
        double[] pred = new double[n];
        double[] persistence = new double[n];
        int w = series.window();
        int from = series.validationEnd();
        for (int start = 0; start < n; start += BATCH) {
            int b = Math.min(BATCH, n - start);
            try (TensorScope _ = TensorScope.open()) {
                Tensor[] windows = new Tensor[b];
                for (int i = 0; i < b; i++) {
                    windows[i] = test.get(start + i)[0].reshape(1, w, 1);
                }
                float[] out = model.predict(Tensor.cat(List.of(windows), 0));
                for (int i = 0; i < b; i++) {
                    int t = from + start + i;
                    truth[start + i] = series.values()[t];
                    persistence[start + i] = series.values()[t - 1];
                    pred[start + i] = out[i] * series.std() + series.mean();
                }
            }
        }
        return new Outputs(truth, pred, persistence, from);
    }

    static Report evaluate(RunFiles run, Path dataDir, int limit) throws IOException {
        run.requireModel();
        int window = run.configInt("window");
        TrainedModels.HourForecast model = TrainedModels.forecaster(run.model(), run.configString("cell"),
                run.configInt("hidden"), run.configInt("layers"));
        HourlySeries series = TrainedModels.hourlySeries(dataDir, window);
        return report(predict(model, series, limit), run);
    }

    static Report report(Outputs o, RunFiles run) throws IOException {
        int n = o.truth().length;
        Report r = new Report("kiln eval: " + run.metadata().getOrDefault("model", "rnn") + " on " + n + " test hours");
        r.metric("app", "rnn").metric("examples", n)
                .metric("mae", RegressionMetrics.meanAbsoluteError(o.truth(), o.model()))
                .metric("rmse", RegressionMetrics.rootMeanSquaredError(o.truth(), o.model()))
                .metric("mape", RegressionMetrics.meanAbsolutePercentageError(o.truth(), o.model()))
                .metric("r2", RegressionMetrics.r2Score(o.truth(), o.model()))
                .metric("persistence_mae", RegressionMetrics.meanAbsoluteError(o.truth(), o.persistence()))
                .metric("persistence_rmse", RegressionMetrics.rootMeanSquaredError(o.truth(), o.persistence()))
                .metric("persistence_mape", RegressionMetrics.meanAbsolutePercentageError(o.truth(), o.persistence()))
                .metric("persistence_r2", RegressionMetrics.r2Score(o.truth(), o.persistence()));
        r.section("Baseline").add(new Report.Paragraph("Persistence forecasts the next hour as the last observed hour;"
                + " errors are in the data's degrees, MAPE is a fraction (sklearn's convention)."));
        if (n > 0) {
            ReportImages.forecastPlot(run.out().resolve("forecast.png"), o.truth(), o.model(), o.persistence(),
                    o.firstTargetHour(), PLOT_HOURS);
            r.section("Forecast").add(new Report.Image("forecast.png", "model and persistence against the actual temperature, first "
                    + Math.min(PLOT_HOURS, n) + (Math.min(PLOT_HOURS, n) == 1 ? " test hour" : " test hours")));
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> -Math.abs(o.model()[i] - o.truth()[i])));
        List<List<String>> rows = new ArrayList<>();
        for (int k = 0; k < Math.min(WORST, n); k++) {
            int i = order[k];
            rows.add(List.of(Integer.toString(o.firstTargetHour() + i), ReportWriter.format(o.truth()[i]),
                    ReportWriter.format(o.model()[i]), ReportWriter.format(o.persistence()[i]),
                    ReportWriter.format(Math.abs(o.model()[i] - o.truth()[i]))));
        }
        r.section("Error analysis").add(new Report.Table(List.of("target hour (row of the series)", "true", "model",
                "persistence", "|error|"), rows));
        return r;
    }
}
