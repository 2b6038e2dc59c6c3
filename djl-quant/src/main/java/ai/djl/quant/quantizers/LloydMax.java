package ai.djl.quant.quantizers;

import java.util.Arrays;

/**
 * Lloyd-Max (1-D k-means) quantizer design: the levels that minimise the mean squared error of
 * nearest-level quantization of a sample, found by alternating nearest assignment and centroid
 * updates from quantile initialisation.
 *
 * <p>Works on a sorted copy with prefix sums, so each iteration costs {@code O(k log n)}.
 */
public final class LloydMax {

    private LloydMax() {}

    /**
     * Designs {@code k} levels for the sample.
     *
     * @param sample the values (not modified)
     * @param k the number of levels
     * @param iterations the maximum number of iterations
     * @return the sorted levels
     */
    public static float[] levels(float[] sample, int k, int iterations) {
        if (sample.length == 0) {
            throw new IllegalArgumentException("Lloyd-Max needs a non-empty sample");
        }
        float[] x = sample.clone();
        Arrays.sort(x);
        double[] prefix = new double[x.length + 1];
        for (int i = 0; i < x.length; i++) {
            prefix[i + 1] = prefix[i] + x[i];
        }
        double[] levels = new double[k];
        for (int j = 0; j < k; j++) {
            levels[j] = x[(int) Math.min(x.length - 1, (long) ((j + 0.5) / k * x.length))];
        }
        for (int it = 0; it < iterations; it++) {
            boolean changed = false;
            int start = 0;
            for (int j = 0; j < k; j++) {
                int end = j == k - 1 ? x.length : upperBound(x, (float) ((levels[j] + levels[j + 1]) / 2));
                end = Math.max(end, start);
                if (end > start) {
                    double centroid = (prefix[end] - prefix[start]) / (end - start);
                    changed |= Math.abs(centroid - levels[j]) > 1e-12;
                    levels[j] = centroid;
                }
                start = end;
            }
            Arrays.sort(levels);
            if (!changed) {
                break;
            }
        }
        float[] out = new float[k];
        for (int j = 0; j < k; j++) {
            out[j] = (float) levels[j];
        }
        return out;
    }

    /**
     * Returns the mean squared error of nearest-level quantization.
     *
     * @param sample the values
     * @param levels the sorted levels
     * @return the MSE
     */
    public static double meanSquaredError(float[] sample, float[] levels) {
        double sum = 0;
        for (float v : sample) {
            int i = Arrays.binarySearch(levels, v);
            if (i >= 0) {
                continue;
            }
            int hi = -i - 1;
            double best = Double.MAX_VALUE;
            if (hi < levels.length) {
                best = levels[hi] - v;
            }
            if (hi > 0) {
                best = Math.min(best, v - levels[hi - 1]);
            }
            sum += best * best;
        }
        return sum / sample.length;
    }

    private static int upperBound(float[] sorted, float value) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
