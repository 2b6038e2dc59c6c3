package ai.djl.quant.quantizers;

import static ai.djl.quant.quantizers.QuantizerTesting.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.testng.Assert;
import org.testng.annotations.Test;

public class LsqQuantizerTest {

    // step 0.5, W4 signed: levels -8..7 times 0.5; covers 0, the ±0.5 boundary (a tie: half to
    // even, so ±0.25 -> 0), the range ends exactly and beyond, and an interior level
    private static final float[] X = {0f, 0.24f, 0.25f, 0.26f, -0.25f, 3.5f, 3.6f, -4f, -4.3f, 1f};

    @Test
    public void valuesAtZeroBoundariesAndBeyondRange() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LsqQuantizer q = LsqQuantizer.builder().setBits(4).optPerChannel(false).build();
            NDArray x = manager.create(X);
            QuantizerTesting.init(q, manager, x, "step", 0.5f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, x, "step");
            assertClose(pass.value(), new float[] {0, 0, 0, 0.5f, 0, 3.5f, 3.5f, -4f, -4f, 1f});
        }
    }

    @Test
    public void elementwiseGradientIsStraightThroughInsideAndScaledStepGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(X);
            NDArray step = manager.create(new float[] {0.5f});
            x.setRequiresGradient(true);
            step.setRequiresGradient(true);
            double g = 1 / Math.sqrt(10 * 7);
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                NDArray y = LearnedStepQuantizer.lsq(x, step, new UniformLevels(-8, 7), g);
                gc.backward(y.sum());
            }
            assertClose(x.getGradient().toFloatArray(), new float[] {1, 1, 1, 1, 1, 1, 0, 1, 0, 1});
            // sum over elements of (round(v) - v) inside, Qp / Qn outside, times 1/sqrt(numel*Qp)
            double perElement = -0.48 - 0.5 + 0.48 + 0.5 + 7 - 8;
            Assert.assertEquals(step.getGradient().getFloat(0), perElement * g, 1e-6);
        }
    }

    @Test
    public void fusedKernelDiffersOnlyWithinHalfAStepBeyondTheRange() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LsqQuantizer q = LsqQuantizer.builder().setBits(4).optPerChannel(false).build();
            NDArray x = manager.create(X);
            QuantizerTesting.init(q, manager, x, "step", 0.5f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, x, "step");
            assertClose(pass.value(), new float[] {0, 0, 0, 0.5f, 0, 3.5f, 3.5f, -4f, -4f, 1f});
            // 3.6 = 7.2 steps rounds to 7, the end level: PyTorch's kernel counts it inside
            assertClose(pass.inputGradient(), new float[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 1});
            double perElement = -0.48 - 0.5 + 0.48 + 0.5 + (7 - 7.2) - 8;
            Assert.assertEquals(pass.parameterGradient()[0], perElement / Math.sqrt(10 * 7), 1e-5);
        }
    }

    @Test
    public void perTensorNativeChainMatchesPyTorchsKernel() {
        Assert.assertTrue(NativeKernels.isEnabled(), "the comparison needs the native library");
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            float[] data = manager.randomNormal(new Shape(8, 4, 5, 5)).mul(2).toFloatArray();
            QuantizerTesting.Pass nativeChain = signedActivationPass(manager, data);
            QuantizerTesting.Pass pytorch = QuantizerTesting.withProperty("djl.quant.nativePerTensor", "false",
                    () -> signedActivationPass(manager, data));
            assertClose(nativeChain.value(), pytorch.value());
            Assert.assertEquals(nativeChain.inputGradient(), pytorch.inputGradient());
            Assert.assertEquals(nativeChain.parameterGradient()[0], pytorch.parameterGradient()[0],
                    1e-4 * Math.abs(pytorch.parameterGradient()[0]));
        }
    }

    /** A fresh signed 4-bit per-tensor quantizer (step 0.3) on a fresh tensor, so no gradient accumulates. */
    private static QuantizerTesting.Pass signedActivationPass(NDManager manager, float[] data) {
        LsqQuantizer q = LsqQuantizer.builder().setBits(4).optRole(QuantizerRole.ACTIVATION).optSigned(true).build();
        NDArray x = manager.create(data, new Shape(8, 4, 5, 5));
        QuantizerTesting.init(q, manager, x, "step", 0.3f);
        return QuantizerTesting.run(q, manager, x, "step");
    }

    @Test
    public void perChannelStepsAndUnsignedActivations() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LsqQuantizer w = LsqQuantizer.builder().setBits(2).build();
            NDArray x = manager.create(new float[] {0.4f, -0.9f, 2f, -2f}, new Shape(2, 2));
            QuantizerTesting.init(w, manager, x, "step", 0.5f, 1f);
            // W2 signed: levels -2..1
            assertClose(
                    QuantizerTesting.run(w, manager, x, "step").value(),
                    new float[] {0.5f, -1f, 1f, -2f});

            LsqQuantizer a = LsqQuantizer.builder().setBits(2).optRole(QuantizerRole.ACTIVATION).build();
            NDArray act = manager.create(new float[] {-1f, 0.19f, 0.3f, 5f});
            QuantizerTesting.init(a, manager, act, "step", 0.4f);
            // unsigned 2 bits: levels 0..3
            assertClose(
                    QuantizerTesting.run(a, manager, act, "step").value(),
                    new float[] {0f, 0f, 0.4f, 1.2f});
            Assert.assertFalse(a.isSigned());
            Assert.assertEquals(a.numLevels(), 4);
        }
    }

    @Test
    public void perChannelWeightsGetTheMaskedInputGradientAndEachChannelsStepGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LsqQuantizer w = LsqQuantizer.builder().setBits(4).build();
            // channel 0, step 0.5: 0.26 -> 0.5 inside, 3.6 = 7.2 steps -> 7 (inside: rounds to the
            // end level), -4.3 -> -8 outside; channel 1, step 1: 0.4 -> 0, 9 -> 7 outside, -2.5 -> -2 (tie)
            NDArray x = manager.create(new float[] {0.26f, 3.6f, -4.3f, 0.4f, 9f, -2.5f}, new Shape(2, 3));
            QuantizerTesting.init(w, manager, x, "step", 0.5f, 1f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(w, manager, x, "step");
            assertClose(pass.value(), new float[] {0.5f, 3.5f, -4f, 0f, 7f, -2f});
            assertClose(pass.inputGradient(), new float[] {1, 1, 0, 1, 0, 1});
            double g = 1 / Math.sqrt(3 * 7);
            float[] stepGradient = pass.parameterGradient();
            Assert.assertEquals(stepGradient[0], ((1 - 0.52) + (7 - 7.2) - 8) * g, 1e-5);
            Assert.assertEquals(stepGradient[1], ((0 - 0.4) + 7 + (-2 + 2.5)) * g, 1e-5);
        }
    }

    @Test
    public void calibrationAndHardModeLieOnTheLevelSet() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(3);
            NDArray x = manager.randomNormal(new Shape(4, 8, 3, 3));
            LsqQuantizer q = LsqQuantizer.builder().setBits(3).build();
            q.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, x.getShape());
            q.setDeployMode(true);
            NDArray y = q.quantize(new ai.djl.training.ParameterStore(manager, false), x, false);
            NDArray step = q.getDirectParameters().get("step").getArray();
            NDArray expectedStep = x.abs().reshape(4, -1).mean(new int[] {1}).mul(2 / Math.sqrt(3));
            assertClose(step.toFloatArray(), expectedStep.toFloatArray());
            NDArray codes = y.div(step);
            assertClose(codes.toFloatArray(), codes.round().toFloatArray());
            Assert.assertTrue(codes.max().getFloat() <= 3f && codes.min().getFloat() >= -4f);
        }
    }

    @Test
    public void aStepPushedThroughZeroKeepsTheOutputFinite() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LsqQuantizer q = LsqQuantizer.builder().setBits(8).optPerChannel(false).build();
            NDArray x = manager.create(X);
            for (float step : new float[] {0f, -0.5f}) {
                QuantizerTesting.init(q, manager, x, "step", step);
                QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, x, "step");
                for (float v : pass.value()) {
                    Assert.assertTrue(Float.isFinite(v), "step " + step);
                }
                Assert.assertTrue(Float.isFinite(pass.parameterGradient()[0]), "step " + step);
            }
            // a negative step acts as its magnitude
            assertClose(QuantizerTesting.run(q, manager, x, "step").value(),
                    new float[] {0, 0, 0, 0.5f, 0, 3.5f, 3.5f, -4f, -4.5f, 1f});
        }
    }

    @Test
    public void rejectsBadBitsAndNonFiniteInput() {
        Assert.expectThrows(IllegalArgumentException.class, () -> LsqQuantizer.builder().setBits(0).build());
        Assert.expectThrows(IllegalArgumentException.class, () -> LsqQuantizer.builder().setBits(17).build());
        Assert.expectThrows(IllegalArgumentException.class, () -> LsqQuantizer.builder().setBits(1).build());
        Assert.expectThrows(IllegalArgumentException.class, () -> LsqQuantizer.spec(-3));
        try (NDManager manager = NDManager.newBaseManager()) {
            LsqQuantizer q = LsqQuantizer.builder().setBits(4).build();
            NDArray x = manager.create(new float[] {1f, Float.NaN}, new Shape(2, 1));
            q.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, x.getShape());
            q.setLayerName("conv7");
            IllegalArgumentException e =
                    Assert.expectThrows(IllegalArgumentException.class, () -> q.calibrateFrom(x));
            Assert.assertTrue(e.getMessage().contains("conv7"), e.getMessage());
            Assert.assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        }
    }
}
