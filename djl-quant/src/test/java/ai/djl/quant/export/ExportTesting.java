package ai.djl.quant.export;

import ai.djl.ndarray.NDArray;
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
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.ChannelBalancedQuantizer;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.PowerOfTwoQuantizer;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.training.ParameterStore;
import java.util.Arrays;

/** The small residual model the export tests lower, and its preparation. */
public final class ExportTesting {

    public static final Shape INPUT = new Shape(4, 1, 12, 12);

    private ExportTesting() {}

    /** conv-bn-relu, a residual unit (sum join), a depthwise conv with ReLU6, pooling, linear. */
    public static SequentialBlock residualNet(int width) {
        SequentialBlock main = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(width).optPadding(new Shape(1, 1)).optBias(false).build())
                .add(BatchNorm.builder().build());
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(width).optPadding(new Shape(1, 1)).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().add(l.get(1).singletonOrThrow())),
                        Arrays.asList(main, Blocks.identityBlock())))
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(width).optGroups(width).optStride(new Shape(2, 2))
                        .optPadding(new Shape(1, 1)).optBias(false).build())
                .add(BatchNorm.builder().build())
                .add(Activation.relu6Block())
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(12).build())
                .add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(5).build());
    }

    /**
     * MobileNetV2's linear bottleneck: a residual unit whose sum has no ReLU after it and feeds
     * one convolution only, then conv-bn-relu6, pooling, linear.
     */
    public static SequentialBlock linearBottleneckNet(int width) {
        SequentialBlock main = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(2 * width).optBias(false).build())
                .add(BatchNorm.builder().build())
                .add(Activation.relu6Block())
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(width).optBias(false).build())
                .add(BatchNorm.builder().build());
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(width).optPadding(new Shape(1, 1)).build())
                .add(BatchNorm.builder().build())
                .add(Activation.relu6Block())
                .add(new ParallelBlock(l -> new NDList(l.get(0).singletonOrThrow().add(l.get(1).singletonOrThrow())),
                        Arrays.asList(main, Blocks.identityBlock())))
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(12).optBias(false).build())
                .add(BatchNorm.builder().build())
                .add(Activation.relu6Block())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(5).build());
    }

    /** Builds, calibrates (three training passes also move the BatchNorm statistics) and deploys. */
    public static Block prepare(NDManager manager, QuantizationConfig config, NDArray x) {
        return prepare(manager, config, x, 8);
    }

    public static Block prepare(NDManager manager, QuantizationConfig config, NDArray x, int width) {
        return prepare(manager, config, x, residualNet(width));
    }

    /** {@link #prepare(NDManager, QuantizationConfig, NDArray)} of a given float model. */
    public static Block prepare(NDManager manager, QuantizationConfig config, NDArray x, Block block) {
        manager.getEngine().setRandomSeed(3);
        block.initialize(manager, DataType.FLOAT32, INPUT);
        if (config != null) {
            block = Quantization.wrap(block, config);
        }
        ParameterStore store = new ParameterStore(manager, false);
        for (int i = 0; i < 3; i++) {
            block.forward(store, new NDList(x.mul(1 + i * 0.1f)), true);
        }
        if (block instanceof QuantizedNetwork q) {
            q.setDeployMode(true);
        }
        return block;
    }

    /** Float and one configuration per quantizer family, with names. */
    public static Object[][] configs() {
        return new Object[][] {
            {"float", null},
            {"LSQ W8A8", QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8)).build()},
            {"LSQ W8A8 + 8-bit sums", QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8))
                    .optSums(LsqQuantizer.spec(8)).build()},
            {"LSQ W4A4", QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(LsqQuantizer.spec(4)).build()},
            {"shift s=3 + LSQ A4", QuantizationConfig.builder().setWeights(ShiftQuantizer.shiftSpec(3)).optActivations(LsqQuantizer.spec(4)).build()},
            {"power-of-two W4", QuantizationConfig.builder().setWeights(PowerOfTwoQuantizer.spec(4)).build()},
            {"n-hot(8,2) W + LSQ A8", QuantizationConfig.builder().setWeights(NHotQuantizer.spec(8, 2)).optActivations(LsqQuantizer.spec(8)).build()},
            {"learned W3 + channel-balanced A4", QuantizationConfig.builder().setWeights(LearnedLevelsQuantizer.spec(3))
                    .optActivations(ChannelBalancedQuantizer.spec(4, ChannelBalancedQuantizer.Objective.CHANNEL_BALANCED)).build()},
        };
    }


    /**
     * Counts the outputs that differ by more than 1e-4 of the largest output magnitude.
     *
     * @param expected the reference
     * @param actual the values checked
     * @return the count
     */
    public static int farApart(float[] expected, float[] actual) {
        double scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        int far = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(actual[i] - expected[i]) > 1e-4 * scale) {
                far++;
            }
        }
        return far;
    }
}
