package ai.djl.quant.quantizers;

import static ai.djl.quant.quantizers.QuantizerTesting.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.testng.Assert;
import org.testng.annotations.Test;

public class PowerOfTwoQuantizerTest {

    // scale 2, 4 bits signed: levels 2·{0, ±2^0 … ±2^-6}. Covers 0, exact powers of two, the
    // log-domain midpoint between 1 and 1/2 (x̂ = 2^-0.5), the zero threshold (x̂ = 2^-6.5) on
    // both sides, and beyond the range.
    private static final float[] X = {
        0f, 2f, 1f, 0.5f, 3f, -1f, 1.40f, 1.42f, 0.0222f, 0.0220f, -5f
    };

    @Test
    public void levelsAndRounding() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PowerOfTwoQuantizer q = PowerOfTwoQuantizer.builder().setBits(4).optPerChannel(false).build();
            Assert.assertEquals(q.minExponent(), -6);
            Assert.assertEquals(q.numLevels(), 15);
            NDArray x = manager.create(X);
            QuantizerTesting.init(q, manager, x, "scale", 2f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, x, "scale");
            assertClose(
                    pass.value(),
                    new float[] {0f, 2f, 1f, 0.5f, 2f, -1f, 1f, 2f, 0.03125f, 0f, -2f});
        }
    }

    @Test
    public void gradients() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PowerOfTwoQuantizer q = PowerOfTwoQuantizer.builder().setBits(4).optPerChannel(false).build();
            NDArray x = manager.create(X);
            QuantizerTesting.init(q, manager, x, "scale", 2f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, x, "scale");
            assertClose(pass.inputGradient(), new float[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0});
            // dy/dα = Q(x)/α - x/α inside the range, sign(x) outside, times 1/sqrt(numel)
            double sum = 0;
            float[] q2 = {0f, 2f, 1f, 0.5f, 2f, -1f, 1f, 2f, 0.03125f, 0f, -2f};
            for (int i = 0; i < X.length; i++) {
                sum += Math.abs(X[i]) > 2 ? Math.signum(X[i]) : (q2[i] - X[i]) / 2.0;
            }
            Assert.assertEquals(pass.parameterGradient()[0], sum / Math.sqrt(X.length), 1e-5);
        }
    }

    @Test
    public void unsignedHasNoNegativeLevels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PowerOfTwoQuantizer q =
                    PowerOfTwoQuantizer.builder().setBits(2).optRole(QuantizerRole.ACTIVATION).build();
            Assert.assertEquals(q.minExponent(), -2);
            NDArray x = manager.create(new float[] {-1f, 0.1f, 0.3f, 0.6f, 4f});
            QuantizerTesting.init(q, manager, x, "scale", 1f);
            assertClose(
                    QuantizerTesting.run(q, manager, x, "scale").value(),
                    new float[] {0f, 0f, 0.25f, 0.5f, 1f});
        }
    }

    @Test
    public void rejectsOneBit() {
        Assert.expectThrows(
                IllegalArgumentException.class, () -> PowerOfTwoQuantizer.builder().setBits(1).build());
    }
}
