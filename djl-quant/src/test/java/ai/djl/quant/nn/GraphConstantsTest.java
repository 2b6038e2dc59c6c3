package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.UnaryOperator;
import org.testng.Assert;
import org.testng.annotations.Test;

public class GraphConstantsTest {

    /** The gradient of {@code op} at {@code x}, with Java's freed memory reused between the passes. */
    private static float[] gradientAfterMemoryReuse(NDManager manager, float[] x, UnaryOperator<NDArray> op)
            throws InterruptedException {
        NDArray input = manager.create(x).duplicate();
        input.setRequiresGradient(true);
        List<ByteBuffer> reused;
        try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
            NDArray y = op.apply(input);
            reused = JavaMemoryReuse.provoke();
            collector.backward(y.sum());
        }
        Assert.assertFalse(reused.isEmpty());
        return input.getGradient().toFloatArray();
    }

    @Test
    public void theBackwardPassStillSeesEachConstantAfterJavaReusedItsMemory() throws InterruptedException {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] x = {1f, 2f, 4f};
            for (int run = 0; run < 3; run++) {
                Assert.assertEquals(gradientAfterMemoryReuse(manager, x, v -> GraphConstants.mul(v, 3)), new float[] {3, 3, 3});
                Assert.assertEquals(gradientAfterMemoryReuse(manager, x, v -> GraphConstants.div(v, 4)),
                        new float[] {0.25f, 0.25f, 0.25f});
                Assert.assertEquals(gradientAfterMemoryReuse(manager, x, v -> GraphConstants.pow(v, 2)), new float[] {2, 4, 8});
                // d/dx max(x, 2) = 1 above, 0 below, 1/2 at the tie
                Assert.assertEquals(gradientAfterMemoryReuse(manager, x, v -> GraphConstants.maximum(v, 2)),
                        new float[] {0, 0.5f, 1});
                Assert.assertEquals(gradientAfterMemoryReuse(manager, x, v -> GraphConstants.muli(v.mul(v), 0.5)),
                        new float[] {1, 2, 4});
                float ln2 = (float) Math.log(2);
                float[] pow2 = gradientAfterMemoryReuse(manager, x, v -> GraphConstants.pow(2, v));
                Assert.assertEquals(pow2, new float[] {2 * ln2, 4 * ln2, 16 * ln2}, 1e-5f);
            }
        }
    }

    @Test
    public void scalarsTakeTheTypeAndValueAndCopiesKeepTheValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray doubles = manager.create(new double[] {1, 2});
            NDArray s = GraphConstants.scalar(doubles, 0.5);
            Assert.assertEquals(s.getDataType(), DataType.FLOAT64);
            Assert.assertEquals(s.getShape(), new Shape());
            Assert.assertEquals(s.getDouble(), 0.5);
            NDArray copy = GraphConstants.of(manager, new float[] {1, 2, 3, 4}, new Shape(2, 2));
            Assert.assertEquals(copy.getShape(), new Shape(2, 2));
            Assert.assertEquals(copy.toFloatArray(), new float[] {1, 2, 3, 4});
            Assert.assertEquals(GraphConstants.divi(copy, 2).toFloatArray(), new float[] {0.5f, 1, 1.5f, 2});
        }
    }
}
