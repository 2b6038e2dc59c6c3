package ai.djl.quant.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.export.ExportTesting;
import ai.djl.quant.quantizers.LsqQuantizer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.testng.Assert;
import org.testng.annotations.Test;

public class NonNegativeInputsTest {

    private static Conv2d conv() {
        return Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(4).build();
    }

    private static List<Boolean> flags(Block root) {
        Set<Block> found = NonNegativeInputs.find(root);
        return BlockTree.findQuantizable(root).stream().map(l -> found.contains(l.block())).toList();
    }

    @Test
    public void reluOutputsPoolingAndFlattenStayNonNegativeButTheModelInputDoesNot() {
        // conv | residual unit (sum, then ReLU) | depthwise after ReLU | 1x1 after ReLU6 | linear after ReLU-pool-flatten
        Assert.assertEquals(flags(ExportTesting.residualNet(8)), List.of(false, true, true, true, true));
    }

    @Test
    public void aLinearBottleneckAndASumOfSignedBranchesAreSigned() {
        SequentialBlock bottleneck = new SequentialBlock().add(conv()).add(BatchNorm.builder().build()).add(Activation.relu6Block())
                .add(conv()).add(BatchNorm.builder().build()); // MobileNetV2's projection: no activation
        SequentialBlock net = new SequentialBlock()
                .add(Activation.reluBlock())
                .add(new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().add(l.get(1).singletonOrThrow())),
                        Arrays.asList(bottleneck, Blocks.identityBlock())))
                .add(conv());
        // expansion after ReLU, projection after ReLU6, the next block's conv after a signed sum
        Assert.assertEquals(flags(net), List.of(true, true, false));
    }

    @Test
    public void aSumWithItsReluAndAConcatenationOfReluBranchesAreNonNegative() {
        SequentialBlock signedBranch = new SequentialBlock().add(conv());
        SequentialBlock reluBranch = new SequentialBlock().add(conv()).add(Activation.reluBlock());
        SequentialBlock net = new SequentialBlock()
                .add(new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().add(l.get(1).singletonOrThrow()).maximum(0f)),
                        Arrays.asList(signedBranch, new SequentialBlock().add(conv()))))
                .add(conv())
                .add(new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().concat(l.get(1).singletonOrThrow(), 1)),
                        Arrays.asList(reluBranch, new SequentialBlock().add(Activation.relu6Block()))))
                .add(conv())
                .add(new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().concat(l.get(1).singletonOrThrow(), 1)),
                        Arrays.asList(new SequentialBlock().add(Activation.reluBlock()), new SequentialBlock().add(conv()))))
                .add(conv());
        Assert.assertEquals(flags(net), List.of(false, false, true, false, true, false, false));
    }

    @Test
    public void layersInsideACustomBlockAreTreatedAsSigned() {
        Block net = new SequentialBlock().add(Activation.reluBlock()).add(new TestModels.ChildListBlock());
        Assert.assertEquals(flags(net), List.of(false, false));
    }

    @Test
    public void wrappingGivesSignedInputQuantizersExactlyWhereTheInputMayBeNegative() {
        SequentialBlock net = new SequentialBlock()
                .add(conv()).add(BatchNorm.builder().build()).add(Activation.reluBlock())
                .add(conv()).add(BatchNorm.builder().build())
                .add(conv());
        try (NDManager manager = NDManager.newBaseManager()) {
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 4, 4));
            QuantizedNetwork qnet = Quantization.wrap(net,
                    QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(LsqQuantizer.spec(4)).build());
            List<Boolean> signed = qnet.getQuantizedLayers().stream().map(l -> l.getInputQuantizer().isSigned()).toList();
            Assert.assertEquals(signed, List.of(true, false, true));
        }
    }
}
