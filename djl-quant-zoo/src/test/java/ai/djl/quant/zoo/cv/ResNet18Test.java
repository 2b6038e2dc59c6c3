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

public class ResNet18Test {

    @Test
    public void shapesAndParameterCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ResNet18.builder().build();
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 28, 28));
            long params = net.getParameters().values().stream().filter(p -> p.requiresGradient()).mapToLong(p -> p.getArray().size()).sum();
            // 11.17M for 10 classes and 1 input channel, as the reference's "11.2M"
            Assert.assertEquals(params / 100_000, 111);
            NDList out = net.forward(new ParameterStore(manager, false), new NDList(manager.ones(new Shape(2, 1, 28, 28))), false);
            Assert.assertEquals(out.head().getShape(), new Shape(2, 10));
            // 1 stem + 16 3x3 convs + 3 downsample convs + classifier
            Assert.assertEquals(Quantization.listLayers(net).size(), 21);
            Assert.assertEquals(Quantization.listLayers(net).stream().filter(l -> l.kernel().equals("3x3")).count(), 17);
            // the path the README's mixed-precision example names: stage 2, unit 1, first 3x3 conv
            Assert.assertTrue(Quantization.listLayers(net).stream().anyMatch(
                    l -> l.path().equals("05SequentialBlock/01SequentialBlock/01ParallelBlock/01SequentialBlock/01Conv2d")));
        }
    }

    @Test
    public void imagenetStem() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ResNet18.builder().optImageNetStem(true).optClasses(1000).optBaseWidth(8).build();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            Assert.assertEquals(net.getOutputShapes(new Shape[] {new Shape(1, 3, 224, 224)})[0], new Shape(1, 1000));
        }
        Assert.expectThrows(IllegalArgumentException.class, () -> ResNet18.builder().optStemStride(3));
    }
}
