package ai.djl.quant.zoo.cv;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.training.ParameterStore;
import org.testng.Assert;
import org.testng.annotations.Test;

public class MobileNetV2Test {

    @Test
    public void paperArchitecture() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = MobileNetV2.builder().build();
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 28, 28));
            long params = net.getParameters().values().stream().filter(p -> p.requiresGradient()).mapToLong(p -> p.getArray().size()).sum();
            // the paper's 3.4M at 1000 classes; 2.2M here: 10 classes and one input channel
            Assert.assertEquals(params / 100_000, 22);
            Assert.assertEquals(net.forward(new ParameterStore(manager, false), new NDList(manager.ones(new Shape(2, 1, 28, 28))), false).head().getShape(), new Shape(2, 10));
            // first conv + 17 blocks (16 with expansion: 3 convs, 1 without: 2) + last 1x1 + classifier
            Assert.assertEquals(Quantization.listLayers(net).size(), 1 + 16 * 3 + 2 + 1 + 1);
            Assert.assertEquals(Quantization.listLayers(net).get(0).kernel(), "3x3");
        }
    }

    @Test
    public void widthMultiplier() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = MobileNetV2.builder().optWidthMultiplier(0.5f).optFirstStride(2).build();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            Assert.assertEquals(net.getOutputShapes(new Shape[] {new Shape(1, 3, 224, 224)})[0], new Shape(1, 10));
        }
        Assert.expectThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().optWidthMultiplier(0f));
    }
}
