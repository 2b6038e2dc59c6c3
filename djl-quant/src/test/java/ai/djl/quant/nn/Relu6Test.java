package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.ByteBuffer;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class Relu6Test {

    @Test
    public void clampsToZeroAndSixWithGradientOneInsideAfterJavaReusedMemory() throws InterruptedException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = Relu6.block();
            Assert.assertTrue(block instanceof LambdaBlock);
            Assert.assertEquals(((LambdaBlock) block).getName(), "ReLU6");
            for (int run = 0; run < 3; run++) {
                NDArray x = manager.create(new float[] {-1f, 3f, 7f}).duplicate();
                x.setRequiresGradient(true);
                List<ByteBuffer> reused;
                try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                    NDArray y = block.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
                    Assert.assertEquals(y.toFloatArray(), new float[] {0f, 3f, 6f});
                    reused = JavaMemoryReuse.provoke();
                    collector.backward(y.sum());
                }
                Assert.assertFalse(reused.isEmpty());
                Assert.assertEquals(x.getGradient().toFloatArray(), new float[] {0f, 1f, 0f});
            }
        }
    }
}
