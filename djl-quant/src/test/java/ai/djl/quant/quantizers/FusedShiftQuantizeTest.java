package ai.djl.quant.quantizers;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.quantizers.ShiftQuantizer.Grid;
import ai.djl.quant.quantizers.ShiftQuantizer.Rounding;
import ai.djl.training.GradientCollector;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FusedShiftQuantizeTest {

    @Test
    public void fusedPathsGiveTheChainsValuesAndGradients() {
        Assert.assertTrue(NativeKernels.isLoaded(), "the native library must load here (see NativeKernelsTest)");
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            // 16 output channels of different spreads and centres, 72 weights each
            NDArray w = manager.randomNormal(0, 1, new Shape(16, 8, 3, 3), DataType.FLOAT32)
                    .mul(manager.randomUniform(0.01f, 0.5f, new Shape(16, 1, 1, 1)))
                    .add(manager.randomUniform(-0.05f, 0.05f, new Shape(16, 1, 1, 1)));
            for (Grid grid : Grid.values()) {
                for (Rounding rounding : Rounding.values()) {
                    for (boolean scaling : new boolean[] {true, false}) {
                        for (boolean centered : new boolean[] {true, false}) {
                            QuantizerSpec spec = ShiftQuantizer.spec(grid, grid == Grid.SHIFT ? 3 : 4, rounding, scaling, centered);
                            String what = grid + " " + rounding + (scaling ? " gradient 1" : " gradient λ") + (centered ? " centered" : " uncentered");
                            for (QuantizerRole role : new QuantizerRole[] {QuantizerRole.WEIGHT, QuantizerRole.ACTIVATION}) {
                                QuantizerTesting.Pass chain = QuantizerTesting.withNative(false, () -> pass(spec, role, manager, w));
                                QuantizerTesting.Pass fused = QuantizerTesting.withNative(true, () -> pass(spec, role, manager, w));
                                assertNear(fused.value(), chain.value(), role + " " + what + ", value");
                                assertNear(fused.inputGradient(), chain.inputGradient(), role + " " + what + ", dy/dx");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    public void levelsAreTheExactCeilingAndNearestOfLog2() {
        Assert.assertTrue(NativeKernels.isLoaded());
        try (NDManager manager = NDManager.newBaseManager()) {
            // one channel, uncentered, whose root mean square is exactly 1 (asserted through the
            // gain), so the kernel rounds m = |w/3|: probes on, just below and just above the
            // powers of two (ceiling's thresholds) and √2 times them (nearest's), fillers of 0.5,
            // and two values that bring the mean square to 1
            int n = 128;
            float[] w = new float[n];
            int p = 0;
            for (int k = -8; k <= 0; k++) {
                float t = 3f * (float) Math.scalb(1.0, k);
                float r = 3f * (float) (Math.sqrt(2) * Math.scalb(1.0, k - 1));
                for (float v : new float[] {t, Math.nextUp(t), Math.nextDown(t), r, Math.nextUp(r)}) {
                    w[p] = p % 2 == 0 ? v : -v;
                    p++;
                }
            }
            double squares = 0;
            for (int i = 0; i < n - 2; i++) {
                w[i] = i < p ? w[i] : 0.5f;
                squares += (double) w[i] * w[i];
            }
            double rest = n - squares;
            w[n - 2] = Math.nextDown((float) Math.sqrt(rest));
            w[n - 1] = (float) Math.sqrt(rest - (double) w[n - 2] * w[n - 2]);
            NDArray weights = manager.create(w, new Shape(1, n));
            NDArray sigma0 = manager.create(new float[] {1f}, new Shape(1, 1));
            // gradient scaling at λ = 1, uncentered: y = gain·w, and the filler at index p is 0.5
            NDArray identity = FusedShiftQuantize.weights(weights, sigma0, 1f, FusedShiftQuantize.SCALED, true, false, -7, false);
            Assert.assertEquals(identity.getFloat(0, p), 0.5f, "the test's channel should have a root mean square of exactly 1");
            for (Rounding rounding : Rounding.values()) {
                boolean nearest = rounding == Rounding.NEAREST;
                float[][] outputs = {
                    FusedShiftQuantize.weights(weights, sigma0, 0f, FusedShiftQuantize.HARD, true, nearest, -7, false).toFloatArray(),
                    // the activation operator rounds x̂/3 the same way, with no moments
                    FusedShiftQuantize.activations(weights, 0f, FusedShiftQuantize.HARD, true, nearest, -7).toFloatArray()};
                for (float[] levels : outputs) {
                    for (int i = 0; i < n; i++) {
                        float m = Math.abs(w[i] / 3f);
                        float level = levels[i] / 3f;
                        Assert.assertEquals(Math.copySign(1f, level), Math.copySign(1f, w[i]), "sign of element " + i);
                        Assert.assertEquals(Math.abs(level), expectedLevel(m, nearest, -7), rounding + ": m = " + m + " (element " + i + ")");
                    }
                }
            }
        }
    }

    @Test
    public void gradientScalingWritesTheBlendOverTheNormalisedInput() {
        Assert.assertTrue(NativeKernels.isLoaded());
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(11);
            NDArray x = manager.randomNormal(0, 1.5f, new Shape(4, 3, 5, 5), DataType.FLOAT32);
            for (Grid grid : Grid.values()) {
                for (boolean nearest : new boolean[] {true, false}) {
                    float bound = grid == Grid.SHIFT ? -3 : 7;
                    String what = grid + (nearest ? " nearest" : " ceiling");
                    NDArray levels = FusedShiftQuantize.activations(x.duplicate(), 0f, FusedShiftQuantize.HARD, grid == Grid.SHIFT, nearest,
                            bound);
                    Assert.assertNotNull(levels, what);
                    // λx̂ + (1-λ)q as x̂ + (1-λ)(q - x̂), the PyTorch chain's order of operations
                    NDArray expected = levels.sub(x).mul(1f - 0.3f).add(x);
                    try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                        NDArray xhat = x.duplicate();
                        xhat.setRequiresGradient(true);
                        NDArray fresh = xhat.mul(1f); // a graph tensor that no backward function saved, as BatchNorm's output
                        NDArray y = FusedShiftQuantize.activations(fresh, 0.3f, FusedShiftQuantize.SCALED, grid == Grid.SHIFT, nearest,
                                bound);
                        Assert.assertEquals(fresh.toFloatArray(), y.toFloatArray(), what + ": the input is overwritten with the output");
                        Assert.assertEquals(y.toFloatArray(), expected.toFloatArray(), what + ": λx̂ + (1-λ)q, bit for bit");
                        Assert.assertNotEquals(y.toFloatArray(), x.toFloatArray(), what + ": the levels moved the values");
                        collector.backward(y.mul(manager.arange(1f, 301f).reshape(x.getShape())));
                        Assert.assertEquals(xhat.getGradient().toFloatArray(), manager.arange(1f, 301f).toFloatArray(),
                                what + ": dy/dx̂ = 1");
                    }
                }
            }
        }
    }

    @Test
    public void wrongScaleCountAndModeAreRefusedByName() {
        Assert.assertTrue(NativeKernels.isLoaded());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.ones(new Shape(4, 3));
            EngineException scales = Assert.expectThrows(EngineException.class,
                    () -> FusedShiftQuantize.weights(w, manager.ones(new Shape(3, 1)), 0.5f, FusedShiftQuantize.SCALED, true, false, -3, true)
                            .toFloatArray());
            Assert.assertTrue(scales.getMessage().contains("shift_weight") && scales.getMessage().contains("3 scales"), scales.getMessage());
            EngineException mode = Assert.expectThrows(EngineException.class,
                    () -> FusedShiftQuantize.weights(w, manager.ones(new Shape(4, 1)), 0.5f, 7, true, false, -3, true).toFloatArray());
            Assert.assertTrue(mode.getMessage().contains("shift_weight") && mode.getMessage().contains("mode"), mode.getMessage());
            EngineException levels = Assert.expectThrows(EngineException.class,
                    () -> FusedShiftQuantize.activations(w, 0.5f, 3, true, false, -3).toFloatArray());
            Assert.assertTrue(levels.getMessage().contains("shift_levels") && levels.getMessage().contains("mode"), levels.getMessage());
        }
    }

    /** The definition: 2^k with 2^(k-1) < m ≤ 2^k (ceiling), or 2^(k-½) < m < 2^(k+½) (nearest), k clamped to [bound, 0]. */
    private static float expectedLevel(float m, boolean nearest, int bound) {
        for (int k = 0; k > bound; k--) {
            double below = nearest ? Math.scalb(1.0, 2 * k - 1) : Math.scalb(1.0, 2 * (k - 1));
            // compare squares in double, exact for a float m: √2 is never a tie
            if ((double) m * m > below) {
                return (float) Math.scalb(1.0, k);
            }
        }
        return (float) Math.scalb(1.0, bound);
    }

    private static QuantizerTesting.Pass pass(QuantizerSpec spec, QuantizerRole role, NDManager manager, NDArray w0) {
        ShiftQuantizer q = (ShiftQuantizer) spec.create(role);
        NDArray w = w0.duplicate();
        QuantizerTesting.init(q, manager, w, null);
        q.setLambda(0.3f);
        return QuantizerTesting.run(q, manager, w, null);
    }

    private static void assertNear(float[] actual, float[] expected, String what) {
        Assert.assertEquals(actual.length, expected.length, what);
        for (int i = 0; i < actual.length; i++) {
            Assert.assertEquals(actual[i], expected[i], 2e-6f + 1e-5f * Math.abs(expected[i]), what + ", element " + i);
        }
    }
}
