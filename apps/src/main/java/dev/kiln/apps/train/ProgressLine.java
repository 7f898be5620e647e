package dev.kiln.apps.train;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Training progress: step, epoch, loss, learning rate, throughput, model-FLOPs utilisation and
 * ETA. On a terminal ({@link #live}) one line, led by a progress bar and percent, is redrawn in
 * place at most every 200 ms; otherwise
 * (a pipe, a file, a CI log) a plain line is printed every {@code logEvery} steps and at the last
 * step. The loss and throughput shown are averages over the steps since the previous line.
 *
 * <p>Not thread-safe: one training loop calls it.
 */
public final class ProgressLine {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int BAR_CELLS = 20;

    private final PrintWriter out;
    private final boolean live;
    private final int logEvery;
    private final long totalSteps;
    private final int epochs;
    private final String unit;
    private final double flopsPerUnit;
    private final double peakFlops;
    private final LongSupplier clock;
    private final long start;

    private long lastPrint;
    private long unitsSincePrint;
    private double lossSum;
    private int lossCount;
    private boolean lineShown;

    /**
     * @param live redraw one line in place (a terminal) instead of printing log lines
     * @param logEvery steps between log lines when not live, {@code >= 1}
     * @param totalSteps steps of the whole run, for the ETA
     * @param epochs epochs of the whole run, for display
     * @param unit what a step processes, plural ("images")
     * @param flopsPerUnit model FLOPs per unit (forward and backward), 0 to leave MFU out
     * @param peakFlops the machine's peak FLOP/s for the threads in use, 0 to leave MFU out
     */
    public ProgressLine(PrintWriter out, boolean live, int logEvery, long totalSteps, int epochs, String unit,
            double flopsPerUnit, double peakFlops) {
        this(out, live, logEvery, totalSteps, epochs, unit, flopsPerUnit, peakFlops, System::nanoTime);
    }

    ProgressLine(PrintWriter out, boolean live, int logEvery, long totalSteps, int epochs, String unit,
            double flopsPerUnit, double peakFlops, LongSupplier clock) {
        if (logEvery < 1) {
            throw new IllegalArgumentException("ProgressLine: logEvery must be >= 1, got " + logEvery);
        }
        this.out = out;
        this.live = live;
        this.logEvery = logEvery;
        this.totalSteps = totalSteps;
        this.epochs = epochs;
        this.unit = unit;
        this.flopsPerUnit = flopsPerUnit;
        this.peakFlops = peakFlops;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.lastPrint = start;
    }

    /** True when standard output is an interactive terminal (not redirected to a file or pipe). */
    public static boolean stdoutIsTerminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    /**
     * Reports step {@code step} (1-based count of steps done) of epoch {@code epoch} (0-based),
     * which processed {@code units} units with loss {@code loss} at learning rate {@code lr}.
     */
    public void step(long step, int epoch, double loss, double lr, int units) {
        unitsSincePrint += units;
        lossSum += loss;
        lossCount++;
        long now = clock.getAsLong();
        boolean due = live ? now - lastPrint >= REDRAW_NANOS || step == totalSteps
                : step % logEvery == 0 || step == totalSteps;
        if (!due) {
            return;
        }
        double seconds = Math.max(1e-9, (now - lastPrint) / 1e9);
        double rate = unitsSincePrint / seconds;
        String line = format(step, epoch, lossSum / lossCount, lr, rate, (now - start) / 1e9);
        if (live) {
            out.print("\r" + bar(step, totalSteps) + " " + line + "\u001b[K");
            lineShown = true;
        } else {
            out.println(line);
        }
        out.flush();
        lastPrint = now;
        unitsSincePrint = 0;
        lossSum = 0;
        lossCount = 0;
    }

    /** Prints {@code message} on its own line, below the live line when there is one. */
    public void println(String message) {
        if (lineShown) {
            out.println();
            lineShown = false;
        }
        out.println(message);
        out.flush();
    }

    /** Ends the live line (if any) so the next output starts on a fresh line. */
    public void finish() {
        if (lineShown) {
            out.println();
            out.flush();
            lineShown = false;
        }
    }

    String format(long step, int epoch, double loss, double lr, double rate, double elapsedSeconds) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "step %d/%d | epoch %d/%d | loss %.4f | lr %.2e | %.0f %s/s",
                step, totalSteps, epoch + 1, epochs, loss, lr, rate, unit));
        if (flopsPerUnit > 0 && peakFlops > 0) {
            sb.append(String.format(Locale.ROOT, " | MFU %.1f%%", 100 * rate * flopsPerUnit / peakFlops));
        }
        double eta = step >= totalSteps ? 0 : elapsedSeconds / step * (totalSteps - step);
        sb.append(" | ").append(step >= totalSteps ? "elapsed " + duration(elapsedSeconds) : "ETA " + duration(eta));
        return sb.toString();
    }

    /** {@code [######              ]  30%}: the live line's progress bar, 20 cells, percent rounded down. */
    static String bar(long step, long total) {
        long done = total <= 0 ? 0 : Math.min(step, total);
        int percent = total <= 0 ? 0 : (int) (100 * done / total);
        int cells = total <= 0 ? 0 : (int) (BAR_CELLS * done / total);
        return "[" + "#".repeat(cells) + " ".repeat(BAR_CELLS - cells) + "] " + String.format(Locale.ROOT, "%3d%%", percent);
    }

    /** {@code 4m05s}, {@code 1h02m}, {@code 12s}. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
