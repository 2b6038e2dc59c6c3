package ai.djl.quant.training;

import ai.djl.training.tracker.Tracker;

/**
 * The one-cycle learning rate of Smith and Topin, as PyTorch's {@code OneCycleLR} computes it with
 * cosine annealing: from {@code max/div} up to {@code max} over the first {@code warmFraction} of
 * the updates, then down to {@code max/(div·finalDiv)}.
 *
 * <pre>
 * lr(t) = cosAnneal(max/div, max, t / (p·T))                  for t &lt; p·T
 *       = cosAnneal(max, max/(div·finalDiv), (t - p·T) / ((1-p)·T))  otherwise
 * cosAnneal(a, b, u) = b + (a - b)·(1 + cos(π·u))/2
 * </pre>
 */
public final class OneCycleTracker implements Tracker {

    private final float max;
    private final int totalUpdates;
    private final float warmFraction;
    private final float div;
    private final float finalDiv;

    /**
     * Creates the schedule with PyTorch's defaults (30 % warm-up, div 25, final div 10⁴).
     *
     * @param max the peak learning rate
     * @param totalUpdates the number of updates of the whole run
     */
    public OneCycleTracker(float max, int totalUpdates) {
        this(max, totalUpdates, 0.3f, 25f, 1e4f);
    }

    /**
     * Creates the schedule.
     *
     * @param max the peak learning rate
     * @param totalUpdates the number of updates of the whole run
     * @param warmFraction the fraction of updates spent rising
     * @param div the initial learning rate is {@code max / div}
     * @param finalDiv the final learning rate is {@code max / (div · finalDiv)}
     */
    public OneCycleTracker(float max, int totalUpdates, float warmFraction, float div, float finalDiv) {
        if (!(max > 0) || totalUpdates < 1 || !(warmFraction > 0 && warmFraction < 1) || !(div >= 1) || !(finalDiv >= 1)) {
            throw new IllegalArgumentException(String.format(
                    "invalid one-cycle schedule: max %s, %d updates, warm %s, div %s, final div %s", max, totalUpdates, warmFraction, div, finalDiv));
        }
        this.max = max;
        this.totalUpdates = totalUpdates;
        this.warmFraction = warmFraction;
        this.div = div;
        this.finalDiv = finalDiv;
    }

    @Override
    public float getNewValue(int numUpdate) {
        double warm = warmFraction * totalUpdates;
        double t = Math.min(numUpdate, totalUpdates);
        if (t < warm) {
            return (float) anneal(max / div, max, t / warm);
        }
        return (float) anneal(max, max / (div * finalDiv), (t - warm) / (totalUpdates - warm));
    }

    private static double anneal(double from, double to, double progress) {
        return to + (from - to) * (1 + Math.cos(Math.PI * progress)) / 2;
    }
}
