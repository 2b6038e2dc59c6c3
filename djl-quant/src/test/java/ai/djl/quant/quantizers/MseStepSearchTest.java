package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.testng.Assert;
import org.testng.annotations.Test;

public class MseStepSearchTest {

    @Test
    public void findsTheStepThatPutsEveryValueOnALevel() {
        NHotLevels levels = new NHotLevels(8, 2, true);
        // row 0: n-hot levels times 0.25, the largest magnitude (127) included; row 1 the same times 2;
        // row 2 zeros
        int[] codes = {-127, -96, -17, -3, 0, 1, 5, 24, 40, 127};
        float[] values = new float[3 * codes.length];
        for (int i = 0; i < codes.length; i++) {
            values[i] = 0.25f * codes[i];
            values[codes.length + i] = 0.5f * codes[i];
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(values, new Shape(3, codes.length));
            float[] steps = MseStepSearch.search(x, levels, true);
            Assert.assertEquals(steps, new float[] {0.25f, 0.5f, 1f}, 1e-6f);
            // one step for the whole tensor: the second row's, which loses least on the first
            Assert.assertEquals(MseStepSearch.search(x, levels, false).length, 1);
            Assert.assertEquals(x.toFloatArray(), values); // not modified
        }
    }

    @Test
    public void tradesClippingAgainstResolutionAsABruteForceSearchDoes() {
        // uniform 3-bit unsigned levels 0..7; one outlier: the best step clips it
        UniformLevels levels = new UniformLevels(0, 7);
        float[] v = {0.1f, 0.2f, 0.3f, 0.35f, 0.5f, 0.6f, 0.7f, 4f};
        try (NDManager manager = NDManager.newBaseManager()) {
            float found = MseStepSearch.search(manager.create(v), levels, false)[0];
            double bestError = Double.MAX_VALUE;
            float best = 0;
            for (int k = 1; k <= MseStepSearch.CANDIDATES; k++) {
                float step = 4f * k / (7 * MseStepSearch.CANDIDATES);
                double error = 0;
                for (float f : v) {
                    double q = Math.rint(Math.max(0, Math.min(7, f / step))) * step;
                    error += (f - q) * (f - q);
                }
                if (error < bestError) {
                    bestError = error;
                    best = step;
                }
            }
            Assert.assertEquals(found, best, 1e-6f);
            Assert.assertTrue(found * 7 < 4f, "the outlier is clipped: " + found);
        }
    }
}
