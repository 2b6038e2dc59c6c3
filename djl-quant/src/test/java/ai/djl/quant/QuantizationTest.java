package ai.djl.quant;

import ai.djl.basicmodelzoo.cv.classification.MobileNetV2;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.quant.nn.LayerInfo;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.PowerOfTwoQuantizer;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class QuantizationTest {

    private static QuantizationConfig w4a4KeepEnds() {
        return QuantizationConfig.builder()
                .setWeights(LsqQuantizer.spec(4))
                .optActivations(LsqQuantizer.spec(4))
                .optKeepFirstFloat(true)
                .optKeepLastFloat(true)
                .build();
    }

    @Test
    public void wrapsDjlResNet20EveryLayerButTheEnds() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block resnet =
                    ResNetV1.builder().setImageShape(new Shape(1, 28, 28)).setNumLayers(20).setOutSize(10).build();
            TestModels.init(resnet, manager);
            List<LayerInfo> before = Quantization.listLayers(resnet);
            QuantizedNetwork qnet = Quantization.wrap(resnet, w4a4KeepEnds());
            Assert.assertEquals(before.size(), 23); // 19 3x3 convs + 3 1x1 shortcuts + FC
            Assert.assertEquals(TestModels.countQuantizedLayers(qnet), before.size() - 2);
            Assert.assertEquals(TestModels.countFloatLayers(qnet), 2);
            Assert.assertTrue(before.get(0).block() instanceof Conv2d);
            // the excluded ones are exactly the stem and the classifier, still in place
            List<LayerInfo> after = Quantization.listLayers(qnet);
            Assert.assertEquals(after.size(), 2);
            Assert.assertSame(after.get(0).block(), before.get(0).block());
            Assert.assertSame(after.get(1).block(), before.get(before.size() - 1).block());
            NDArray out = forward(qnet, manager);
            Assert.assertEquals(out.getShape(), new Shape(2, 10));
        }
    }

    @Test
    public void wrapsDjlMobileNetV2() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block mobilenet = MobileNetV2.builder().setOutSize(10).build();
            TestModels.init(mobilenet, manager);
            int layers = Quantization.listLayers(mobilenet).size();
            QuantizedNetwork qnet = Quantization.wrap(mobilenet, w4a4KeepEnds());
            Assert.assertEquals(TestModels.countQuantizedLayers(qnet), layers - 2);
            Assert.assertEquals(TestModels.countFloatLayers(qnet), 2);
            Assert.assertEquals(forward(qnet, manager).getShape(), new Shape(2, 10));
            // depthwise convolutions keep their groups
            Assert.assertTrue(qnet.summary().contains("52 quantized layers"), qnet.summary());
        }
    }

    @Test
    public void sixteenBitWeightsReproduceTheFloatModel() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock cnn = TestModels.init(TestModels.smallCnn(), manager);
            NDArray input = manager.randomNormal(TestModels.INPUT);
            NDArray reference = cnn.forward(new ParameterStore(manager, false), new NDList(input), false).head();
            QuantizedNetwork qnet =
                    Quantization.wrap(cnn, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(16)).build());
            NDArray quantized = qnet.forward(new ParameterStore(manager, false), new NDList(input), false).head();
            Assert.assertEquals(TestModels.countQuantizedLayers(qnet), 3);
            float scale = reference.abs().max().getFloat();
            float error = reference.sub(quantized).abs().max().getFloat();
            Assert.assertTrue(error < 1e-2f * scale, error + " vs " + scale);
            // and 2 bits changes it: the decorators really are on the forward path
            QuantizedNetwork coarse =
                    Quantization.wrap(TestModels.init(TestModels.smallCnn(), manager),
                            QuantizationConfig.builder().setWeights(LsqQuantizer.spec(2)).build());
            NDArray coarseOut = coarse.forward(new ParameterStore(manager, false), new NDList(input), false).head();
            float coarseError = reference.sub(coarseOut).abs().max().getFloat();
            Assert.assertTrue(coarseError > 10 * error, coarseError + " vs " + error);
        }
    }

    @Test
    public void customBlockUsingItsChildListIsRewritten() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TestModels.ChildListBlock custom = TestModels.init(new TestModels.ChildListBlock(), manager);
            QuantizedNetwork qnet =
                    Quantization.wrap(custom, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).build());
            Assert.assertEquals(TestModels.countQuantizedLayers(qnet), 2);
            forward(qnet, manager);
            for (QuantizedLayer layer : qnet.getQuantizedLayers()) {
                Assert.assertTrue(layer.getWeightQuantizer().isCalibrated());
            }
        }
    }

    @Test
    public void customBlockCallingAChildThroughAFieldIsRefusedWithItsPath() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock().add(new TestModels.FieldBlock());
            TestModels.init(net, manager);
            UnsupportedOperationException e =
                    Assert.expectThrows(
                            UnsupportedOperationException.class,
                            () -> Quantization.wrap(net, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).build()));
            Assert.assertTrue(e.getMessage().contains("01FieldBlock/01conv"), e.getMessage());
            Assert.assertTrue(e.getMessage().contains("'child'"), e.getMessage());
            // excluding that layer makes the model wrappable (nothing else to quantize here, though)
            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () -> Quantization.wrap(new SequentialBlock(), QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).build()));
        }
    }

    @Test
    public void rulesGiveMixedPrecisionOtherMethodsAndScope() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock cnn = TestModels.init(TestModels.smallCnn(), manager);
            QuantizationConfig config =
                    QuantizationConfig.builder()
                            .setWeights(LsqQuantizer.spec(4))
                            .optActivations(LsqQuantizer.spec(4))
                            .optScope(LayerSelector.type(Conv2d.class))
                            .optRule(LayerRule.bits(LayerSelector.path("04Conv2d"), 8, 0))
                            .optRule(LayerRule.use(LayerSelector.first(), PowerOfTwoQuantizer.spec(3), null))
                            .build();
            QuantizedNetwork qnet = Quantization.wrap(cnn, config);
            List<QuantizedLayer> layers = qnet.getQuantizedLayers();
            Assert.assertEquals(layers.size(), 2);
            Assert.assertEquals(layers.get(0).describe(), "w=pot(3 bits, signed, per-channel, emin=-2) a=float");
            Assert.assertEquals(layers.get(1).getPath(), "04Conv2d");
            Assert.assertEquals(layers.get(1).getWeightQuantizer().getBits(), 8);
            Assert.assertNull(layers.get(1).getInputQuantizer());
            Assert.assertTrue(qnet.summary().contains("04Conv2d"));
            Assert.assertEquals(TestModels.countFloatLayers(qnet), 1); // the Linear, out of scope
        }
    }

    @Test
    public void badRulesAndBitsFailClearly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock cnn = TestModels.init(TestModels.smallCnn(), manager);
            QuantizationConfig unknown =
                    QuantizationConfig.builder()
                            .setWeights(LsqQuantizer.spec(4))
                            .optRule(LayerRule.keepFloat(LayerSelector.path("07Conv2d")))
                            .build();
            IllegalArgumentException e =
                    Assert.expectThrows(IllegalArgumentException.class, () -> Quantization.wrap(cnn, unknown));
            Assert.assertTrue(e.getMessage().contains("path=07Conv2d"), e.getMessage());
            Assert.assertTrue(e.getMessage().contains("04Conv2d (Conv2d)"), e.getMessage());
            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () -> LayerRule.bits(LayerSelector.first(), 0, 4));
            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () -> LayerRule.bits(LayerSelector.first(), 4, 17));
        }
    }

    @Test
    public void nanWeightsAreRefusedWithTheLayerName() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock cnn = TestModels.init(TestModels.smallCnn(), manager);
            NDArray w = cnn.getChildren().get("04Conv2d").getDirectParameters().get("weight").getArray();
            float[] values = w.toFloatArray();
            values[5] = Float.POSITIVE_INFINITY;
            w.set(values);
            IllegalArgumentException e =
                    Assert.expectThrows(
                            IllegalArgumentException.class,
                            () -> Quantization.wrap(cnn, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).build()));
            Assert.assertTrue(e.getMessage().startsWith("04Conv2d (weight)"), e.getMessage());
        }
    }

    @Test
    public void deployModeSwitchesEveryQuantizer() {
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedNetwork qnet = Quantization.wrap(TestModels.init(TestModels.smallCnn(), manager), w4a4KeepEnds());
            qnet.setDeployMode(true);
            Assert.assertTrue(qnet.getQuantizers().stream().allMatch(q -> q.isDeployMode()));
            qnet.setDeployMode(false);
            Assert.assertTrue(qnet.getQuantizers().stream().noneMatch(q -> q.isDeployMode()));
            Assert.expectThrows(IllegalArgumentException.class, () -> Quantization.wrap(qnet, w4a4KeepEnds()));
        }
    }

    private static NDArray forward(Block block, NDManager manager) {
        NDArray input = manager.randomNormal(TestModels.INPUT);
        return block.forward(new ParameterStore(manager, false), new NDList(input), false).head();
    }
}
