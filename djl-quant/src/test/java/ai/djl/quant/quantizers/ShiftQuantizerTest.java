package ai.djl.quant.quantizers;

import static ai.djl.quant.quantizers.QuantizerTesting.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.quantizers.ShiftQuantizer.Rounding;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ShiftQuantizerTest {

    @Test
    public void gridKernelGivesTheSameBitsAsTheDjlChain() {
        Assert.assertTrue(ShiftQuantizer.gridKernelAvailable(), "the TorchScript grid kernel does not load");
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(11);
            float[] special = {0f, -0f, 1f, -1f, 0.5f, -0.25f, 0.125f, 1f / 128, 0.375f, 0.75f, 3f, -5f, 1e-30f, 0.3333333f, 1f / 3, 2.1f};
            NDArray x = manager.randomNormal(new Shape(4000)).mul(0.6f).concat(manager.create(special));
            NDArray clip = manager.create(0.7f); // weights: x / clip, levels times 3·sigma0
            NDArray third = manager.create(1f / 3); // activations: x · 1/3, levels times 3
            NDArray three = manager.create(3f);
            NDArray perChannel = manager.create(new float[] {0.4f, 2.5f}, new Shape(2, 1));
            NDArray rows = x.reshape(2, -1);
            for (ShiftQuantizer.Grid grid : ShiftQuantizer.Grid.values()) {
                for (Rounding rounding : Rounding.values()) {
                    for (int bits = 1; bits <= 4; bits++) {
                        if (grid == ShiftQuantizer.Grid.UNIFORM && bits < 2) {
                            continue;
                        }
                        String what = grid + " " + bits + " bits " + rounding;
                        Assert.assertEquals(ShiftQuantizer.scaledLevels(x, clip, true, three, grid, bits, rounding).toFloatArray(),
                                ShiftQuantizer.scaledLevelsWithDjl(x, clip, true, three, grid, bits, rounding).toFloatArray(), what);
                        Assert.assertEquals(ShiftQuantizer.scaledLevels(x, third, false, three, grid, bits, rounding).toFloatArray(),
                                ShiftQuantizer.scaledLevelsWithDjl(x, third, false, three, grid, bits, rounding).toFloatArray(), what);
                        Assert.assertEquals(
                                ShiftQuantizer.scaledLevels(rows, perChannel, true, perChannel, grid, bits, rounding).toFloatArray(),
                                ShiftQuantizer.scaledLevelsWithDjl(rows, perChannel, true, perChannel, grid, bits, rounding).toFloatArray(),
                                what + " per channel");
                    }
                }
            }
            // the sign bit decides: +0 and -0 go to opposite smallest levels
            float[] zeros = ShiftQuantizer.shiftLevels(manager.create(new float[] {0f, -0f}), 2, Rounding.CEIL).toFloatArray();
            Assert.assertEquals(zeros, new float[] {0.125f, -0.125f});
        }
    }

    @Test
    public void shiftGridCeilingRounding() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // s=2: ±{1, 1/2, 1/4, 1/8}; 0 -> +1/8 (no zero level), exact powers stay, just above a
            // power rounds up, beyond range clips to ±1, below 1/8 goes to 1/8
            NDArray x = manager.create(new float[] {0f, 0.5f, 0.25f, 0.126f, 0.26f, 0.51f, 1f, 3f, -0.3f, 0.01f, -0.01f});
            NDArray q = ShiftQuantizer.shiftLevels(x, 2, Rounding.CEIL);
            assertClose(q.toFloatArray(), new float[] {0.125f, 0.5f, 0.25f, 0.25f, 0.5f, 1f, 1f, 1f, -0.5f, 0.125f, -0.125f});
        }
    }

    @Test
    public void shiftGridNearestInLogDomainAndBinary() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // threshold between 1/2 and 1 in the log domain is 2^-0.5 = 0.7071
            NDArray x = manager.create(new float[] {0.70f, 0.71f, 0.3f, 0.6f});
            assertClose(
                    ShiftQuantizer.shiftLevels(x, 2, Rounding.NEAREST).toFloatArray(),
                    new float[] {0.5f, 1f, 0.25f, 0.5f});
            NDArray b = manager.create(new float[] {0f, -0.2f, 5f});
            assertClose(ShiftQuantizer.shiftLevels(b, 0, Rounding.CEIL).toFloatArray(), new float[] {1f, -1f, 1f});
        }
    }

    @Test
    public void uniformGrid() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // q=3: ±{1/4, 2/4, 3/4, 1}
            NDArray x = manager.create(new float[] {0f, 0.25f, 0.26f, 0.74f, -2f, 0.1f});
            assertClose(
                    ShiftQuantizer.uniformLevels(x, 3, Rounding.CEIL).toFloatArray(),
                    new float[] {0.25f, 0.25f, 0.5f, 0.75f, -1f, 0.25f});
            assertClose(
                    ShiftQuantizer.uniformLevels(x, 3, Rounding.NEAREST).toFloatArray(),
                    new float[] {0.25f, 0.25f, 0.25f, 0.75f, -1f, 0.25f});
        }
    }

    @Test
    public void blendValueAndGradientWithAndWithoutScaling() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] values = {0.3f, -0.6f, 0.9f};
            float lambda = 0.25f;
            for (boolean scaling : new boolean[] {true, false}) {
                NDArray x = manager.create(values);
                x.setRequiresGradient(true);
                try (ai.djl.training.GradientCollector gc = manager.getEngine().newGradientCollector()) {
                    NDArray q = ShiftQuantizer.shiftLevels(x.stopGradient(), 2, Rounding.CEIL);
                    NDArray y = ShiftQuantizer.blend(x, q, lambda, scaling);
                    gc.backward(y.sum());
                    float[] expected = new float[3];
                    float[] levels = q.toFloatArray();
                    for (int i = 0; i < 3; i++) {
                        expected[i] = lambda * values[i] + (1 - lambda) * levels[i];
                    }
                    assertClose(y.toFloatArray(), expected);
                    float g = scaling ? 1f : lambda;
                    assertClose(x.getGradient().toFloatArray(), new float[] {g, g, g});
                }
            }
        }
    }

    @Test
    public void weightGradientIsSigma0OverSigma() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ShiftQuantizer q = (ShiftQuantizer) ShiftQuantizer.shiftSpec(2).create(QuantizerRole.WEIGHT);
            NDArray w = manager.create(new float[] {1f, -1f, 2f, 0f, 0.5f, 0.1f, -0.3f, 0.2f}, new Shape(2, 4));
            QuantizerTesting.init(q, manager, w, "sigma0", 1f, 2f);
            q.setLambda(0.5f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, w, null);
            float[] g = pass.inputGradient();
            double[] sigma = {std(1f, -1f, 2f, 0f), std(0.5f, 0.1f, -0.3f, 0.2f)};
            for (int i = 0; i < 8; i++) {
                double sigma0 = i < 4 ? 1 : 2;
                Assert.assertEquals(g[i], sigma0 / sigma[i / 4], 1e-5, "element " + i);
            }
            // hard mode: 3σ0 times a level of the shift grid
            q.setDeployMode(true);
            NDArray hard = q.quantize(new ai.djl.training.ParameterStore(manager, false), w, false);
            float[] h = hard.toFloatArray();
            for (int i = 0; i < 8; i++) {
                double level = Math.abs(h[i]) / (3 * (i < 4 ? 1 : 2));
                double e = Math.log(level) / Math.log(2);
                Assert.assertEquals(e, Math.rint(e), 1e-5, "element " + i + " = " + h[i]);
                Assert.assertTrue(e <= 0 && e >= -3, "exponent " + e);
            }
        }
    }

    @Test
    public void shiftAddsCountTheSignedDigitsOfTheUniformInteger() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // nine spread weights and 23 zeros: standardised by 3σ they reach every uniform cell
            float[] values = new float[32];
            System.arraycopy(new float[] {0.06f, -0.12f, 0.2f, -0.27f, 0.35f, -0.42f, 0.52f, -0.56f, 0.7f}, 0, values, 0, 9);
            NDArray w = manager.create(values, new Shape(1, 32));
            ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(manager, false);
            // multiplications by k = 1 … 8 take 1, 1, 2, 1, 2, 2, 2, 1 shift-adds (3 = 4 - 1, 7 = 8 - 1)
            int[] byK = {0, 1, 1, 2, 1, 2, 2, 2, 1};
            for (int q = 2; q <= 4; q++) {
                ShiftQuantizer uniform = (ShiftQuantizer) ShiftQuantizer.uniformSpec(q).create(QuantizerRole.WEIGHT);
                QuantizerTesting.init(uniform, manager, w, "sigma0", 0.5f);
                uniform.setDeployMode(true);
                float[] h = uniform.quantize(ps, w, false).toFloatArray();
                float[] digits = uniform.nonZeroDigits(ps, w).toFloatArray();
                java.util.Set<Integer> seen = new java.util.TreeSet<>();
                for (int i = 0; i < h.length; i++) {
                    int k = Math.round(Math.abs(h[i]) / 1.5f * (1 << (q - 1)));
                    seen.add(k);
                    Assert.assertEquals(digits[i], byK[k], 0f, "q=" + q + ", weight " + i + " on level " + k);
                }
                Assert.assertEquals(seen.size(), 1 << (q - 1), "q=" + q + ": every level used " + seen);
            }
            ShiftQuantizer shift = (ShiftQuantizer) ShiftQuantizer.shiftSpec(2).create(QuantizerRole.WEIGHT);
            QuantizerTesting.init(shift, manager, w, "sigma0", 0.5f);
            float[] ones = new float[32];
            java.util.Arrays.fill(ones, 1f);
            assertClose(shift.nonZeroDigits(ps, w).toFloatArray(), ones);
        }
    }

    @Test
    public void calibrationCapturesThePretrainedStd() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ShiftQuantizer q = (ShiftQuantizer) ShiftQuantizer.shiftSpec(2).create(QuantizerRole.WEIGHT);
            NDArray w = manager.create(new float[] {1f, -1f, 2f, 0f}, new Shape(1, 4));
            q.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, w.getShape());
            q.calibrateFrom(w);
            Assert.assertEquals(q.getDirectParameters().get("sigma0").getArray().getFloat(0, 0), std(1f, -1f, 2f, 0f), 1e-6);
            Assert.assertFalse(q.getDirectParameters().get("sigma0").requiresGradient());
        }
    }

    @Test
    public void uncenteredWeightsKeepTheKernelMean() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // an all-positive (low-pass) kernel: centering would make its levels half negative
            NDArray w = manager.create(new float[] {0.4f, 0.5f, 0.6f, 0.5f}, new Shape(1, 4));
            ShiftQuantizer centered = (ShiftQuantizer) ShiftQuantizer.shiftSpec(2, true).create(QuantizerRole.WEIGHT);
            ShiftQuantizer uncentered = (ShiftQuantizer) ShiftQuantizer.shiftSpec(2, false).create(QuantizerRole.WEIGHT);
            for (ShiftQuantizer q : new ShiftQuantizer[] {centered, uncentered}) {
                q.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, w.getShape());
                q.calibrateFrom(w);
            }
            float rms = (float) Math.sqrt((0.16 + 0.25 + 0.36 + 0.25) / 4);
            Assert.assertEquals(uncentered.getDirectParameters().get("sigma0").getArray().getFloat(0, 0), rms, 1e-6);
            // λ = 1 is the identity on the calibration weights: the mean survives uncentered only
            ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(manager, false);
            assertClose(uncentered.quantize(ps, w, false).toFloatArray(), w.toFloatArray());
            float[] zeroMean = centered.quantize(ps, w, false).toFloatArray();
            Assert.assertEquals(zeroMean[0] + zeroMean[1] + zeroMean[2] + zeroMean[3], 0f, 1e-5);
            // hard: every weight 3ρ0·2^-k with k in 0..3, all positive
            uncentered.setDeployMode(true);
            float[] h = uncentered.quantize(ps, w, false).toFloatArray();
            // 0.4/(3ρ) = 0.26 -> 1/2 (ceiling), 0.5/(3ρ) = 0.33 -> 1/2, 0.6/(3ρ) = 0.39 -> 1/2
            assertClose(h, new float[] {1.5f * rms, 1.5f * rms, 1.5f * rms, 1.5f * rms});
            Assert.assertTrue(uncentered.describe().contains("uncentered"), uncentered.describe());
            Assert.assertFalse(centered.describe().contains("uncentered"), centered.describe());
        }
    }

    @Test
    public void badSettings() {
        Assert.expectThrows(IllegalArgumentException.class, () -> ShiftQuantizer.shiftSpec(5).create(QuantizerRole.WEIGHT));
        Assert.expectThrows(IllegalArgumentException.class, () -> ShiftQuantizer.shiftSpec(-1));
        ShiftQuantizer q = ShiftQuantizer.builder().setBits(3).build();
        Assert.expectThrows(IllegalArgumentException.class, () -> q.setLambda(1.5f));
        Assert.expectThrows(IllegalArgumentException.class, () -> q.setLambda(Float.NaN));
    }

    private static float std(float... v) {
        double mean = 0;
        for (float x : v) {
            mean += x;
        }
        mean /= v.length;
        double ss = 0;
        for (float x : v) {
            ss += (x - mean) * (x - mean);
        }
        return (float) Math.sqrt(ss / (v.length - 1));
    }
}
