package ai.djl.quant.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.PowerOfTwoQuantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.training.ParameterStore;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

public class ShiftAddKernelTest {

    private static final Shape INPUT = new Shape(2, 3, 9, 9);

    @DataProvider
    public Object[][] weights() {
        // (stride, padding, groups): strided rows, whole padded rows at stride 1, depthwise-style groups
        return new Object[][] {
            {NHotQuantizer.spec(4, 2), 2, 0, 1}, {NHotQuantizer.spec(8, 2), 1, 1, 1}, {PowerOfTwoQuantizer.spec(4), 2, 1, 3},
            {LsqQuantizer.spec(4), 1, 1, 3}, {LsqQuantizer.spec(4), 2, 0, 1}};
    }

    @Test(dataProvider = "weights")
    public void matchesTheFakeQuantizedConvolutionAndTheCostReport(QuantizerSpec weights, int stride, int padding, int groups) {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(4);
            SequentialBlock net = new SequentialBlock().add(
                    Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).optStride(new Shape(stride, stride))
                            .optPadding(new Shape(padding, padding)).optGroups(groups).build());
            net.initialize(manager, DataType.FLOAT32, INPUT);
            QuantizedNetwork qnet = Quantization.wrap(net, QuantizationConfig.builder().setWeights(weights).optActivations(LsqQuantizer.spec(4)).build());
            NDArray x = manager.randomUniform(0f, 2f, INPUT);
            ParameterStore store = new ParameterStore(manager, false);
            qnet.forward(store, new NDList(x), true); // calibrates the activation step
            qnet.setDeployMode(true);
            float[] expected = qnet.forward(store, new NDList(x), false).head().toFloatArray();

            QuantizedLayer conv = qnet.getQuantizedLayers().get(0);
            float step = conv.getInputQuantizer().getParameters().get(0).getValue().getArray().getFloat(0);
            float[] xf = x.toFloatArray();
            int[] codes = new int[xf.length];
            for (int i = 0; i < xf.length; i++) {
                codes[i] = (int) Math.rint(Math.min(15, Math.max(0, xf[i] / step)));
            }
            NDArray w = conv.getWeight().getArray();
            ShiftAddKernel kernel = new ShiftAddKernel(conv.getWeightQuantizer().codebook(store, w), w.getShape().getShape(), groups, step);
            float[] bias = conv.getLayer().getParameters().get("bias").getArray().toFloatArray();
            float[] actual = kernel.conv2d(codes, INPUT.getShape(), stride, padding, bias);
            Assert.assertEquals(actual.length, expected.length);
            for (int i = 0; i < actual.length; i++) {
                Assert.assertEquals(actual[i], expected[i], 1e-4f * (1 + Math.abs(expected[i])), "output " + i);
            }
            // every output position counts, zero-padded ones included, as in the cost report (per image)
            Assert.assertEquals(kernel.operations(), CostReport.of(qnet).shiftAdds() * INPUT.get(0));
        }
    }

    @Test
    public void learnedLevelsHaveNoShiftAddForm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock().add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(2).build());
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 2, 2));
            QuantizedNetwork qnet = Quantization.wrap(net, QuantizationConfig.builder().setWeights(LearnedLevelsQuantizer.spec(2)).build());
            QuantizedLayer conv = qnet.getQuantizedLayers().get(0);
            NDArray w = conv.getWeight().getArray();
            var book = conv.getWeightQuantizer().codebook(new ParameterStore(manager, false), w);
            Assert.expectThrows(IllegalArgumentException.class, () -> new ShiftAddKernel(book, w.getShape().getShape(), 1, 1f));
        }
    }
}
