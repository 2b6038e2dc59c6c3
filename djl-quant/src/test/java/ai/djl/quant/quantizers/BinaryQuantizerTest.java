package ai.djl.quant.quantizers;

import static ai.djl.quant.quantizers.QuantizerTesting.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.testng.Assert;
import org.testng.annotations.Test;

public class BinaryQuantizerTest {

    @Test
    public void perChannelMeanAbsoluteScaleAndStraightThroughGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            BinaryQuantizer q = BinaryQuantizer.builder().build();
            NDArray w = manager.create(new float[] {1f, -3f, 0f, 2f}, new Shape(2, 2));
            QuantizerTesting.init(q, manager, w, null);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, w, null);
            // channel 0: mean|w| = 2; channel 1: mean|w| = 1 and sign(0) = +1 (no zero level)
            assertClose(pass.value(), new float[] {2f, -2f, 1f, 1f});
            assertClose(pass.inputGradient(), new float[] {1f, 1f, 1f, 1f});
        }
    }

    @Test
    public void weightsOnly() {
        Assert.expectThrows(
                IllegalArgumentException.class,
                () -> BinaryQuantizer.builder().optRole(QuantizerRole.ACTIVATION).build());
        Assert.expectThrows(
                IllegalArgumentException.class, () -> BinaryQuantizer.builder().setBits(2).build());
    }
}
