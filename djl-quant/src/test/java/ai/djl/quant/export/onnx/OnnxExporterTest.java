package ai.djl.quant.export.onnx;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
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
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/** ONNX export checked by running the file in ONNX Runtime against DJL's own outputs. */
public class OnnxExporterTest {

    private static final Shape INPUT = new Shape(4, 1, 12, 12);

    /** conv-bn-relu, a residual unit (sum join), a depthwise conv with ReLU6, pooling, linear. */
    static SequentialBlock residualNet(int width) {
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

    @DataProvider
    public Object[][] configs() {
        return new Object[][] {
            {"float", null},
            {"LSQ W8A8", QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8)).build()},
            {"LSQ W4A4", QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(LsqQuantizer.spec(4)).build()},
            {"shift s=3 + LSQ A4", QuantizationConfig.builder().setWeights(ShiftQuantizer.shiftSpec(3)).optActivations(LsqQuantizer.spec(4)).build()},
            {"power-of-two W4", QuantizationConfig.builder().setWeights(PowerOfTwoQuantizer.spec(4)).build()},
            {"n-hot(8,2) W + LSQ A8", QuantizationConfig.builder().setWeights(NHotQuantizer.spec(8, 2)).optActivations(LsqQuantizer.spec(8)).build()},
            {"learned W3 + channel-balanced A4", QuantizationConfig.builder().setWeights(LearnedLevelsQuantizer.spec(3))
                    .optActivations(ChannelBalancedQuantizer.spec(4, ChannelBalancedQuantizer.Objective.CHANNEL_BALANCED)).build()},
        };
    }

    /** Builds, calibrates (three training passes also move the BatchNorm statistics) and deploys. */
    private static Block prepare(NDManager manager, QuantizationConfig config, NDArray x) {
        return prepare(manager, config, x, 8);
    }

    private static Block prepare(NDManager manager, QuantizationConfig config, NDArray x, int width) {
        manager.getEngine().setRandomSeed(3);
        Block block = residualNet(width);
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

    @Test(dataProvider = "configs")
    public void onnxRuntimeComputesWhatDjlComputes(String name, QuantizationConfig config) throws Exception {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT);
            Block block = prepare(manager, config, x);
            float[] expected = block.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            byte[] onnx = OnnxExporter.toBytes(block, new Shape(1, 12, 12));
            float[] actual = run(onnx, x.toFloatArray(), INPUT.getShape());
            double scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            int far = 0;
            for (int i = 0; i < expected.length; i++) {
                if (Math.abs(actual[i] - expected[i]) > 1e-4 * Math.max(1, scale)) {
                    far++;
                }
            }
            // folding BatchNorm changes float rounding, which may move an activation across a
            // rounding boundary; the outputs must otherwise agree
            Assert.assertTrue(far <= expected.length / 10, name + ": " + far + " of " + expected.length + " outputs differ: "
                    + Arrays.toString(expected) + " vs " + Arrays.toString(actual));
        }
    }

    static float[] run(byte[] onnx, float[] input, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
                OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result result = session.run(Map.of("input", tensor))) {
            float[][] out = (float[][]) result.get(0).getValue();
            float[] flat = new float[out.length * out[0].length];
            for (int i = 0; i < out.length; i++) {
                System.arraycopy(out[i], 0, flat, i * out[0].length, out[0].length);
            }
            return flat;
        }
    }

    @Test
    public void quantizedWeightsAreStoredAsIntegers() {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT);
            int floatBytes = OnnxExporter.toBytes(prepare(manager, null, x, 64), new Shape(1, 12, 12)).length;
            int int8Bytes = OnnxExporter.toBytes(prepare(manager, (QuantizationConfig) configs()[1][1], x, 64), new Shape(1, 12, 12)).length;
            // the quantized layers' weights shrink 4x; the first conv bias, BatchNorms folded, scales remain
            Assert.assertTrue(int8Bytes < floatBytes * 0.3, int8Bytes + " vs " + floatBytes);
        }
    }

    @Test
    public void layersWithoutAnOnnxFormAreRefusedByPath() {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT);
            Block nhotActivations = prepare(manager,
                    QuantizationConfig.builder().setWeights(NHotQuantizer.spec(4, 2)).optActivations(NHotQuantizer.spec(4, 2)).build(), x);
            UnsupportedOperationException e = Assert.expectThrows(UnsupportedOperationException.class,
                    () -> OnnxExporter.toBytes(nhotActivations, new Shape(1, 12, 12)));
            Assert.assertTrue(e.getMessage().contains("/01") && e.getMessage().contains("QuantizeLinear"), e.getMessage());

            SequentialBlock custom = new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build())
                    .add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().square())));
            custom.initialize(manager, DataType.FLOAT32, INPUT);
            e = Assert.expectThrows(UnsupportedOperationException.class, () -> OnnxExporter.toBytes(custom, new Shape(1, 12, 12)));
            Assert.assertTrue(e.getMessage().startsWith("SequentialBlock/02") && e.getMessage().contains("anonymous"), e.getMessage());
        }
    }
}
