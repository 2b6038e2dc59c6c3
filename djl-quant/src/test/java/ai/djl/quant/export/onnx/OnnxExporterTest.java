package ai.djl.quant.export.onnx;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.export.ExportTesting;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/** ONNX export checked by running the file in ONNX Runtime against DJL's own outputs. */
public class OnnxExporterTest {

    private static final Shape INPUT = ExportTesting.INPUT;

    @DataProvider
    public Object[][] configs() {
        return ExportTesting.configs();
    }

    @Test(dataProvider = "configs")
    public void onnxRuntimeComputesWhatDjlComputes(String name, QuantizationConfig config) throws Exception {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT);
            Block block = ExportTesting.prepare(manager, config, x);
            float[] expected = block.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            byte[] onnx = OnnxExporter.toBytes(block, new Shape(1, 12, 12), OnnxExporter.Form.EXACT);
            float[] actual = run(onnx, x.toFloatArray(), INPUT.getShape());
            int far = ExportTesting.farApart(expected, actual);
            // folding BatchNorm changes float rounding, which may move an activation across a
            // rounding boundary; the outputs must otherwise agree
            Assert.assertTrue(far <= expected.length / 10, name + ": " + far + " of " + expected.length + " outputs differ: "
                    + java.util.Arrays.toString(expected) + " vs " + java.util.Arrays.toString(actual));
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
            int floatBytes = OnnxExporter.toBytes(ExportTesting.prepare(manager, null, x, 64), new Shape(1, 12, 12), OnnxExporter.Form.EXACT).length;
            int int8Bytes = OnnxExporter.toBytes(ExportTesting.prepare(manager, (QuantizationConfig) ExportTesting.configs()[1][1], x, 64), new Shape(1, 12, 12), OnnxExporter.Form.EXACT).length;
            // the quantized layers' weights shrink 4x; the first conv bias, BatchNorms folded, scales remain
            Assert.assertTrue(int8Bytes < floatBytes * 0.3, int8Bytes + " vs " + floatBytes);
        }
    }

    @Test
    public void onnxRuntimeRunsInt8LayersAsIntegerConvolutions() throws Exception {
        try (Model model = Model.newInstance("m")) {
            Block quantized = threeQuantizedConvReluPairs(model.getNDManager());
            String graph = optimizedGraph(OnnxExporter.toBytes(quantized, new Shape(1, 12, 12), OnnxExporter.Form.INTEGER,
                    OnnxExporter.ANY_BIAS_ROUNDING));
            // the conv-relu pairs whose output is quantized again (the first two) become integer convolutions
            Assert.assertEquals(count(graph, "QLinearConv"), 2, "QLinearConv nodes after ONNX Runtime's fusion");
        }
    }

    @Test
    public void fastFormKeepsFusedLayersIntegerAndGivesTheOthersFloatWeights() throws Exception {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            Block quantized = threeQuantizedConvReluPairs(manager);
            byte[] integer = OnnxExporter.toBytes(quantized, new Shape(1, 12, 12), OnnxExporter.Form.INTEGER, OnnxExporter.ANY_BIAS_ROUNDING);
            byte[] fast = OnnxExporter.toBytes(quantized, new Shape(1, 12, 12), OnnxExporter.Form.FAST, OnnxExporter.ANY_BIAS_ROUNDING);
            String integerGraph = optimizedGraph(integer);
            String fastGraph = optimizedGraph(fast);
            Assert.assertEquals(count(fastGraph, "QLinearConv"), 2);
            // the last convolution (output not quantized again) no longer dequantizes its weights and bias per run
            Assert.assertTrue(count(fastGraph, "DequantizeLinear") < count(integerGraph, "DequantizeLinear"), fastGraph);
            // its 8x8x3x3 weights are stored as float: more than 2 more bytes per weight
            Assert.assertTrue(fast.length - integer.length > 2 * 576, fast.length + " vs " + integer.length);
            NDArray x = manager.randomNormal(INPUT).abs();
            float[] expected = quantized.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            float[] actual = run(fast, x.toFloatArray(), INPUT.getShape());
            Assert.assertTrue(ExportTesting.farApart(expected, actual) <= expected.length / 10);
        }
    }

    @Test
    public void quantizedSumsLetOnnxRuntimeRunTheResidualUnitOnIntegers() throws Exception {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT).abs();
            QuantizationConfig plain = (QuantizationConfig) ExportTesting.configs()[1][1];
            QuantizationConfig sums = (QuantizationConfig) ExportTesting.configs()[2][1];
            Assert.assertNotNull(sums.getSums());
            String without = optimizedGraph(OnnxExporter.toBytes(ExportTesting.prepare(manager, plain, x), new Shape(1, 12, 12),
                    OnnxExporter.Form.INTEGER, OnnxExporter.ANY_BIAS_ROUNDING));
            String with = optimizedGraph(OnnxExporter.toBytes(ExportTesting.prepare(manager, sums, x), new Shape(1, 12, 12),
                    OnnxExporter.Form.INTEGER, OnnxExporter.ANY_BIAS_ROUNDING));
            // the convolution that feeds the sum is quantized again now, and the sum is an integer addition
            Assert.assertTrue(count(with, "QLinearConv") > count(without, "QLinearConv"), count(with, "QLinearConv") + " QLinearConv");
            Assert.assertTrue(count(with, "QLinearAdd") > 0 && count(without, "QLinearAdd") == 0);
        }
    }

    @Test
    public void djlResNetV1WithQuantizedSumsRunsInOnnxRuntime() throws Exception {
        // DJL's own ResNet adds its ReLU inside the residual join and inside anonymous lambdas
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            manager.getEngine().setRandomSeed(11);
            Shape input = new Shape(4, 1, 28, 28);
            Block resnet = ai.djl.basicmodelzoo.cv.classification.ResNetV1.builder().setImageShape(new Shape(1, 28, 28))
                    .setNumLayers(20).setOutSize(10).build();
            resnet.initialize(manager, DataType.FLOAT32, input);
            ai.djl.quant.nn.QuantizedNetwork qnet = ai.djl.quant.Quantization.wrap(resnet, QuantizationConfig.builder()
                    .setWeights(ai.djl.quant.quantizers.LsqQuantizer.spec(8)).optActivations(ai.djl.quant.quantizers.LsqQuantizer.spec(8))
                    .optSums(ai.djl.quant.quantizers.LsqQuantizer.spec(8)).optKeepFirstFloat(true).optKeepLastFloat(true).build());
            Assert.assertEquals(qnet.getQuantizedSums().size(), 9);
            Assert.assertTrue(qnet.getQuantizedSums().stream().allMatch(ai.djl.quant.nn.QuantizedSum::hasRelu));
            NDArray x = manager.randomNormal(input);
            ParameterStore store = new ParameterStore(manager, false);
            qnet.forward(store, new NDList(x), true);
            qnet.setDeployMode(true);
            float[] expected = qnet.forward(store, new NDList(x), false).head().toFloatArray();
            float[] actual = run(OnnxExporter.toBytes(qnet, new Shape(1, 28, 28), OnnxExporter.Form.EXACT), x.toFloatArray(), input.getShape());
            // twenty quantized layers deep, BatchNorm folding's float rounding flips a few activation
            // roundings: the logits move by a fraction of a percent, never more
            double largest = 0;
            double diff = 0;
            for (int i = 0; i < expected.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
            }
            Assert.assertTrue(diff < 0.02 * largest, diff + " of " + largest + ": " + java.util.Arrays.toString(expected) + " vs "
                    + java.util.Arrays.toString(actual));
        }
    }

    private static Block threeQuantizedConvReluPairs(NDManager manager) {
        SequentialBlock net = new SequentialBlock();
        for (int i = 0; i < 3; i++) {
            net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).optPadding(new Shape(1, 1)).build())
                    .add(ai.djl.nn.Activation.reluBlock());
        }
        net.add(ai.djl.nn.Blocks.batchFlattenBlock());
        net.initialize(manager, DataType.FLOAT32, INPUT);
        Block quantized = ai.djl.quant.Quantization.wrap(net, (QuantizationConfig) ExportTesting.configs()[1][1]);
        quantized.forward(new ParameterStore(manager, false), new NDList(manager.randomNormal(INPUT).abs()), false);
        return quantized;
    }

    /** The graph ONNX Runtime runs after its optimizations, as raw text for counting operator names. */
    private static String optimizedGraph(byte[] onnx) throws Exception {
        java.nio.file.Path optimized = java.nio.file.Files.createTempFile("optimized", ".onnx");
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            options.setOptimizedModelFilePath(optimized.toString());
            try (OrtSession session = OrtEnvironment.getEnvironment().createSession(onnx, options)) {
                Assert.assertNotNull(session);
            }
            return new String(java.nio.file.Files.readAllBytes(optimized), java.nio.charset.StandardCharsets.ISO_8859_1);
        } finally {
            java.nio.file.Files.deleteIfExists(optimized);
        }
    }

    private static int count(String text, String word) {
        return text.split(word, -1).length - 1;
    }

    @Test
    public void biasesAreRoundedToTheAccumulatorOnlyWhereTheRoundingIsNegligible() {
        float step = 0.1f;
        double limit = OnnxExporter.PARITY_BIAS_ROUNDING;
        float fine = (float) (2 * limit * step); // half a unit is exactly the limit
        Assert.assertEquals(OnnxExporter.int32Bias(new float[] {0.01f, -0.5f}, new float[] {fine, fine / 2}, step, limit),
                new int[] {(int) Math.rint(0.01f / fine), (int) Math.rint(-0.5f / (fine / 2))});
        // one coarse channel (a depthwise kernel with a large folded BatchNorm scale) keeps the whole bias float
        Assert.assertNull(OnnxExporter.int32Bias(new float[] {0.01f, 0.01f}, new float[] {fine, fine * 1.01f}, step, limit));
        Assert.assertNotNull(OnnxExporter.int32Bias(new float[] {0.01f, 0.01f}, new float[] {fine, fine * 1.01f}, step,
                OnnxExporter.ANY_BIAS_ROUNDING));
        // a code beyond int32
        Assert.assertNull(OnnxExporter.int32Bias(new float[] {1e6f}, new float[] {1e-6f}, 1e3f, OnnxExporter.ANY_BIAS_ROUNDING));
        Assert.assertEquals(OnnxExporter.int32Bias(new float[0], new float[0], step, limit), new int[0]);
        Assert.expectThrows(IllegalArgumentException.class, () -> OnnxExporter.toBytes(new SequentialBlock(), INPUT, OnnxExporter.Form.INTEGER, 0));
    }

    @Test
    public void roundedBiasesMakeDjlComputeWhatOnnxRuntimeRunsFused() throws Exception {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT).abs();
            Block block = ExportTesting.prepare(manager, (QuantizationConfig) ExportTesting.configs()[1][1], x);
            Shape example = new Shape(1, 12, 12);
            byte[] onnx = OnnxExporter.toBytes(block, example, OnnxExporter.Form.INTEGER);
            float[] ort = run(onnx, x.toFloatArray(), INPUT.getShape());
            float[] plain = block.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            int layers = OnnxExporter.roundBiasesAsExported(block, example, OnnxExporter.ANY_BIAS_ROUNDING);
            float[] rounded = block.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            Assert.assertTrue(layers > 0, "the fused layers with a bias");
            // with the rounding DJL and ONNX Runtime differ by float rounding only (measured: 5e-7;
            // without it, 0.04 on the same inputs)
            Assert.assertEquals(ExportTesting.farApart(rounded, ort), 0, java.util.Arrays.toString(rounded) + " vs " + java.util.Arrays.toString(ort));
            Assert.assertTrue(maxDifference(rounded, ort) <= maxDifference(plain, ort));
            // the rounding is the model's own state, not part of what is exported
            Assert.assertEquals(OnnxExporter.toBytes(block, example, OnnxExporter.Form.INTEGER), onnx);
        }
    }

    @Test
    public void aSumFeedingOneConvolutionKeepsBothOfItsGridsInOnnxRuntime() throws Exception {
        // MobileNetV2's linear bottleneck with quantized sums: the sum's grid and the next
        // convolution's input grid follow each other with nothing between; ONNX Runtime replaces
        // such a pair of pairs by one pair on a grid of its own unless their types differ
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT);
            Block block = ExportTesting.prepare(manager, (QuantizationConfig) ExportTesting.configs()[2][1], x,
                    ExportTesting.linearBottleneckNet(8));
            Shape example = new Shape(1, 12, 12);
            byte[] onnx = OnnxExporter.toBytes(block, example, OnnxExporter.Form.INTEGER);
            float[] ort = run(onnx, x.toFloatArray(), INPUT.getShape());
            OnnxExporter.roundBiasesAsExported(block, example, OnnxExporter.ANY_BIAS_ROUNDING);
            float[] rounded = block.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            Assert.assertEquals(ExportTesting.farApart(rounded, ort), 0, "max difference " + maxDifference(rounded, ort) + ": "
                    + java.util.Arrays.toString(rounded) + " vs " + java.util.Arrays.toString(ort));
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    public void layersWithoutAnOnnxFormAreRefusedByPath() {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(INPUT);
            Block nhotActivations = ExportTesting.prepare(manager,
                    QuantizationConfig.builder().setWeights(NHotQuantizer.spec(4, 2)).optActivations(NHotQuantizer.spec(4, 2)).build(), x);
            UnsupportedOperationException e = Assert.expectThrows(UnsupportedOperationException.class,
                    () -> OnnxExporter.toBytes(nhotActivations, new Shape(1, 12, 12), OnnxExporter.Form.EXACT));
            Assert.assertTrue(e.getMessage().contains("/01") && e.getMessage().contains("QuantizeLinear"), e.getMessage());

            SequentialBlock custom = new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build())
                    .add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().square())));
            custom.initialize(manager, DataType.FLOAT32, INPUT);
            e = Assert.expectThrows(UnsupportedOperationException.class, () -> OnnxExporter.toBytes(custom, new Shape(1, 12, 12), OnnxExporter.Form.EXACT));
            Assert.assertTrue(e.getMessage().startsWith("SequentialBlock/02") && e.getMessage().contains("anonymous"), e.getMessage());
        }
    }
}
